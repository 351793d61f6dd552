"""Process-wide state that one report must not leak into the next (in-process execution).

A worker executes report after report in its own interpreter (:mod:`evalkit.batch.kernel`).
Each notebook gets a fresh namespace, but modules are shared, and a notebook may change
module-level state that a later notebook would see: matplotlib's ``rcParams``, pandas
options, numpy's error handling and print options, warnings filters, the global random
generators, the working directory, ``sys.path``, environment variables, the root logger.
:class:`ProcessState` captures all of these; the kernel captures a *baseline* once, when
the worker is ready and before it runs any notebook, and puts it back before every
notebook — so whatever ran before, every report starts from the same state and a report
rendered alone is identical to the same report rendered in a batch, in any order.

The global random generators (:mod:`random` and ``numpy.random``) are re-seeded with
:data:`SEED` before every notebook rather than restored, so a notebook that draws random
numbers without seeding gets the same numbers in every worker, alone or in a batch.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import warnings
from dataclasses import dataclass
from typing import Any

#: Seed of the global random generators at the start of every notebook.
SEED = 0
#: rcParams that are not style: reading ``backend`` resolves (and may switch) the backend.
_RC_SKIP = frozenset({"backend", "backend_fallback"})


def _rc_get(rc: Any) -> Any:
    return getattr(rc, "_get", None) or (lambda key: dict.__getitem__(rc, key))


def _matplotlib_state() -> dict[str, Any] | None:
    mpl = sys.modules.get("matplotlib")
    if mpl is None or not hasattr(mpl, "rcParams"):
        return None
    get = _rc_get(mpl.rcParams)
    return {key: get(key) for key in mpl.rcParams if key not in _RC_SKIP}


def _pandas_state() -> dict[str, Any] | None:
    pd = sys.modules.get("pandas")
    if pd is None or not hasattr(pd, "get_option"):
        return None
    try:
        from pandas._config import config
        names = [name for name in config._registered_options if name not in config._deprecated_options]
    except (ImportError, AttributeError):  # a pandas without these internals: leave its options alone
        return None
    return {name: pd.get_option(name) for name in names}


def _numpy_state() -> tuple[dict[str, Any], dict[str, Any]] | None:
    np = sys.modules.get("numpy")
    if np is None or not hasattr(np, "geterr"):
        return None
    return np.geterr(), np.get_printoptions()


@dataclass
class ProcessState:
    """A snapshot of the module-level state listed in the module docstring."""

    cwd: str
    path: list[str]
    environ: dict[str, str]
    filters: list[Any]
    root_level: int
    root_handlers: list[logging.Handler]
    matplotlib: dict[str, Any] | None
    pandas: dict[str, Any] | None
    numpy: tuple[dict[str, Any], dict[str, Any]] | None
    random_state: Any = None
    numpy_random_state: Any = None

    @classmethod
    def capture(cls) -> ProcessState:
        """The current state (of the modules imported so far)."""
        root = logging.getLogger()
        return cls(cwd=os.getcwd(), path=list(sys.path), environ=dict(os.environ), filters=list(warnings.filters),
                   root_level=root.level, root_handlers=list(root.handlers), matplotlib=_matplotlib_state(),
                   pandas=_pandas_state(), numpy=_numpy_state(), random_state=random.getstate(),
                   numpy_random_state=np.random.get_state() if (np := sys.modules.get("numpy")) else None)

    def restore(self, *, reseed: bool = True) -> None:
        """Put the captured state back; the random generators are re-seeded with :data:`SEED`,
        or with ``reseed=False`` given back their captured state (a caller's, after a notebook)."""
        if os.getcwd() != self.cwd:
            os.chdir(self.cwd)
        if sys.path != self.path:
            sys.path[:] = self.path
        if os.environ != self.environ:
            for name in set(os.environ) - set(self.environ):
                del os.environ[name]
            os.environ.update(self.environ)
        warnings.resetwarnings()  # also invalidates the "once"/"default" registries of every module
        warnings.filters[:] = self.filters
        root = logging.getLogger()
        root.setLevel(self.root_level)
        root.handlers[:] = self.root_handlers
        self._restore_matplotlib()
        self._restore_pandas()
        if self.numpy is not None:
            np = sys.modules["numpy"]
            np.seterr(**self.numpy[0])
            np.set_printoptions(**self.numpy[1])
        np = sys.modules.get("numpy")
        if reseed:
            random.seed(SEED)
            if np is not None:
                np.random.seed(SEED)
        else:
            random.setstate(self.random_state)
            if np is not None and self.numpy_random_state is not None:
                np.random.set_state(self.numpy_random_state)

    def _restore_matplotlib(self) -> None:
        if self.matplotlib is None:
            return
        mpl = sys.modules["matplotlib"]
        get = _rc_get(mpl.rcParams)
        changed = {key: value for key, value in self.matplotlib.items() if get(key) != value}
        if changed:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mpl.rcParams.update(changed)

    def _restore_pandas(self) -> None:
        if self.pandas is None:
            return
        pd = sys.modules["pandas"]
        for name, value in self.pandas.items():
            if pd.get_option(name) != value:
                pd.set_option(name, value)
