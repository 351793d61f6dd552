"""evalkit's version (as ``pyproject.toml`` gives it), at the bottom of the package so that
anything may name it."""

__version__ = "0.1.0"
