"""Standard codes (标准编号) as registers, checklists and questionnaires write them.

Registers spell one code in several ways. :func:`normalise_codes` maps every spelling to one
*normalised code*, the identity of a standard edition:

1. Unicode NFKC — full-width letters, digits, ``／``, ``：``, ``．`` and the ideographic
   space become their ASCII forms (``ＧＢ／Ｔ　２４４２１`` → ``GB/T 24421``);
2. every dash (‐ ‑ ‒ – — ― − ﹘ ﹣) becomes ``-``;
3. ASCII letters are upper-cased (``gb/t`` → ``GB/T``; Chinese is left alone);
4. runs of white space become one space, leading and trailing space is dropped, and spaces
   around ``/``, ``-``, ``:`` and ``.`` are removed (``GB / T 24421 . 1 - 2023``);
5. one space separates the prefix from the number when it was left out: after the last
   ``/…`` part of the prefix (``GB/T24421.1-2023`` → ``GB/T 24421.1-2023``,
   ``DB31/T1000`` → ``DB31/T 1000``, ``Q/上海001`` → ``Q/上海 001``) or, for a prefix
   without ``/``, after its letters (``ISO9001:2015`` → ``ISO 9001:2015``) — except
   ``DB`` followed by digits, whose digits are the province code (``DB31 …``); a space
   written between them is removed (``DB 31/T 1000`` → ``DB31/T 1000``).

The *year* of an edition is the code's trailing ``-YYYY`` (Chinese standards) or ``:YYYY``
(ISO/IEC); its *number* is the code without that suffix (``GB/T 24421.1-2023`` →
``GB/T 24421.1``). A dual number (``GB/T 19001-2016/ISO 9001:2015``) is the first code's:
``GB/T 19001`` of 2016. Codes without a four-digit year (``Q/上海 001``) have no year: their age is
missing and they are never superseded.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

__all__ = ["code_levels", "code_numbers", "code_years", "normalise_codes"]

_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63", "-"))
_YEAR = r"[-:](\d{4})(?=$|/)"  # the first edition year; GB/T 19001-2016/ISO 9001:2015 is GB/T 19001's of 2016



def normalise_codes(codes: pd.Series) -> pd.Series:
    """The normalised code of every cell (see the module notes for the rule); NA stays NA.

    Parameters
    ----------
    codes : Series
        Standard codes as written in a register, checklist or questionnaire.

    Returns
    -------
    Series
        Same index, object dtype.

    Examples
    --------
    >>> normalise_codes(pd.Series(["GB/T24421.1-2023", "ＧＢ／Ｔ　２４４２１．１－２０２３",
    ...                            " gb / t 24421.1—2023 ", "DB31/T1000-2016", "Q/上海001", None])).tolist()
    ['GB/T 24421.1-2023', 'GB/T 24421.1-2023', 'GB/T 24421.1-2023', 'DB31/T 1000-2016', 'Q/上海 001', nan]
    """
    position, distinct = pd.factorize(codes)
    results = np.array([np.nan, *map(_normalise_code, distinct.astype(str).tolist())], dtype=object)
    return pd.Series(results[position + 1], index=codes.index, dtype=object)


_SPACES = re.compile(r"\s+")
_AROUND_SEPARATOR = re.compile(r"\s*([/\-:.])\s*")
_PREFIX_AFTER_SLASH = re.compile(r"(/[^/\s\d]+)(?=\d)")
_LEADING_PREFIX = re.compile(r"^(?!DB\d)([A-Z]+)(?=\d)")
_DB_PROVINCE = re.compile(r"^DB (\d+)(?=/)")  # DB 31/T 1000 -> DB31/T 1000: the province code is the prefix's


#: Codes that are already normal (``GB/T 24421.1-2023``, ``DB31/T 1000-2016``, ``ISO 9001:2015``):
#: ASCII capitals, one space before the number and no other, no prefix glued to a number
#: but ``DB31``'s; :func:`_respelt_code` returns them unchanged (a property test checks it).
_NORMAL_CODE = re.compile(r"(?:DB\d+|[A-Z]+)(?:/[A-Z]+)? \d[\d.:\-]*", re.ASCII)


@lru_cache(maxsize=1 << 18)  # registers, checklists and questionnaires repeat the same codes
def _normalise_code(text: str) -> str:
    """:func:`normalise_codes` of one code."""
    return text if _NORMAL_CODE.fullmatch(text) else _respelt_code(text)


def _respelt_code(text: str) -> str:
    """:func:`_normalise_code` of a code in any spelling."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", text).translate(_DASHES).upper()).strip()
    text = _DB_PROVINCE.sub(r"DB\1", _AROUND_SEPARATOR.sub(r"\1", text))
    return _LEADING_PREFIX.sub(r"\1 ", _PREFIX_AFTER_SLASH.sub(r"\1 ", text))


def code_years(codes: pd.Series) -> pd.Series:
    """The edition year of normalised codes: ``-YYYY`` or ``:YYYY`` at the end (or, in a
    dual number such as ``GB/T 19001-2016/ISO 9001:2015``, of its first code), else NaN.

    Examples
    --------
    >>> code_years(pd.Series(["GB/T 24421.1-2023", "ISO 9001:2015", "IEC 62271-1:2017", "Q/上海 001",
    ...                       "GB/T 19001-2016/ISO 9001:2015"])).tolist()
    [2023.0, 2015.0, 2017.0, nan, 2016.0]
    """
    return codes.astype(object).str.extract(_YEAR, expand=False).astype(float)


def code_numbers(codes: pd.Series) -> pd.Series:
    """The standard number of normalised codes: the code up to its year (:func:`code_years`).

    Examples
    --------
    >>> code_numbers(pd.Series(["GB/T 24421.1-2023", "ISO 9001:2015", "IEC 62271-1", "Q/上海 001",
    ...                         "GB/T 19001-2016/ISO 9001:2015"])).tolist()
    ['GB/T 24421.1', 'ISO 9001', 'IEC 62271-1', 'Q/上海 001', 'GB/T 19001']
    """
    return codes.astype(object).str.replace(_YEAR + r".*$", "", regex=True)


#: The level a code's prefix says: GB, GB/T, GB/Z national; DB local; T/ group; Q/
#: enterprise; ISO, IEC, ITU international; any other sector prefix (NY/T, MZ/T, SB/T, JT/T,
#: HJ …) industry. The first group that matches names the level.
_PREFIX_LEVEL = re.compile(
    r"^(?:(?P<national>GB(?:/[TZ])?\b)|(?P<local>DB\d*(?:\b|/))|(?P<group>T/)|(?P<enterprise>Q/)"
    r"|(?P<international>(?:ISO|IEC|ITU)(?:[/ ]|-|$))|(?P<industry>[A-Z]{1,4}(?:/[TZ])? \d))")


def code_levels(codes: pd.Series) -> pd.Series:
    """The level (``national``, ``local``, ``group``, ``enterprise``, ``international``,
    ``industry``) each normalised code's prefix says; NA when it says none.

    Examples
    --------
    >>> code_levels(pd.Series(["GB/T 24421.1-2023", "GB 2763-2021", "DB31/T 1000-2016", "T/SHJT 003-2022",
    ...                        "Q/HPMZ 001-2022", "ISO 9001:2015", "NY/T 391-2013", "MZ/T 032-2012", "规范2"])).tolist()
    ['national', 'national', 'local', 'group', 'enterprise', 'international', 'industry', 'industry', nan]
    """
    position, distinct = pd.factorize(codes)
    results = np.array([np.nan, *map(_code_level, distinct.astype(str).tolist())], dtype=object)
    return pd.Series(results[position + 1], index=codes.index, dtype=object)


def _code_level(code: str) -> object:
    return _prefix_level(code.split(" ", 1)[0] + (" 0" if " " in code else ""))


@lru_cache(maxsize=4096)  # codes repeat their prefixes: GB/T, DB31/T, T/SHJT …
def _prefix_level(prefix: str) -> object:
    match = _PREFIX_LEVEL.match(prefix)
    return np.nan if match is None else match.lastgroup
