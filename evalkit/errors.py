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


@dataclass(frozen=True, order=True)
class Note:
    """Something evalkit guessed or skipped while reading an input, said once per kind and file.

    A note is not a problem: the input was read, and the note says how (a header found
    below a title row, section rows dropped, a column ignored, a sheet not read …), so
    that nothing is scored on a guess nobody was told about. ``validate``, ``score`` and
    ``run`` print every note; ``manifest.json`` records them and the reports list them.

    Attributes
    ----------
    file : str
        The input file, as :attr:`Problem.file`.
    kind : str
        What kind of guess or skip (an ASCII word such as ``header-row`` or
        ``section-rows``), so that notes can be grouped and tested.
    count : int
        How many rows, cells or columns it concerns (1 for a single fact).
    message : str
        What was done, in the evaluator's words (with the count where it matters).
    """

    file: str
    kind: str
    count: int
    message: str

    def __str__(self) -> str:
        return f"note: {self.file}: {self.message}"


class DataError(Exception):
    """Bad input: carries every :class:`Problem` found, sorted by file, row and column, and the
    :class:`Note` s of what was read (they often explain a problem: a column ignored, a row
    dropped)."""

    def __init__(self, problems: list[Problem], notes: tuple[Note, ...] = ()):
        self.problems = sorted(set(problems), key=_problem_sort_key)
        self.notes = tuple(notes)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple:
        """Pickle with the problems (an error raised in another process comes back pickled)."""
        return type(self), (self.problems, self.notes), self.__dict__


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
