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
from typing import Any, ClassVar

from evalkit.report import charts
from evalkit.report.context.district import DistrictContext, district_context
from evalkit.report.context.facts import district_order
from evalkit.report.context.index import index_context, standards_overview
from evalkit.report.context.pilot import PilotContext, pilot_context
from evalkit.report.context.quality import quality_context
from evalkit.report.context.standard import StandardContext, standard_context
from evalkit.report.html import Fragment, index_script, render_page, render_section, render_template
from evalkit.scored import ScoredCampaign, scored_campaign

CampaignPath = str | os.PathLike[str] | None


class _Report:
    """What every report page has: its context, its template's sections, a header and provenance."""

    template: ClassVar[str]

    def __init__(self, context: Any):
        self.context = context

    def _section(self, name: str, *extra: object) -> Fragment:
        return render_section(self.template, name, self.context, *extra)

    def header(self) -> Fragment:
        """Title, key figures and verdict."""
        return self._section("header")

    def provenance(self) -> Fragment:
        """数据来源与可追溯信息: versions and input hashes."""
        return render_section("macros.html.j2", "provenance", self.context.provenance)


class PilotReport(_Report):
    """The per-pilot acceptance report (docs/reports.md), section by section."""

    template = "pilot.html.j2"

    context: PilotContext

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
        scored = scored_campaign(campaign)
        return cls(pilot_context(scored, pilot_id or str(scored.scores.table["pilot_id"].min())))

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

    def opinion(self) -> Fragment:
        """九、专家组意见: the expert group's opinion (the ``opinions`` table)."""
        return self._section("opinion")

    def suggestions(self) -> Fragment:
        """十、改进建议: the vetoes to remove first, then the weakest indicators."""
        return self._section("suggestions")

    def signature(self) -> Fragment:
        """评估组签字: the evaluating organisation, the team leader's signature and date."""
        return self._section("signature")


class DistrictReport(_Report):
    """The per-district report (docs/reports.md), section by section."""

    template = "district.html.j2"

    context: DistrictContext

    @classmethod
    def load(cls, campaign: CampaignPath = None, district: str | None = None) -> DistrictReport:
        """The report of ``district`` (default: the campaign's first district) of the campaign file ``campaign``.

        Raises
        ------
        DataError
            The campaign does not load.
        KeyError
            No pilot of the campaign is in ``district``.
        """
        scored = scored_campaign(campaign)
        return cls(district_context(scored, district or district_order(scored)[0]))

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


class StandardReport(_Report):
    """The per-standard implementation report (docs/reports.md), section by section."""

    template = "standard.html.j2"

    context: StandardContext

    @classmethod
    def load(cls, campaign: CampaignPath = None, std_code: str | None = None) -> StandardReport:
        """The report of ``std_code`` of the campaign file ``campaign``.

        Parameters
        ----------
        campaign : path, optional
            The campaign file; None means the shipped demo campaign.
        std_code : str, optional
            Default: the reported standard implemented by the most pilots (ties: by code).

        Raises
        ------
        DataError
            The campaign does not load.
        KeyError
            The campaign has no standard scheme or no such standard.
        """
        scored = scored_campaign(campaign)
        if std_code is None:
            overview = standards_overview(scored)
            if overview is None or overview.empty:
                raise KeyError(f"campaign '{scored.campaign.id}' has no standard with a report")
            std_code = str(overview["std_code"].iloc[0])
        return cls(standard_context(scored, std_code))

    def overview(self) -> Fragment:
        """一、标准概况: the standard, its edition and the evaluation at a glance."""
        return self._section("overview")

    def implementation(self) -> Fragment:
        """二、实施情况: the pilots that list it and whether they implement it, by district."""
        frame = self.context.districts
        chart = charts.bar_chart(frame["district"].tolist(), frame["implemented"].tolist(), xlabel="实施试点数",
                                 value_format="{:.0f}") if len(frame) > 1 else None
        return self._section("implementation", chart)

    def inspection(self) -> Fragment:
        """三、现场检查: conformity on the checklist items tied to the standard, with its Wilson interval."""
        return self._section("inspection")

    def awareness(self) -> Fragment:
        """四、标准知晓: staff answers to the questionnaire items naming the standard."""
        return self._section("awareness")

    def editions(self) -> Fragment:
        """五、版本与时效: age, newer editions and withdrawn or superseded listings."""
        return self._section("editions")

    def scorecard(self) -> Fragment:
        """六、评分明细: the standard implementation scheme, point by point."""
        return self._section("scorecard")

    def conclusion(self) -> Fragment:
        """七、评价结论: grade, vetoes and verdict."""
        return self._section("conclusion")


def index_page(scored: ScoredCampaign) -> str:
    """The campaign's ``index.html``: every pilot and district with links, and summary charts."""
    c = index_context(scored)
    # ranked by pass rate (a vetoed pilot counts as failed), then by the mean total of the
    # pilots not vetoed; ties keep the campaign's district order
    districts = c.districts.sort_values(["pass_rate", "mean_not_vetoed"], ascending=False, kind="stable")
    page_charts = {
        "grades": charts.bar_chart(c.grades["grade"].tolist(), c.grades["city"].tolist(), xlabel="试点数",
                                   value_format="{:.0f}"),
        "districts": charts.bar_chart(districts["district"].tolist(), (100 * districts["pass_rate"]).tolist(),
                                      xlabel="通过率（%）", value_format="{:.1f}%", reference=100 * c.summary.pass_rate,
                                      reference_label="全市通过率"),
    }
    return render_page(c.title, render_template("index.html.j2", c=c, charts=page_charts, script=index_script()))


def quality_page(scored: ScoredCampaign) -> str:
    """The campaign's ``quality.html``: methods and data quality (方法与数据质量)."""
    c = quality_context(scored)
    least_safe = c.robustness["least_safe"]
    chart = charts.bar_chart(least_safe["pilot_id"].tolist(), (100 * least_safe["p_grade_change"]).tolist(),
                             xlabel="等级改变概率（%）", value_format="{:.1f}%", reference=100 * c.robustness["unsafe_share"],
                             reference_label="5%")
    return render_page(c.title, render_template("quality.html.j2", c=c, chart=chart))
