"""evalkit: evaluation of standardization pilot projects and standard implementation.

The public API (SPEC §9)::

    import evalkit as ek
    campaign = ek.load_campaign("params/demo.yaml")
"""

from evalkit.campaign import Campaign, load_campaign
from evalkit.errors import DataError, Problem

__version__ = "0.1.0"

__all__ = ["Campaign", "DataError", "Problem", "__version__", "load_campaign"]
