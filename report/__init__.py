"""What a planner reads: schedule.csv, report.json, schedule.xlsx, report.html (SPEC §4) and the terminal."""
from .i18n import tr
from .tables import safe_text
from .terminal import SolveProgress, print_summary
from .writer import OutputFolderError, build_report, write_outputs

__all__ = ["OutputFolderError", "SolveProgress", "build_report", "print_summary", "safe_text", "tr",
           "write_outputs"]
