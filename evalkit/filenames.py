"""Names that no report file may take, whatever the platform (kept apart from
:mod:`evalkit.report` so that validation can use them without importing the report package)."""

from __future__ import annotations

#: Windows device names: ``CON.html`` or ``com1.ipynb`` can be neither created nor opened there.
WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                              *(f"LPT{i}" for i in range(1, 10))})
