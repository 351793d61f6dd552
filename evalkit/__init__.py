"""evalkit: evaluation of standardization pilot projects and standard implementation.

The public API (docs/commands.md)::

    import evalkit as ek
    campaign = ek.load_campaign("params/demo.yaml")   # validated; raises ek.DataError
    scores = ek.score(campaign)                        # scores.table, scores.card(pilot_id)
    ek.run_reports(campaign, jobs=2)                   # every report, index and manifest.json

What if (docs/workbench.md)::

    ek.compare(scores, ek.score(campaign.replace(experts=new_table)))   # the pilots that changed
    ek.robustness(campaign, draws=1000, seed=0)                        # how safe each grade is
"""

from evalkit.campaign import Campaign
from evalkit.errors import DataError, Problem
from evalkit.load import load_campaign
from evalkit.robustness import robustness
from evalkit.scoring import Scores, score
from evalkit.version import __version__
from evalkit.whatif import compare


def __getattr__(name: str) -> object:
    """``run_reports`` is imported on first use: the batch machinery is heavy and notebooks don't need it."""
    if name == "run_reports":
        from evalkit.batch import run_reports

        return run_reports
    raise AttributeError(f"module 'evalkit' has no attribute {name!r}")

__all__ = ["Campaign", "DataError", "Problem", "Scores", "__version__", "compare", "load_campaign", "robustness",
           "run_reports", "score"]
