"""One writer at a time per report folder.

``evalkit run`` and ``evalkit score`` write a campaign's report folder — score files, pages,
``manifest.json``. Two of them at once on one folder would render every page twice and race
for the manifest (the last one written wins, describing only its own run). So each holds
the folder's lock, a file lock (:mod:`filelock`: ``fcntl`` on POSIX, ``msvcrt`` on Windows)
on ``.evalkit.lock`` in the folder (an empty file, left in place), for as long as it writes
there; a second one says that the folder is busy and waits for the first to finish, then
finds most pages up to date. The lock goes with the process: a run that is killed
releases it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

#: The lock file in a report folder.
LOCK_FILE = ".evalkit.lock"


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike[str], *, what: str = "evalkit") -> Iterator[None]:
    """Hold ``folder``'s lock while the block runs; wait, saying so once on stderr, while
    another process holds it.

    Parameters
    ----------
    folder : path
        The report folder (created when missing).
    what : str
        This command, for the message (``evalkit run``).
    """
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path / LOCK_FILE)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        print(f"{what}: another evalkit run or score is writing into {path}; waiting for it to finish …",
              file=sys.stderr, flush=True)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
