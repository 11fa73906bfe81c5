"""The instance: one immutable, validated object that the solver and checker read.

Every rule of SPEC §2 reads its data from here; nothing in ``solver/`` parses or
validates. Loading from files is in :mod:`models.load`.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MODES = ("WFH", "WFO", "LEAVE")
GOALS = ("wfh", "wfh_km", "fairness", "preferences")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _fraction(value: Decimal, what: str) -> Decimal:
    if not (Decimal(0) <= value <= Decimal(1)):
        raise ValueError(f"{what} must be between 0 and 1, got {value}")
    return value


class Category(_Frozen):
    label: str = ""
    max_wfh: Decimal

    @field_validator("max_wfh", mode="before")
    @classmethod
    def _exact(cls, v):
        return _decimal(v)

    @field_validator("max_wfh")
    @classmethod
    def _range(cls, v):
        return _fraction(v, "max_wfh")


class Phase(_Frozen):
    name: str
    start: dt.date
    end: dt.date
    max_wfh: dict[str, Decimal] = Field(default_factory=dict)

    @field_validator("max_wfh", mode="before")
    @classmethod
    def _exact(cls, v):
        if isinstance(v, dict):
            return {k: _decimal(x) for k, x in v.items()}
        return v

    @field_validator("max_wfh")
    @classmethod
    def _range(cls, v):
        for k, x in v.items():
            _fraction(x, f"max_wfh of {k}")
        return v

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError(f"phase '{self.name}' ends ({self.end}) before it starts ({self.start})")
        return self


class Rules(_Frozen):
    max_consecutive_wfh: int | None = Field(default=None, ge=1)
    min_wfo_per_week: int | None = Field(default=None, ge=0, le=7)


class Employee(_Frozen):
    nip: str
    unit: str
    category: str
    team: str | None = None
    name: str | None = None
    domicile: str | None = None
    commute_km: Decimal = Decimal(0)
    essential: bool = False
    office: str | None = None

    @field_validator("commute_km")
    @classmethod
    def _nonneg(cls, v):
        if v < 0:
            raise ValueError("commute_km must not be negative")
        return v


class Team(_Frozen):
    team: str
    unit: str
    min_onsite: int = Field(default=0, ge=0)
    min_onsite_ratio: Decimal = Decimal(0)
    team_days_per_week: int | None = Field(default=None, ge=0, le=5)
    team_days: tuple[int, ...] = ()  # weekday numbers, 0 = Monday

    @field_validator("min_onsite_ratio")
    @classmethod
    def _range(cls, v):
        return _fraction(v, "min_onsite_ratio")


class Leave(_Frozen):
    nip: str
    start: dt.date
    end: dt.date
    type: str | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError(f"leave ends ({self.end}) before it starts ({self.start})")
        return self


class Request(_Frozen):
    nip: str
    date: dt.date | None = None      # a dated request ...
    weekday: int | None = None       # ... or every such weekday (0 = Monday)
    mode: Literal["WFH", "WFO"]
    strength: Literal["must", "prefer"] = "prefer"
    weight: Decimal = Decimal(1)

    @field_validator("weight")
    @classmethod
    def _nonneg(cls, v):
        if v < 0:
            raise ValueError("weight must not be negative")
        return v


class Office(_Frozen):
    office: str
    desks: int = Field(ge=0)


class Pair(_Frozen):
    nip_a: str
    nip_b: str
    rule: Literal["cover", "together"] = "cover"


MAX_PLACES = 9


def check_places(d: Decimal) -> Decimal:
    """At most nine decimal places, so that products with head counts stay exact in decimal arithmetic."""
    sign, digits, exponent = d.as_tuple()
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    while places and digits and digits[-1] == 0:
        digits, places = digits[:-1], places - 1
    if places > MAX_PLACES:
        raise ValueError(f"at most {MAX_PLACES} decimal places, got {d}")
    return d


def _decimal(v):
    """Caps and ratios are exact decimals: 0.57 is 57/100, never a binary float."""
    if isinstance(v, Decimal):
        return v
    if isinstance(v, bool):
        raise ValueError("expected a number")
    if isinstance(v, (int, float, str)):
        try:
            d = Decimal(str(v).strip())
        except Exception:
            raise ValueError(f"expected a number, got {v!r}") from None
        if not d.is_finite():
            raise ValueError(f"expected a finite number, got {v!r}")
        return check_places(d)
    raise ValueError(f"expected a number, got {v!r}")


class Instance(_Frozen):
    """A hybrid-work planning instance (SPEC §1), validated and immutable.

    Change it for a what-if with ``model_copy(update=...)``.
    """

    name: str = "instance"
    window_start: dt.date
    window_end: dt.date
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    holiday_dates: tuple[dt.date, ...] = ()
    extra_days_off: tuple[dt.date, ...] = ()
    categories: dict[str, Category]
    phases: tuple[Phase, ...] = ()
    cap_scope: Literal["unit", "team", "all"] = "unit"
    rules: Rules = Rules()
    objective: tuple[Literal["wfh", "wfh_km", "fairness", "preferences"], ...] = ("wfh", "fairness", "preferences")
    employees: tuple[Employee, ...]
    teams: tuple[Team, ...] = ()
    leave: tuple[Leave, ...] = ()
    requests: tuple[Request, ...] = ()
    offices: tuple[Office, ...] = ()
    pairs: tuple[Pair, ...] = ()
    input_hash: str = ""

    @model_validator(mode="after")
    def _window(self):
        if self.window_end < self.window_start:
            raise ValueError(f"window ends ({self.window_end}) before it starts ({self.window_start})")
        if len(set(self.objective)) != len(self.objective):
            raise ValueError("objective lists a goal twice")
        if "wfh" in self.objective and "wfh_km" in self.objective:
            raise ValueError("objective may use wfh or wfh_km, not both")
        return self

    def model_copy(self, *, update=None, deep: bool = False):
        """A changed copy (what-if runs); derived lookups are recomputed, not copied."""
        copied = super().model_copy(update=update, deep=deep)
        for name, attr in type(self).__dict__.items():
            if isinstance(attr, cached_property):
                copied.__dict__.pop(name, None)
        return copied

    # ------------------------------------------------------------------ calendar
    @cached_property
    def days_off(self) -> frozenset[dt.date]:
        """Dates in the window that are not working days although their weekday is."""
        off = set(self.holiday_dates) | set(self.extra_days_off)
        if self.holiday_country:
            import holidays

            years = range(self.window_start.year, self.window_end.year + 1)
            off |= set(holidays.country_holidays(self.holiday_country, subdiv=self.holiday_subdivision,
                                                 years=years).keys())
        return frozenset(off)

    @cached_property
    def working_days(self) -> tuple[dt.date, ...]:
        """The working days of the window, in order."""
        days = []
        d = self.window_start
        while d <= self.window_end:
            if d.weekday() in self.workdays and d not in self.days_off:
                days.append(d)
            d += dt.timedelta(days=1)
        return tuple(days)

    def cap(self, category: str, day: dt.date) -> Decimal:
        """The WFH cap of a category on a day: the last phase listing it, else its default (SPEC §7.1)."""
        value = self.categories[category].max_wfh
        for phase in self.phases:
            if phase.start <= day <= phase.end and category in phase.max_wfh:
                value = phase.max_wfh[category]
        return value

    # ------------------------------------------------------------------ lookups
    @cached_property
    def team_by_id(self) -> dict[str, Team]:
        return {t.team: t for t in self.teams}

    @cached_property
    def office_by_id(self) -> dict[str, Office]:
        return {o.office: o for o in self.offices}

    @cached_property
    def employee_index(self) -> dict[str, int]:
        return {e.nip: i for i, e in enumerate(self.employees)}

    @cached_property
    def uses_km(self) -> bool:
        return "wfh_km" in self.objective

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, folder) -> "Instance":
        """Load an instance folder (``instance.yaml`` and its tables); see :func:`models.load.load_instance`."""
        from .load import load_instance

        return load_instance(folder)
