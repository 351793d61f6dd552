"""The demo campaign generator, the shipped demo data, scheme and questionnaire."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from evalkit.demo import (
    DISTRICTS,
    DOMAINS,
    QUESTIONNAIRE_FILE,
    SCHEME_FILE,
    TABLE_NAMES,
    packaged_file,
    write_demo,
)
from evalkit.load import load_campaign
from evalkit.questionnaire import load_questionnaire
from evalkit.scheme import RULES, load_scheme
from evalkit.tables.conversion import read_table

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "demo"
INSTRUMENTS = {
    SCHEME_FILE: ROOT / "params" / "schemes" / SCHEME_FILE,
    QUESTIONNAIRE_FILE: ROOT / "params" / "questionnaires" / QUESTIONNAIRE_FILE,
}


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``write_demo`` with its defaults (48 pilots, seed 2021); returns the campaign file."""
    return write_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def tables(default_demo: Path) -> dict[str, pd.DataFrame]:
    """The default demo's tables, typed by :func:`read_table`."""
    return {name: read_table(name, default_demo.parent / f"{name}.csv").frame for name in TABLE_NAMES}


def _files(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# --- shipped files never drift ---------------------------------------------------------


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_shipped_data_is_the_generator_output(default_demo: Path, name: str) -> None:
    generated = (default_demo.parent / f"{name}.csv").read_bytes()
    assert (SHIPPED / f"{name}.csv").read_bytes() == generated, (
        f"data/demo/{name}.csv differs from write_demo(pilots=48, seed=2021); see data/demo/README.md")


@pytest.mark.parametrize("name", sorted(INSTRUMENTS))
def test_package_copy_equals_params(name: str) -> None:
    assert packaged_file(name).read_bytes() == INSTRUMENTS[name].read_bytes()


def test_demo_copies_the_packaged_instruments(default_demo: Path) -> None:
    assert (default_demo.parent / "schemes" / SCHEME_FILE).read_bytes() == packaged_file(SCHEME_FILE).read_bytes()
    assert (default_demo.parent / "questionnaires" / QUESTIONNAIRE_FILE).read_bytes() == \
        packaged_file(QUESTIONNAIRE_FILE).read_bytes()


def test_shipped_campaign_loads() -> None:
    campaign = load_campaign(ROOT / "params" / "demo.yaml")
    assert campaign.id == "demo-2021"
    assert len(campaign.pilots) == 48


def test_generated_campaign_loads_with_relative_paths(default_demo: Path) -> None:
    text = default_demo.read_text(encoding="utf-8")
    assert str(default_demo.parent) not in text
    campaign = load_campaign(default_demo)
    assert campaign.reports_dir == (default_demo.parent / "reports").resolve()


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_tables_read_cleanly(default_demo: Path, name: str) -> None:
    loaded = read_table(name, default_demo.parent / f"{name}.csv")
    assert loaded.problems == []
    assert len(loaded.frame) > 0


# --- determinism and size ----------------------------------------------------------------


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    write_demo(tmp_path / "a", pilots=20, seed=7)
    write_demo(tmp_path / "b", pilots=20, seed=7)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_different_seeds_differ(tmp_path: Path) -> None:
    write_demo(tmp_path / "a", pilots=20, seed=7)
    write_demo(tmp_path / "b", pilots=20, seed=8)
    for name in TABLE_NAMES:
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() != (tmp_path / "b" / f"{name}.csv").read_bytes()


def test_sizes_scale_with_pilots(tmp_path: Path) -> None:
    rows = {}
    for n in (5, 60):
        folder = write_demo(tmp_path / str(n), pilots=n, seed=3).parent
        rows[n] = {name: len(read_table(name, folder / f"{name}.csv").frame) for name in TABLE_NAMES}
    assert rows[5]["pilots"] == 5 and rows[60]["pilots"] == 60
    for name in TABLE_NAMES:
        assert 6 < rows[60][name] / rows[5][name] < 20, name


def test_tiny_campaign_still_loads(tmp_path: Path) -> None:
    campaign = load_campaign(write_demo(tmp_path, pilots=1, seed=1))
    assert len(campaign.pilots) == 1


def test_rejects_no_pilots(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        write_demo(tmp_path, pilots=0)


# --- realism of the default demo ---------------------------------------------------------


def test_every_district_and_domain_present(tables: dict[str, pd.DataFrame]) -> None:
    pilots = tables["pilots"]
    assert set(pilots["district"]) == {d.name for d in DISTRICTS}
    assert set(pilots["domain"]) == {m.name for m in DOMAINS}
    assert pilots["pilot_id"].str.fullmatch(r"SH2021-\d{3}").all()
    assert pilots["name"].is_unique
    assert ((pilots["end_date"] - pilots["start_date"]).dt.days.between(729, 731)).all()


def test_exactly_one_pilot_vetoed(tables: dict[str, pd.DataFrame]) -> None:
    pilots, inspections = tables["pilots"], tables["inspections"]
    vetoed = pilots.loc[pilots["major_incident"] == 1, "pilot_id"]
    assert len(vetoed) == 1
    critical = inspections[(inspections["result"] == "nonconform") & inspections["critical"].astype(bool)]
    assert set(critical["pilot_id"]) == set(vetoed)


def test_registers_are_plausible(tables: dict[str, pd.DataFrame]) -> None:
    standards = tables["standards"]
    per_pilot = standards.groupby("pilot_id").size()
    assert per_pilot.between(15, 60).all()
    assert (standards["status"] == "current").mean() > 0.9
    assert 0.8 < standards["implemented"].astype(bool).mean() < 1
    assert set(standards["level"]) == {"international", "national", "industry", "local", "group", "enterprise"}
    code = r"(GB|GB/T|[A-Z]{2,3}/T|DB31/T|T/[A-Z]+|Q/[A-Z]+|ISO|IEC|ISO/IEC|IATF) "
    assert standards["std_code"].str.match(code).all()


def test_inspections_check_the_pilots_own_standards(tables: dict[str, pd.DataFrame]) -> None:
    inspections, standards = tables["inspections"], tables["standards"]
    assert inspections.groupby("pilot_id").size().between(20, 40).all()
    own = inspections.merge(standards[["pilot_id", "std_code"]], on=["pilot_id", "std_code"], how="left",
                            indicator=True)
    assert (own["_merge"] == "both").all()


def test_kpis_mostly_improve(tables: dict[str, pd.DataFrame]) -> None:
    kpis = tables["kpis"]
    wide = kpis.pivot_table(index=["pilot_id", "indicator", "better"], columns="period", values="value").reset_index()
    gain = np.where(wide["better"] == "lower", -1, 1) * (wide["final"] - wide["baseline"])
    assert 0.75 < (gain > 0).mean() < 1
    assert wide.groupby("pilot_id").size().between(3, 5).all()
    assert (wide.groupby("pilot_id")["indicator"].apply(set).map(lambda s: "投诉率" in s)).all()


def test_survey_groups_and_counts(tables: dict[str, pd.DataFrame]) -> None:
    surveys = tables["surveys"]
    counts = surveys.groupby(["pilot_id", "group"]).size().unstack()
    assert counts.min().min() >= 20 and counts.max().max() <= 80
    staff_items = [f"Q{i}" for i in range(1, 13)]
    assert surveys.loc[surveys["group"] == "client", staff_items].isna().all().all()
    missing = surveys.loc[surveys["group"] == "staff", staff_items].isna().mean().mean()
    assert 0 < missing < 0.05


def test_staff_awareness_alpha_is_believable(tables: dict[str, pd.DataFrame]) -> None:
    questionnaire, _ = load_questionnaire(INSTRUMENTS[QUESTIONNAIRE_FILE])
    items = questionnaire.items_of("awareness")
    answers = tables["surveys"][items].dropna()
    for item in questionnaire.reversed_items:
        if item in items:
            answers[item] = questionnaire.scale_min + questionnaire.scale_max - answers[item]
    # Cronbach (1951): α = k/(k−1) · (1 − Σ var(item) / var(total)), from the covariance matrix
    cov = answers.cov().to_numpy()
    k = len(items)
    alpha = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    assert 0.7 <= alpha <= 0.9


def test_expert_panels_agree_imperfectly(default_demo: Path, tables: dict[str, pd.DataFrame]) -> None:
    experts = tables["experts"]
    scheme, _ = load_scheme(default_demo.parent / "schemes" / SCHEME_FILE)
    maxima = scheme.allocate()
    assert experts.groupby("pilot_id")["expert_id"].nunique().between(5, 7).all()
    assert (experts["score"] <= experts["indicator_id"].map(maxima)).all()
    for indicator, scores in experts[experts["expert_id"].isin(["E01", "E02", "E03", "E04", "E05"])].groupby(
            "indicator_id"):
        # Kendall's W over pilots (rows) rated by the first five panel seats, without tie correction
        ranks = np.apply_along_axis(rankdata, 0, scores.pivot(index="pilot_id", columns="expert_id",
                                                              values="score").to_numpy())
        n, m = ranks.shape
        w = 12 * ((ranks.sum(axis=1) - ranks.sum(axis=1).mean()) ** 2).sum() / (m ** 2 * (n ** 3 - n))
        assert 0.4 < w < 0.95, indicator


# --- scheme and questionnaire ------------------------------------------------------------


def test_scheme_uses_every_rule_and_style() -> None:
    scheme, problems = load_scheme(INSTRUMENTS[SCHEME_FILE])
    assert problems == []
    assert {leaf.rule.name for leaf in scheme.leaves()} == set(RULES)
    targets = [leaf.rule for leaf in scheme.leaves() if leaf.rule.name == "target"]
    assert {rule.better for rule in targets} == {"higher", "lower"}
    assert [n.id for n in scheme.nodes() if n.child_weighting == "ahp"] and all(
        n.ahp.cr < 0.1 for n in scheme.nodes() if n.ahp is not None)
    assert [n.id for n in scheme.indicators if n.bonus] == ["X"] and scheme.bonus_cap == 5
    assert {v.metric for v in scheme.vetoes} == {"pilot.major_incident", "inspection.critical_nonconformities"}
    assert (scheme.total, scheme.pass_mark, scheme.expert_aggregate) == (100, 80, "trimmed_mean")
    assert [(g.label, g.min) for g in scheme.grades] == [("优秀", 90), ("合格", 80), ("不合格", 0)]


def test_questionnaire_constructs_and_groups() -> None:
    questionnaire, problems = load_questionnaire(INSTRUMENTS[QUESTIONNAIRE_FILE])
    assert problems == []
    groups = {c: {questionnaire.items[i].group for i in questionnaire.items_of(c)} for c in questionnaire.constructs}
    assert groups == {"awareness": {"staff"}, "training": {"staff"}, "compliance": {"staff"},
                      "satisfaction": {"client"}}
    for construct in questionnaire.constructs:
        items = questionnaire.items_of(construct)
        assert 3 <= len(items) <= 5
        assert 1 <= sum(questionnaire.items[i].reverse for i in items) <= 2
