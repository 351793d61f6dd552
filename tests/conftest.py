"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A score cache (``EVALKIT_CACHE_DIR``) of the test module's own, not the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EVALKIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield
