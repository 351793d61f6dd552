"""Calling functions at the same time in forked child processes: the machine's other cores.

``evalkit score`` reads its tables, scores its pilots and standards and writes its files in
Python, one core at a time. Where two of those steps do not depend on each other,
:func:`call_all` runs them side by side: each in a child process forked for it, which
starts with this process's memory (the campaign, the scores: nothing is copied to it) and
sends its result back pickled.

Forking is used only where it is safe and of use: on Linux, with more than one CPU to run
on, in a process running no other thread (a thread holding a lock at the fork would leave
it held in the child forever — Jupyter kernels and Dask workers run several threads), and
not in a daemonic process (which may not have children). Elsewhere the functions are
called one after the other in this process, with the same results.

On the 2-core development machine the two processes slow each other down by about a third
(they share the memory bus), so two steps side by side take about two thirds of their
time one after the other, not half: ``benchmarks/README.md`` has the figures.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any


def can_fork() -> bool:
    """Whether :func:`call_all` runs functions in forked child processes here."""
    return (sys.platform.startswith("linux") and len(os.sched_getaffinity(0)) > 1
            and threading.active_count() == 1 and not multiprocessing.current_process().daemon)


def call_all(functions: Sequence[Callable[[], Any]]) -> list[Any]:
    """Call every function, the first in this process and each other one in a child
    process forked for it, at the same time; return their results in order.

    Parameters
    ----------
    functions : sequence of callables without arguments
        Their results must pickle (they come back from a child process); they must not
        rely on changes made to this process's objects by the others (a child's changes
        stay in the child).

    Returns
    -------
    list
        The results, in the order of ``functions``.

    Raises
    ------
    BaseException
        What the first failing function (in the order of ``functions``) raised, once every
        child has ended — what calling them one after the other raises. A child that dies
        without a result (killed, out of memory) raises :class:`ChildProcessError`.

    Notes
    -----
    Where :func:`can_fork` is False, the functions are called one after the other here; so
    is a function whose child process cannot be started (``fork`` failing for lack of
    memory or processes).
    """
    if len(functions) < 2 or not can_fork():
        return [function() for function in functions]
    context = multiprocessing.get_context("fork")
    children: dict[int, tuple[multiprocessing.process.BaseProcess, Connection]] = {}
    try:
        for number, function in enumerate(functions[1:], start=1):
            receiver, sender = context.Pipe(duplex=False)
            child = context.Process(target=_send_outcome, args=(function, sender), name="evalkit-fork")
            try:
                child.start()
            except OSError:  # no process to be had (memory, process limit): called here instead
                receiver.close()
                continue
            finally:
                sender.close()
            children[number] = (child, receiver)
        outcomes = [_received(*children[number]) if number in children else _outcome(function)
                    for number, function in enumerate(functions)]
    finally:
        for child, receiver in children.values():
            if child.is_alive():  # this process was interrupted: do not leave the child running
                child.kill()
            child.join()
            receiver.close()
    for succeeded, value in outcomes:
        if not succeeded:
            raise value
    return [value for _, value in outcomes]


def _outcome(function: Callable[[], Any]) -> tuple[bool, Any]:
    """(True, result) or (False, the exception raised); KeyboardInterrupt and the like propagate."""
    try:
        return True, function()
    except Exception as error:
        return False, error


def _send_outcome(function: Callable[[], Any], sender: Connection) -> None:
    """In the child: call ``function`` and send its outcome; an exception carries the
    child's traceback as a note (its frames do not pickle). Ctrl-C is the parent's to
    handle: it kills the child (see :func:`call_all`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    succeeded, value = _outcome(function)
    if not succeeded:
        value.add_note("in a forked child process:\n" + "".join(traceback.format_exception(value)).rstrip())
    try:
        sender.send((succeeded, value))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent is gone (killed): nobody to tell
    except Exception as error:  # the result or the exception does not pickle
        sender.send((False, ChildProcessError(f"the result of a forked child process could not be sent back: "
                                              f"{error!r}")))
    sender.close()


def _received(child: multiprocessing.process.BaseProcess, receiver: Connection) -> tuple[bool, Any]:
    try:
        return receiver.recv()
    except EOFError:
        child.join()
        return False, ChildProcessError(f"a forked child process ended without a result (exit code {child.exitcode})")
    except Exception as error:  # what was sent does not unpickle
        return False, ChildProcessError(f"the result of a forked child process could not be received: {error!r}")
