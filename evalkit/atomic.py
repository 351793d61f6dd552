"""Writing files so that a reader never sees half of one: all of them replaced, or none.

Every file evalkit writes into a report directory — score files, report pages and their
executed notebooks, PDFs, ``manifest.json`` — and every file ``evalkit demo`` writes goes
through :func:`write_all_atomic` (or :func:`write_atomic` for one file): each content is
written in full to a temporary file beside its target, and only when all of them are
written are they moved into place with :func:`os.replace`, which needs no space and is
atomic on one file system. A failure (a full disk, a read-only folder, an exception while
producing a content) replaces nothing and leaves no temporary behind; a process killed
while writing leaves at most its temporaries, which :func:`remove_stray_temporaries`
removes on the next run.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import BinaryIO

import psutil

#: A file's content: its bytes, or a function writing them to a binary stream (a large
#: file need not be held in memory).
Content = bytes | Callable[[BinaryIO], None]

#: The temporary files: ``.<name>.<pid of the writer>.<random>.tmp``.
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[a-z0-9_]{8}\.tmp$")
#: Permissions of a written file (``mkstemp`` creates its temporary as 0600).
FILE_MODE = 0o644


def write_atomic(path: Path, data: Content) -> Path:
    """Write one file through a temporary file beside it and :func:`os.replace`; returns ``path``."""
    return write_all_atomic({path: data})[0]


def write_all_atomic(files: Mapping[Path, Content]) -> list[Path]:
    """Write several files so that either all are replaced or none is.

    Parameters
    ----------
    files : mapping of Path to bytes or callable
        Each target and its content: the bytes, or a function writing them to a binary
        stream. The target's folder must exist.

    Returns
    -------
    list of Path
        The targets, in the order given.

    Notes
    -----
    Every content is first written in full to a temporary file in its target's folder;
    only when all are written (a full disk or a read-only folder fails here, with nothing
    replaced) are they moved into place, in the order given.
    """
    staged: dict[Path, str] = {}
    try:
        for path, content in files.items():
            stem = path.name.encode("utf-8")[:100].decode("utf-8", "ignore")  # long names: not too long a temp
            handle, staged[path] = tempfile.mkstemp(prefix=f".{stem}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(handle, "wb") as stream:
                if callable(content):
                    content(stream)
                else:
                    stream.write(content)
            os.chmod(staged[path], FILE_MODE)
        for path, temporary in staged.items():
            os.replace(temporary, path)
    except BaseException:
        for temporary in staged.values():
            Path(temporary).unlink(missing_ok=True)
        raise
    return list(files)


def remove_stray_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files that killed writers left in ``folder`` and its subfolders.

    A process killed while writing (SIGKILL, power cut, out of memory) cannot remove its
    temporary file; the file it was replacing is intact, but the temporary stays behind.
    Those whose writer process no longer exists are removed (a live writer's are left
    alone); returns the files removed.
    """
    removed: list[Path] = []
    root = Path(folder)
    if not root.is_dir():
        return removed
    for path in root.rglob(".*.tmp"):
        match = _TEMPORARY.match(path.name)
        if match and path.is_file() and not psutil.pid_exists(int(match.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
