"""giliran's data: the validated instance and its loading."""
from .errors import InputError
from .instance import (GOALS, MODES, WEEKDAYS, Category, Employee, Instance, Leave, Office, Pair,
                       Phase, Request, Rules, Team)
from .load import load_instance, read_table

__all__ = ["GOALS", "MODES", "WEEKDAYS", "Category", "Employee", "InputError", "Instance", "Leave",
           "Office", "Pair", "Phase", "Request", "Rules", "Team", "load_instance", "read_table"]
