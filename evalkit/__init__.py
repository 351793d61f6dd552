"""evalkit: evaluation of standardization pilot projects and standard implementation.

The public API (SPEC §9)::

    import evalkit as ek
    campaign = ek.load_campaign("params/demo.yaml")   # validated; raises ek.DataError
    scores = ek.score(campaign)                        # scores.table, scores.card(pilot_id)
"""

from evalkit.campaign import Campaign, load_campaign
from evalkit.errors import DataError, Problem
from evalkit.scoring import Scores, score

__version__ = "0.1.0"

__all__ = ["Campaign", "DataError", "Problem", "Scores", "__version__", "load_campaign", "score"]
