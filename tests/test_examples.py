"""The example scripts run (issue 6: the what-if example runs in CI)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_whatif_summit_cap_example_runs():
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "whatif_summit_cap.py")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    # it answers both questions: km saved per 5% step, and where team minimums take over
    assert "km" in done.stdout
    assert len(done.stdout.splitlines()) >= 5
