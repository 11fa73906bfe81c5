"""The one error a user mistake raises: it names the file, the row and the column."""
from __future__ import annotations


class InputError(Exception):
    """Bad input: a message a planner can act on, with where it is.

    Parameters
    ----------
    message
        What is wrong, in plain words.
    file
        The file at fault (as the user named it, relative to the instance).
    row
        1-based data row of a table (the header is row 0), if any.
    column
        The column of a table, if any.
    line
        1-based line of a YAML file, if known.
    key
        The dotted key of a YAML file, if any.
    """

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, line: int | None = None, key: str | None = None):
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.line = line
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.key:
            where.append(f"key '{self.key}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return (", ".join(where) + ": " if where else "") + self.message
