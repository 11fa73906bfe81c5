"""report/terminal.py: the summary table and the live progress line."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from rich.console import Console

from report import SolveProgress, print_summary


def _render(obj, lang):
    buf = io.StringIO()
    print_summary(obj, lang, Console(file=buf, width=120, color_system=None))
    return buf.getvalue()


def test_summary_of_a_result_in_both_languages(instance, result_for):
    result = result_for(instance)
    en, id_ = _render(result, "en"), _render(result, "id")
    assert "WFH employee-days" in en and "optimal" in en and "Fairness (largest deviation)" in en
    assert "Hari-orang WFH" in id_ and "Keadilan (selisih terbesar)" in id_ and "WFH employee-days" not in id_


@dataclass
class _Check:
    violations: list = field(default_factory=list)
    figures: dict = field(default_factory=dict)

    @property
    def ok(self):
        return not self.violations

    def counts(self):
        return {"cap": len(self.violations), "pairs": 0}


def test_summary_of_a_check():
    text = _render(_Check(violations=[object(), object()], figures={"employees": 5}), "en")
    assert "violations found" in text and "3 category cap" in text and "10 pairs" not in text


def test_progress_is_silent_off_a_terminal():
    buf = io.StringIO()
    with SolveProgress(console=Console(file=buf)) as progress:
        progress("wfh", 10, 12, 0.5)
        progress({"done": 1, "total": 3, "elapsed": 0.7})
    assert not progress.enabled and buf.getvalue() == ""
    assert progress.last == {"done": 1, "total": 3, "elapsed": 0.7}


def test_progress_quiet_wins():
    assert not SolveProgress(quiet=True, enabled=True).enabled


def test_progress_names_the_goal_part_value_and_bound_in_both_languages():
    event = {"part": 2, "goal": "fairness", "value": 1.5, "bound": 0.75, "done": 3, "total": 5, "elapsed": 4.25}
    for lang, words in (("en", ["Solving", "part 2 of 5", "3 done", "best 1.5", "bound 0.75", "4.2 s"]),
                        ("id", ["Menyelesaikan", "bagian 2 dari 5", "3 selesai", "terbaik 1.5", "batas 0.75"])):
        with SolveProgress(lang=lang, console=Console(file=io.StringIO())) as progress:
            progress(event)
        assert progress.last == event
        for word in words:
            assert word in progress.text, (word, progress.text)
