"""Pseudonyms for sharing outputs (``--anonymize``): names and NIPs replaced, the plan itself unchanged.

Each NIP becomes ``E-`` and the first 10 hex digits of HMAC-SHA256(key, NIP),
the key being the instance's input hash (the SHA-256 of its input files). So:

- the same input gives every NIP the same pseudonym, in every output and every run;
- another input (any file changed) gives other pseudonyms, so outputs of two
  inputs cannot be joined on them;
- without the input files the key is unknown, and a pseudonym cannot be traced
  back to a NIP, not even by trying every possible NIP. The anonymized
  ``report.json`` therefore records not the input hash but a one-way hash of it
  (:func:`public_hash`): whoever holds the input can still tell the outputs came
  from it.

Where two NIPs would share 10 digits, every pseudonym of the instance gets two
more until none do. A name becomes its employee's pseudonym; domicile and leave
type are dropped. Units, teams, categories and offices are the organisation's,
not personal, and stay.

The transformation is applied after solving and checking: the shared roster is
the very plan the planner has, with other labels.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import replace
from typing import Any

import pandas as pd

from models import Instance
from models.result import Result

PREFIX = "E-"
DIGITS = 10
_TOKEN = re.compile(r"\S+")
_OPENERS = "([{'\""
_CLOSERS = ")]}'\",;:."


def public_hash(input_hash: str) -> str:
    """What an anonymized report records for the input: a one-way hash of the (secret) key."""
    return "sha256:" + hashlib.sha256(b"giliran anonymized output\0" + input_hash.encode("utf-8")).hexdigest()


def _key(instance: Instance) -> bytes:
    if instance.input_hash:
        return instance.input_hash.encode("utf-8")
    # an instance built in Python, not loaded from files: its content is the input
    return hashlib.sha256(instance.model_dump_json().encode("utf-8")).hexdigest().encode("ascii")


class Pseudonyms:
    """The pseudonym of every NIP of one instance, and replacing them in tables and text.

    Examples
    --------
    >>> p = Pseudonyms(instance)                          # doctest: +SKIP
    >>> p.nip("199001012023011001")                       # doctest: +SKIP
    'E-3f9c0a71d2'
    """

    def __init__(self, instance: Instance):
        self._key = _key(instance)
        nips = list(dict.fromkeys(e.nip for e in instance.employees))
        digest = {nip: self._digest(nip) for nip in nips}
        self.digits = DIGITS
        while len({d[:self.digits] for d in digest.values()}) < len(digest) and self.digits < 64:
            self.digits += 2
        self.mapping: dict[str, str] = {nip: PREFIX + d[:self.digits] for nip, d in digest.items()}
        # NIPs with blanks are not one token of a message: replaced as whole phrases
        self._spaced = sorted((n for n in nips if _TOKEN.fullmatch(n) is None and n.strip()), key=len, reverse=True)

    def _digest(self, nip: str) -> str:
        return hmac.new(self._key, nip.encode("utf-8"), hashlib.sha256).hexdigest()

    def nip(self, nip: str) -> str:
        """The pseudonym of a NIP (one outside the instance gets one by the same rule)."""
        found = self.mapping.get(nip)
        return found if found is not None else PREFIX + self._digest(nip)[:self.digits]

    def text(self, text: str) -> str:
        """A message or label with every NIP of the instance in it replaced (whole words only)."""
        if text in self.mapping:
            return self.mapping[text]
        pair = self._pair(text)
        if pair is not None:
            return pair
        for nip in self._spaced:
            if nip in text:
                text = re.sub(rf"(?<!\S){re.escape(nip)}(?=[{re.escape(_CLOSERS)}]*(?:\s|$))",
                              self.mapping[nip], text)
        return _TOKEN.sub(self._token, text)

    def _pair(self, text: str) -> str | None:
        """``a+b``, how the checker names a pair (NIPs may hold ``+`` themselves)."""
        for i, ch in enumerate(text):
            if ch == "+" and text[:i] in self.mapping and text[i + 1:] in self.mapping:
                return f"{self.mapping[text[:i]]}+{self.mapping[text[i + 1:]]}"
        return None

    def _token(self, match: re.Match) -> str:
        token = match.group(0)
        if token in self.mapping:
            return self.mapping[token]
        core = token.lstrip(_OPENERS)
        lead = token[:len(token) - len(core)]
        end = len(core)
        while True:          # the longest core that is a NIP: "e1)." → "e1)" then "e1"
            if core[:end] in self.mapping:
                return lead + self.mapping[core[:end]] + core[end:]
            if end == 0 or core[end - 1] not in _CLOSERS:
                return token
            end -= 1

    def scrub(self, value: Any) -> Any:
        """A copy of a JSON-like value (dicts, lists, text) with NIPs replaced in every string and key."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.scrub(k): self.scrub(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.scrub(v) for v in value)
        if isinstance(value, (set, frozenset)):
            return type(value)(self.scrub(v) for v in value)
        return value

    def roster(self, roster: pd.DataFrame) -> pd.DataFrame:
        """A schedule or roster (``nip, date, mode``) with pseudonyms, sorted by them then date."""
        out = roster.copy()
        out["nip"] = [self.nip(str(n)) for n in out["nip"]]
        return out.sort_values(["nip", "date"], kind="stable").reset_index(drop=True)

    def instance(self, instance: Instance) -> Instance:
        """The instance with pseudonyms for NIPs and names, no domiciles or leave types, and the public hash."""
        p = self.nip
        employees = tuple(e.model_copy(update={"nip": p(e.nip), "name": p(e.nip) if e.name else None,
                                               "domicile": None}) for e in instance.employees)
        leave = tuple(lv.model_copy(update={"nip": p(lv.nip), "type": None}) for lv in instance.leave)
        requests = tuple(r.model_copy(update={"nip": p(r.nip)}) for r in instance.requests)
        pairs = tuple(pr.model_copy(update={"nip_a": p(pr.nip_a), "nip_b": p(pr.nip_b)}) for pr in instance.pairs)
        return instance.model_copy(update={"employees": employees, "leave": leave, "requests": requests,
                                           "pairs": pairs, "input_hash": public_hash(self._key.decode("utf-8"))})

    def result(self, result: Result) -> Result:
        """The result with pseudonyms in its schedule, messages, employee lists and details."""
        return replace(result,
                       schedule=None if result.schedule is None else self.roster(result.schedule),
                       infeasibility=self.scrub(list(result.infeasibility)),
                       violations=self.scrub(list(result.violations)),
                       details=self.scrub(dict(result.details)))


def anonymize(instance: Instance, result: Result) -> tuple[Instance, Result]:
    """The instance and result as ``--anonymize`` writes them: names and NIPs replaced by stable pseudonyms.

    Parameters
    ----------
    instance
        The solved instance (its ``input_hash`` keys the pseudonyms).
    result
        What :func:`solver.solve` returned for it.

    Returns
    -------
    tuple[Instance, Result]
        Copies with every NIP (in the schedule, infeasibility and violation
        messages and employee lists, re-planning details) and every name replaced;
        figures and modes unchanged.
    """
    pseudonyms = Pseudonyms(instance)
    return pseudonyms.instance(instance), pseudonyms.result(result)
