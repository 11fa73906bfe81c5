"""The README shows a screenshot of the bundled instance's report (issue 5), kept in docs/."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_screenshot_kept_and_shown():
    shot = ROOT / "docs" / "report.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 20_000 < shot.stat().st_size <= 1_100_000
    assert "![report](docs/report.png)" in (ROOT / "README.md").read_text(encoding="utf-8")
