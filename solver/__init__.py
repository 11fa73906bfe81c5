"""giliran's solver: CP-SAT models of SPEC §2, the lexicographic search of §3, and the independent checker."""
from .solve import ScheduleRejected, solve

__all__ = ["ScheduleRejected", "solve"]
