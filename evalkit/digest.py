"""sha256 of files and bytes: the one way evalkit fingerprints what it reads and writes.

Every sha256 evalkit records or compares — inputs in ``manifest.json``, report pages, PDFs,
the keys that decide whether a page is out of date — is computed here, with
:func:`hashlib.file_digest` for files (read in large blocks, without holding the file in
memory).
"""

from __future__ import annotations

import hashlib
import os
from typing import Literal, overload

#: What :func:`sha256_file` treats as "no file here" when ``missing_ok`` is set.
_NO_FILE = (FileNotFoundError, IsADirectoryError, NotADirectoryError)


@overload
def sha256_file(path: str | os.PathLike[str], *, missing_ok: Literal[False] = False) -> str: ...


@overload
def sha256_file(path: str | os.PathLike[str], *, missing_ok: Literal[True]) -> str | None: ...


def sha256_file(path: str | os.PathLike[str], *, missing_ok: bool = False) -> str | None:
    """The sha256 of a file's bytes, as 64 lowercase hex digits.

    Parameters
    ----------
    path : path
    missing_ok : bool, default False
        Return None when there is no file at ``path`` (nothing there, a directory, or a
        path through a file) instead of raising.

    Raises
    ------
    FileNotFoundError
        No file at ``path`` (without ``missing_ok``).

    Examples
    --------
    >>> sha256_file("no such file", missing_ok=True) is None
    True
    """
    try:
        with open(path, "rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest()
    except _NO_FILE:
        if missing_ok:
            return None
        raise


def sha256_bytes(data: bytes) -> str:
    """The sha256 of ``data`` as 64 lowercase hex digits.

    Examples
    --------
    >>> sha256_bytes(b"")[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256(data).hexdigest()
