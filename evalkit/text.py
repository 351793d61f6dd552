"""What text evalkit accepts in its input files (kept apart from :mod:`evalkit.tables` so
that the YAML models can use it without importing pandas)."""

from __future__ import annotations

#: Characters that no report, spreadsheet cell or XML file can hold (tab, line feed and
#: carriage return are fine): text holding one is refused, not silently altered.
CONTROL_CHARACTERS = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]))


def control_character_problem(text: str) -> str | None:
    """What is wrong with ``text`` if it holds a control character, else None.

    Examples
    --------
    >>> control_character_problem("标准体系\\x07框架")
    'contains the control character U+0007, which reports and spreadsheets cannot show; remove it'
    >>> control_character_problem("标准体系\\n框架") is None
    True
    """
    found = next((char for char in text if char in CONTROL_CHARACTERS), None)
    if found is None:
        return None
    return f"contains the control character U+{ord(found):04X}, which reports and spreadsheets cannot show; remove it"
