"""The report pages: what the notebooks call, one method per section, and the index page.

A report notebook is a column of one-liners::

    report = PilotReport.load(campaign, pilot_id)
    report.header()
    report.overview()
    ...

Each method returns a :class:`~evalkit.report.html.Fragment` that Jupyter displays as
HTML and that the exported page keeps as it is. The data behind a page are in
``report.context`` (DataFrames and dicts) for anyone who wants to look further in
JupyterLab.
"""

from __future__ import annotations

import os

from evalkit.report import charts
from evalkit.report.cache import ScoredCampaign, load_scored
from evalkit.report.context import DistrictContext, PilotContext, district_context, index_context, pilot_context
from evalkit.report.html import Fragment, render_page, render_section, render_template
from evalkit.report.quality_context import quality_context

CampaignPath = str | os.PathLike[str] | None


class PilotReport:
    """The per-pilot acceptance report (SPEC §8), section by section."""

    template = "pilot.html.j2"

    def __init__(self, context: PilotContext):
        self.context = context

    @classmethod
    def load(cls, campaign: CampaignPath = None, pilot_id: str | None = None) -> PilotReport:
        """The report of ``pilot_id`` (default: the first pilot) of the campaign file ``campaign``.

        Parameters
        ----------
        campaign : path, optional
            The campaign file; None means the shipped demo campaign.
        pilot_id : str, optional

        Raises
        ------
        DataError
            The campaign does not load.
        KeyError
            The campaign has no pilot ``pilot_id``.
        """
        scored = load_scored(campaign)
        return cls(pilot_context(scored, pilot_id or _first(scored, "pilot_id")))

    def _section(self, name: str, *extra: object) -> Fragment:
        return render_section(self.template, name, self.context, *extra)

    def header(self) -> Fragment:
        """Title, pilot, total, grade, verdict and rank."""
        return self._section("header")

    def overview(self) -> Fragment:
        """一、试点概况: facts, dimension scores and their chart against the city mean."""
        frame = self.context.dimensions
        chart = charts.attainment_chart(frame["label"].tolist(), frame["attainment"].tolist(), frame["city"].tolist(),
                                        value_label="本试点", reference_label="全市平均")
        return self._section("overview", chart)

    def standards(self) -> Fragment:
        """二、标准体系: the register by level and status, and in full."""
        return self._section("standards")

    def inspection(self) -> Fragment:
        """三、标准实施: inspection conformity by standard."""
        return self._section("inspection")

    def survey(self) -> Fragment:
        """四、问卷调查: respondents, construct scores with intervals, Cronbach's α."""
        survey = self.context.survey
        chart = charts.construct_chart(survey.constructs) if survey is not None else None
        return self._section("survey", chart)

    def kpis(self) -> Fragment:
        """五、实施成效: KPIs before and after."""
        return self._section("kpis")

    def experts(self) -> Fragment:
        """六、专家评审: scores by expert and Kendall's W."""
        return self._section("experts")

    def scorecard(self) -> Fragment:
        """七、评分明细: every node of the scheme with its points and explanation."""
        return self._section("scorecard")

    def conclusion(self) -> Fragment:
        """八、验收结论: grade, vetoes and pass."""
        return self._section("conclusion")

    def suggestions(self) -> Fragment:
        """九、改进建议: the weakest indicators."""
        return self._section("suggestions")

    def provenance(self) -> Fragment:
        """Versions and input hashes."""
        return render_section("macros.html.j2", "provenance", self.context.provenance)


class DistrictReport:
    """The per-district report (SPEC §8), section by section."""

    template = "district.html.j2"

    def __init__(self, context: DistrictContext):
        self.context = context

    @classmethod
    def load(cls, campaign: CampaignPath = None, district: str | None = None) -> DistrictReport:
        """The report of ``district`` (default: the first district) of the campaign file ``campaign``.

        Raises
        ------
        DataError
            The campaign does not load.
        KeyError
            No pilot of the campaign is in ``district``.
        """
        scored = load_scored(campaign)
        return cls(district_context(scored, district or _first(scored, "district")))

    def _section(self, name: str, *extra: object) -> Fragment:
        return render_section(self.template, name, self.context, *extra)

    def header(self) -> Fragment:
        """Title and key figures."""
        return self._section("header")

    def summary(self) -> Fragment:
        """一、总体情况: pilots, pass rate and grades against the city."""
        return self._section("summary")

    def ranking(self) -> Fragment:
        """二、试点排名: the district's pilots by total."""
        return self._section("ranking")

    def distribution(self) -> Fragment:
        """三、得分分布: the district's totals within the city's distribution."""
        c = self.context
        chart = charts.distribution_chart(c.city_totals, c.totals, group_label=c.district,
                                          pass_mark=c.scheme.pass_mark, maximum=c.scheme.total + c.scheme.bonus_cap)
        return self._section("distribution", chart)

    def dimensions(self) -> Fragment:
        """四、各维度得分率: the district's mean attainment against the city's."""
        frame = self.context.dimensions
        chart = charts.attainment_chart(frame["label"].tolist(), frame["district"].tolist(), frame["city"].tolist(),
                                        value_label="本区平均", reference_label="全市平均")
        return self._section("dimensions", chart)

    def domains(self) -> Fragment:
        """五、领域分布: pilots, pass rate and mean total by domain."""
        return self._section("domains")

    def failed_standards(self) -> Fragment:
        """六、不符合项较多的标准: the standards most often failed on inspection in the district."""
        return self._section("failed_standards")

    def provenance(self) -> Fragment:
        """Versions and input hashes."""
        return render_section("macros.html.j2", "provenance", self.context.provenance)


def index_page(scored: ScoredCampaign) -> str:
    """The campaign's ``index.html``: every pilot and district with links, and summary charts."""
    c = index_context(scored)
    districts = c.districts.sort_values(["mean", "district"], ascending=[False, True])
    page_charts = {
        "grades": charts.bar_chart(c.grades["grade"].tolist(), c.grades["city"].tolist(), xlabel="试点数",
                                   value_format="{:.0f}"),
        "districts": charts.bar_chart(districts["district"].tolist(), districts["mean"].tolist(), xlabel="平均总分",
                                      value_format="{:.1f}", reference=c.scheme.pass_mark, reference_label="合格线"),
    }
    return render_page(c.title, render_template("index.html.j2", c=c, charts=page_charts))


def quality_page(scored: ScoredCampaign) -> str:
    """The campaign's ``quality.html``: methods and data quality (方法与数据质量)."""
    c = quality_context(scored)
    least_safe = c.robustness["least_safe"]
    chart = charts.bar_chart(least_safe["pilot_id"].tolist(), (100 * least_safe["p_grade_change"]).tolist(),
                             xlabel="等级改变概率（%）", value_format="{:.1f}%", reference=100 * c.robustness["unsafe_share"],
                             reference_label="5%")
    return render_page(c.title, render_template("quality.html.j2", c=c, chart=chart))


def _first(scored: ScoredCampaign, column: str) -> str:
    return str(scored.scores.table[column].sort_values(kind="stable").iloc[0])
