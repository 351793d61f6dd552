"""Problems found in user input, and the exception that carries them.

Every malformed input is reported as a :class:`Problem` naming the file, the row as a
person sees it in the file or spreadsheet (header = row 1), and the column. Loading
collects *every* problem before raising one :class:`DataError`, so that an evaluator
can fix a whole file in one pass.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One defect in an input file.

    Attributes
    ----------
    file : str
        The file as the user would type it (relative to the working directory when
        possible).
    row : int or None
        Line or spreadsheet row (1 = header row of a table, or line 1 of a YAML file).
    column : str or None
        Column header, YAML key or questionnaire item.
    message : str
        What is wrong, in the evaluator's words.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        row = "" if self.row is None else str(self.row)
        column = "" if self.column is None else str(self.column)
        return f"{self.file}:{row}:{column}: {self.message}"


class DataError(Exception):
    """Bad input: carries every :class:`Problem` found, sorted by file, row and column."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=_problem_sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple:
        """Pickle with the problems (a forked child process sends its DataError back)."""
        return type(self), (self.problems,), self.__dict__


class UsageError(ValueError):
    """A request that cannot be carried out as asked (unknown ``--only`` id, ``--jobs 0`` …): exit code 2."""


def _problem_sort_key(problem: Problem) -> tuple:
    return (problem.file, problem.row or 0, problem.column or "", problem.message)


def display_path(path: str | os.PathLike[str]) -> str:
    """The path as a user would type it: relative to the working directory when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
