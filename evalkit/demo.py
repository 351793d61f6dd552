"""A synthetic but realistic demo campaign (``evalkit demo``, docs/commands.md).

:func:`write_demo` writes a self-contained campaign of any size: ``campaign.yaml``, the six
tables of docs/data.md and copies of the demo scheme and questionnaire. It imitates a 2021
Shanghai municipal pilot round (沪市监标技〔2021〕141号): the 16 districts, the seven
domains of the notice, pilots run by street offices, service centres, companies and
co-operatives, standards registers with real national, industry and international codes
plus local (DB31/T), group (T/…) and enterprise (Q/…) standards. A few (invented)
Shanghai local standards are shared: city-wide ones in many registers, each domain's in
the registers of its pilots, so that the standard implementation evaluation (the
``standard_scheme`` of the campaign, :mod:`evalkit.metrics.per_standard`) sees standards
implemented — and inspected — across several pilots.

Every pilot has a latent quality ``q`` (normal, :data:`QUALITY`); all its evidence is
drawn around it, so the evidence agrees the way real evidence does:

* survey answers come from a latent-trait model — respondent trait per construct, item
  response = trait + item noise, cut into the 1–5 scale — so Cronbach's α of each
  construct lands around 0.8;
* standards status and implementation, inspection results, KPI changes and expert
  scores are Bernoulli or normal draws whose centre moves with ``q``;
* a few pilots are weak (``q`` far below zero) and about one in 48 has a major incident
  (the ``V1`` veto) and a critical nonconformity on inspection (``V2``).

The structure comes from the shipped scheme and questionnaire (item columns, expert
indicators and their points), so the data always fits them. Everything is drawn from one
:class:`numpy.random.Generator` seeded with ``seed``, in a fixed order, and the tables are
built with vectorised numpy/pandas operations (10,000 pilots ≈ 1M survey rows in
seconds). Unit and company names are invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from evalkit.atomic import write_atomic
from evalkit.questionnaire import Questionnaire, load_questionnaire
from evalkit.scheme import Scheme, load_scheme

SCHEME_FILE = "municipal-pilot-acceptance.yaml"
STANDARD_SCHEME_FILE = "standard-implementation.yaml"
STANDARD_REPORTS_MIN_PILOTS = 3
QUESTIONNAIRE_FILE = "pilot-survey.yaml"
TABLE_NAMES = ("pilots", "standards", "surveys", "inspections", "kpis", "experts")
CAMPAIGN_ID = "demo-2021"
CAMPAIGN_TITLE = "2021年度市级标准化试点验收评估（示例数据）"

# ---------------------------------------------------------------------------------------
# reference data: places, domains, projects, standards, KPIs (evalkit/data/demo/*.yaml)


@dataclass(frozen=True)
class District:
    """A Shanghai district, how many pilots it tends to host, and its streets and towns."""

    name: str
    weight: float
    rural: bool
    places: tuple[str, ...]


@dataclass(frozen=True)
class Project:
    """A kind of pilot in a domain: unit and pilot name templates, subject, and the municipal
    department that sponsors it (保证单位) when the district bureau does not.

    Templates use ``{district}``, ``{place}`` (a street or town), ``{office}`` (the office
    of that place) and ``{brand}``; the name template may also use ``{unit}``.
    """

    unit: str
    name: str
    topic: str
    sponsor: str


@dataclass(frozen=True)
class Kpi:
    """An effect indicator and how its baseline and change are drawn.

    ``percent`` indicators (higher is better, at most 100) improve by closing a share
    ``gain`` of the gap to 100; the others change by a relative ``gain``.
    """

    name: str
    better: str
    low: float
    high: float
    decimals: int
    gain: float
    percent: bool = False


@dataclass(frozen=True)
class Std:
    """A real standard that registers may adopt.

    ``old`` is a superseded edition (listed, as withdrawn, by careless registers);
    ``topics`` the project topics it suits (empty: every project of its domain).
    """

    code: str
    title: str
    level: str
    old: str = ""
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Domain:
    """One of the seven domains of the 2021 notice."""

    name: str
    weight: float
    rural_only: bool
    associations: tuple[str, ...]
    projects: tuple[Project, ...]
    kpis: tuple[Kpi, ...]
    standards: tuple[Std, ...]


def packaged_file(name: str) -> Path:
    """The path of a file shipped in ``evalkit/data`` (the demo schemes and questionnaire, its reference data)."""
    return Path(str(resources.files("evalkit") / "data" / name))


def _reference(name: str) -> dict[str, Any]:
    """One of the reference data files of the demo (``evalkit/data/demo/``)."""
    return yaml.safe_load(packaged_file(f"demo/{name}").read_text(encoding="utf-8"))


def _std(fields: dict[str, Any]) -> Std:
    return Std(fields["code"], fields["title"], fields["level"], fields.get("old", ""), tuple(fields.get("topics", ())))


_PLACES, _DOMAINS, _SHARED = (_reference(name) for name in ("places.yaml", "domains.yaml", "standards.yaml"))

DISTRICTS: tuple[District, ...] = tuple(District(d["name"], d["weight"], d["rural"], tuple(d["places"]))
                                        for d in _PLACES["districts"])
#: The office that runs a street (街道办事处) or a town/township (镇/乡人民政府), by the place's ending.
PLACE_OFFICES: tuple[tuple[str, str], ...] = tuple(_PLACES["place_offices"].items())
#: Invented two-character trade names for companies and co-operatives.
BRANDS: tuple[str, ...] = tuple(_PLACES["brands"])
DOMAINS: tuple[Domain, ...] = tuple(
    Domain(m["name"], m["weight"], m["rural_only"], tuple(m["associations"]),
           tuple(Project(**project) for project in m["projects"]), tuple(Kpi(**kpi) for kpi in m["kpis"]),
           tuple(_std(standard) for standard in m["standards"]))
    for m in _DOMAINS["domains"])

#: Every project with the index of its domain; the registry refers to projects by position here.
PROJECTS: tuple[tuple[int, Project], ...] = tuple((i, p) for i, m in enumerate(DOMAINS) for p in m.projects)

#: Standards that almost every pilot's register adopts (the DB31/T ones are invented city-wide
#: local standards, numbered above the pilots' own local standards).
COMMON_STANDARDS: tuple[Std, ...] = tuple(_std(standard) for standard in _SHARED["common_standards"])
#: Indicators every pilot reports (the scheme's ``kpi.投诉率.change`` needs 投诉率).
COMMON_KPIS: tuple[Kpi, ...] = tuple(Kpi(**kpi) for kpi in _SHARED["common_kpis"])
#: Offered to every domain beside its own indicators.
EXTRA_KPI = Kpi(**_SHARED["extra_kpi"])
#: Title endings of the standards a pilot writes itself, by level; ``{topic}`` = the pilot's subject.
LOCAL_TITLES, GROUP_TITLES, ENTERPRISE_TITLES = (tuple(_SHARED["own_titles"][level])
                                                 for level in ("local", "group", "enterprise"))
LEVEL_ORDER = ("international", "national", "industry", "local", "group", "enterprise")

#: Latent mean of each construct at average pilot quality, and how much quality moves it.
CONSTRUCT_LEVELS = {"awareness": (0.75, 0.35), "training": (0.7, 0.35), "compliance": (0.8, 0.3),
                    "satisfaction": (0.95, 0.3)}
LIKERT_CUTS = np.array([-1.9, -1.1, -0.25, 0.75])  # latent thresholds between answers 1|2|3|4|5
TRAIT_SD, ITEM_SD, MISSING_RATE = 0.75, 0.65, 0.015

#: Sizes per pilot (inclusive bounds): respondents by group, register rows, checklist items, experts.
RESPONDENTS = {"staff": (30, 70), "client": (30, 70)}
STANDARDS_PER_PILOT = (15, 60)
INSPECTION_ITEMS = (20, 40)
EXPERTS_PER_PANEL = (5, 7)

QUALITY = (-0.8, 0.25)      # latent quality of a pilot: mean, sd (tuned: most pass, some 优秀)
WEAK_SHARE = 0.08           # share of pilots far below the pass mark …
WEAK_QUALITY = (-2.3, 0.3)  # … with this quality
VETO_EVERY = 48             # one pilot in this many has a major incident
NAME_RETRIES = 5            # redraws of a pilot whose name repeats an earlier one


# ---------------------------------------------------------------------------------------
# entry point


def write_demo(out: Path, pilots: int = 48, seed: int = 2021) -> Path:
    """Write a synthetic campaign into ``out`` and return its ``campaign.yaml``.

    Parameters
    ----------
    out : Path
        Output directory (created if needed). Receives ``campaign.yaml``, the tables
        ``pilots.csv``, ``standards.csv``, ``surveys.csv``, ``inspections.csv``,
        ``kpis.csv``, ``experts.csv`` and ``schemes/``, ``questionnaires/`` copies of the
        demo scheme, standard implementation scheme and questionnaire; reports go to
        ``out/reports``.
    pilots : int, default 48
        Number of pilots; with 16 or more every district has one, with 7 or more every
        domain.
    seed : int, default 2021
        Seed of the random generator: the same seed and size give the same bytes.

    Returns
    -------
    Path
        The written campaign file.

    Examples
    --------
    >>> import tempfile
    >>> path = write_demo(Path(tempfile.mkdtemp()), pilots=20, seed=1)
    >>> path.name
    'campaign.yaml'
    """
    if pilots < 1:
        raise ValueError(f"pilots must be at least 1, got {pilots}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scheme_path, questionnaire_path = _copy_instruments(out)
    scheme, questionnaire = _instruments(scheme_path, questionnaire_path)
    tables = generate(pilots, seed, scheme, questionnaire)
    for name in TABLE_NAMES:
        _write_csv(tables[name], out / f"{name}.csv")
    campaign = {
        "id": CAMPAIGN_ID,
        "title": CAMPAIGN_TITLE,
        "description": f"evalkit demo --pilots {pilots} --seed {seed} 生成的合成数据，单位名称均为虚构。",
        "scheme": scheme_path.relative_to(out).as_posix(),
        "standard_scheme": f"schemes/{STANDARD_SCHEME_FILE}",
        "standard_reports_min_pilots": STANDARD_REPORTS_MIN_PILOTS,
        "questionnaire": questionnaire_path.relative_to(out).as_posix(),
        "data": {name: f"{name}.csv" for name in TABLE_NAMES},
        "reports": "reports",
        "districts": [district.name for district in DISTRICTS],
    }
    path = out / "campaign.yaml"
    _write_text(path, yaml.safe_dump(campaign, allow_unicode=True, sort_keys=False))
    return path


def _copy_instruments(out: Path) -> tuple[Path, Path]:
    targets = (out / "schemes" / SCHEME_FILE, out / "questionnaires" / QUESTIONNAIRE_FILE,
               out / "schemes" / STANDARD_SCHEME_FILE)
    for target in targets:
        target.parent.mkdir(exist_ok=True)
        _write_text(target, packaged_file(target.name).read_text(encoding="utf-8"))
    return targets[0], targets[1]


def _instruments(scheme_path: Path, questionnaire_path: Path) -> tuple[Scheme, Questionnaire]:
    scheme, problems = load_scheme(scheme_path)
    questionnaire, more = load_questionnaire(questionnaire_path)
    if scheme is None or questionnaire is None or problems or more:
        raise RuntimeError("the packaged demo scheme or questionnaire is invalid: "
                           + "; ".join(str(p) for p in problems + more))
    return scheme, questionnaire


def _write_text(path: Path, text: str) -> None:
    """Write through a temporary file, so an interrupted run never leaves half a file."""
    write_atomic(path, text.encode("utf-8"))


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    _write_text(path, frame.to_csv(index=False, lineterminator="\n"))


# ---------------------------------------------------------------------------------------
# generation


def generate(pilots: int, seed: int, scheme: Scheme, questionnaire: Questionnaire) -> dict[str, pd.DataFrame]:
    """The six tables of a synthetic campaign fitting ``scheme`` and ``questionnaire``.

    Parameters
    ----------
    pilots : int
        Number of pilots.
    seed : int
        Seed of the :class:`numpy.random.Generator`; all draws happen in a fixed order.
    scheme, questionnaire
        Supply the expert-scored indicators with their points, and the survey items.

    Returns
    -------
    dict of str to DataFrame
        ``pilots``, ``standards``, ``surveys``, ``inspections``, ``kpis``, ``experts``
        with the canonical English headers and codes of docs/data.md.
    """
    rng = np.random.default_rng(seed)
    registry = _registry(rng, pilots)
    standards = _standards(rng, registry)
    return {
        "pilots": _pilot_table(rng, registry),
        "standards": standards,
        "surveys": _surveys(rng, registry, questionnaire),
        "inspections": _inspections(rng, registry, standards),
        "kpis": _kpis(rng, registry),
        "experts": _experts(rng, registry, scheme),
    }


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _sample_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One category per row of a (rows × categories) probability matrix (inverse CDF)."""
    cumulative = np.cumsum(probabilities / probabilities.sum(axis=1, keepdims=True), axis=1)
    draws = rng.random(len(probabilities))
    return np.minimum((draws[:, None] > cumulative).sum(axis=1), probabilities.shape[1] - 1)


def _choose_distinct(rng: np.random.Generator, pool_sizes: np.ndarray,
                     counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each owner i, ``counts[i]`` distinct positions in ``range(pool_sizes[i])``.

    Returns the owner and the position of every pick, owners in order.
    """
    keys = rng.random((len(pool_sizes), int(pool_sizes.max())))
    keys[np.arange(keys.shape[1])[None, :] >= pool_sizes[:, None]] = np.inf
    order = np.argsort(keys, axis=1, kind="stable")
    taken = np.arange(keys.shape[1])[None, :] < np.minimum(counts, pool_sizes)[:, None]
    owners = np.broadcast_to(np.arange(len(pool_sizes))[:, None], keys.shape)
    return owners[taken], order[taken]


def _within(owners: np.ndarray) -> np.ndarray:
    """Position of each row among the rows of the same owner (owners sorted)."""
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    return np.arange(len(owners)) - np.repeat(starts, np.diff(np.r_[starts, len(owners)]))


def _text(values: np.ndarray | pd.Series) -> pd.Series:
    return pd.Series(np.asarray(values), dtype=object).astype(str)


# --- the registry ----------------------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    """The drawn pilots: text columns plus the indices and quality the other tables use."""

    frame: pd.DataFrame      # pilot_id, name, unit, district, domain, sponsor, start_date, end_date
    domain: np.ndarray       # index into DOMAINS
    project: np.ndarray      # index into PROJECTS
    quality: np.ndarray      # latent quality (QUALITY); weak pilots far below
    vetoed: np.ndarray       # bool: major incident and a critical nonconformity

    @property
    def size(self) -> int:
        return len(self.frame)

    @property
    def topic(self) -> np.ndarray:
        """Each pilot's subject, e.g. 社区养老服务 (for the titles of its own standards)."""
        return np.array([p.topic for _, p in PROJECTS], dtype=object)[self.project]


def _registry(rng: np.random.Generator, n: int) -> Registry:
    district = _districts(rng, n)
    domain = _domains(rng, district)
    order = np.lexsort((rng.random(n), district, domain))
    district, domain = district[order], domain[order]
    quality, vetoed = _quality(rng, n)
    texts = _describe_all(rng, district, domain)
    start = np.datetime64("2021-06-01") + rng.integers(0, 120, n)
    frame = pd.DataFrame({
        "pilot_id": [f"SH2021-{i + 1:03d}" for i in range(n)],
        "name": [t[0] for t in texts],
        "unit": [t[1] for t in texts],
        "district": [DISTRICTS[d].name for d in district],
        "domain": [DOMAINS[m].name for m in domain],
        "sponsor": [t[2] for t in texts],
        "start_date": pd.Series(start.astype(str)),
        "end_date": pd.Series(start.astype(str)).str.replace("2021-", "2023-", regex=False),
    })
    return Registry(frame, domain, np.array([t[3] for t in texts]), quality, vetoed)


def _districts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Every district once (in random order) while pilots last, the rest by weight."""
    weights = np.array([d.weight for d in DISTRICTS])
    first = rng.permutation(len(DISTRICTS))[:n]
    rest = rng.choice(len(DISTRICTS), size=max(n - len(DISTRICTS), 0), p=weights / weights.sum())
    return np.concatenate([first, rest])


def _domains(rng: np.random.Generator, district: np.ndarray) -> np.ndarray:
    """A domain per pilot by weight (rural domains only in rural districts); all seven when n ≥ 7."""
    allowed = np.array([[d.rural or not m.rural_only for m in DOMAINS] for d in DISTRICTS])
    weights = np.array([m.weight for m in DOMAINS])
    probabilities = allowed[district] * weights
    domain = _sample_rows(rng, probabilities)
    preference = rng.permutation(len(district))
    for m in range(len(DOMAINS)):
        counts = np.bincount(domain, minlength=len(DOMAINS))
        if counts[m] or len(district) < len(DOMAINS):
            continue
        movable = [i for i in preference if counts[domain[i]] > 1 and allowed[district[i], m]]
        if movable:
            domain[movable[0]] = m
    return domain


def _quality(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Latent quality per pilot; the weakest few pushed down; vetoed pilots are otherwise good."""
    quality = rng.normal(*QUALITY, n)
    order = rng.permutation(n)
    n_weak = int(round(n * WEAK_SHARE))
    quality[order[:n_weak]] = rng.normal(*WEAK_QUALITY, n_weak)
    n_veto = max(1, int(round(n / VETO_EVERY)))
    vetoed = np.zeros(n, dtype=bool)
    vetoed[order[n_weak:n_weak + n_veto]] = True
    quality[vetoed] = np.abs(quality[vetoed]) + 0.3
    return quality, vetoed


def _describe_all(rng: np.random.Generator, district: np.ndarray, domain: np.ndarray) -> list[tuple]:
    """Name, unit, sponsor and project of every pilot; a repeated name is drawn again (a few times)."""
    texts = [_describe(rng, DISTRICTS[d], m) for d, m in zip(district, domain)]
    for _ in range(NAME_RETRIES):
        repeated = np.flatnonzero(pd.Series([t[0] for t in texts]).duplicated().to_numpy())
        for i in repeated:
            texts[i] = _describe(rng, DISTRICTS[district[i]], domain[i])
    return texts


def _describe(rng: np.random.Generator, district: District, domain_index: int) -> tuple[str, str, str, int]:
    """Name, unit, sponsor and project (index into PROJECTS) of one pilot."""
    domain = DOMAINS[domain_index]
    choices = [i for i, (m, _) in enumerate(PROJECTS) if m == domain_index]
    index = choices[rng.integers(len(choices))]
    project = PROJECTS[index][1]
    places = [p for p in district.places if not domain.rural_only or not p.endswith("街道")]
    place = places[rng.integers(len(places))]
    office = next(o for suffix, o in PLACE_OFFICES if place.endswith(suffix))
    brand = BRANDS[rng.integers(len(BRANDS))]
    fields = {"district": district.name, "place": place, "office": office, "brand": brand}
    unit = project.unit.format(**fields)
    sponsor = project.sponsor if rng.random() < 0.5 else f"上海市{district.name}市场监督管理局"
    return project.name.format(unit=unit, **fields), unit, sponsor, index


def _pilot_table(rng: np.random.Generator, registry: Registry) -> pd.DataFrame:
    """The registry plus the columns the scheme reads as ``pilot.<column>`` metrics."""
    q, n = registry.quality, registry.size
    frame = registry.frame.copy()
    frame["training_sessions"] = np.maximum(np.round(rng.normal(8.5 + 2.5 * q, 1.5)), 1).astype(int)
    frame["standardization_staff"] = 3 + rng.poisson(np.clip(1.0 + 0.8 * q, 0.2, None))
    frame["rectification_days"] = np.round(np.clip(14.0 * np.exp(-0.35 * q + rng.normal(0, 0.25, n)), 3, 90))
    frame["rectification_days"] = frame["rectification_days"].astype(int)
    led = rng.random(n) < _logistic(-1.9 + 0.8 * q + 0.8 * _is_domain(registry, "高新技术", "国际标准化"))
    frame["led_national_standard"] = led.astype(int)
    frame["major_incident"] = registry.vetoed.astype(int)
    return frame


def _is_domain(registry: Registry, *names: str) -> np.ndarray:
    wanted = [i for i, m in enumerate(DOMAINS) if m.name in names]
    return np.isin(registry.domain, wanted)


# --- standards registers -----------------------------------------------------------------

STD_FIELDS = ("code", "title", "level", "old")


def _standard_pools() -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per project the real standards a register may adopt: padded (project × slot) arrays per field."""
    pools = [COMMON_STANDARDS + tuple(s for s in DOMAINS[m].standards if not s.topics or p.topic in s.topics)
             for m, p in PROJECTS]
    fields = {f: _padded([tuple(getattr(s, f) for s in pool) for pool in pools]) for f in STD_FIELDS}
    return fields, np.array([len(p) for p in pools])


def _standards(rng: np.random.Generator, registry: Registry) -> pd.DataFrame:
    """Each pilot's 标准明细表: adopted real standards plus its own local, group, enterprise ones."""
    n, q = registry.size, registry.quality
    total = rng.integers(STANDARDS_PER_PILOT[0], STANDARDS_PER_PILOT[1] + 1, n)
    pools, pool_sizes = _standard_pools()
    real = np.minimum(np.round(total * rng.uniform(0.35, 0.5, n)).astype(int), pool_sizes[registry.project])
    shares = rng.dirichlet([1.5, 2.0, 6.0], n)  # local, group, enterprise
    own = total - real
    local = np.round(own * shares[:, 0]).astype(int)
    group = np.round(own * shares[:, 1]).astype(int)
    frame = pd.concat([
        _adopted_rows(rng, registry, pools, pool_sizes, real),
        _own_rows(rng, registry, "local", local),
        _own_rows(rng, registry, "group", group),
        _own_rows(rng, registry, "enterprise", own - local - group),
    ], ignore_index=True)
    owner = frame["owner"].to_numpy()
    penalty = np.where(frame["status"] == "withdrawn", 1.0, 0.0)
    implemented = rng.random(len(frame)) < _logistic(4.0 + 1.0 * q[owner] - penalty)
    frame["implemented"] = np.where(implemented & (frame["status"] != "upcoming"), "yes", "no")
    level_rank = frame["level"].map({level: i for i, level in enumerate(LEVEL_ORDER)}).to_numpy()
    frame = frame.iloc[np.lexsort((frame["std_code"].to_numpy(), level_rank, owner))]
    frame.insert(0, "pilot_id", registry.frame["pilot_id"].to_numpy()[frame["owner"].to_numpy()])
    return frame.drop(columns="owner").reset_index(drop=True)


def _withdrawn_probability(q: np.ndarray) -> np.ndarray:
    return _logistic(-4.6 - 1.2 * q)


#: Share of registers that list a superseded edition as if it were still current.
STALE_STATUS = 0.3


def _adopted_rows(rng: np.random.Generator, registry: Registry, pools: dict[str, np.ndarray],
                  pool_sizes: np.ndarray, counts: np.ndarray) -> pd.DataFrame:
    """Real standards from the pilot's project pool; an old edition listed instead is withdrawn —
    and :data:`STALE_STATUS` of the registers listing one still call it current."""
    owner, slot = _choose_distinct(rng, pool_sizes[registry.project], counts)
    project = registry.project[owner]
    old = pools["old"][project, slot]
    withdrawn = (old != "") & (rng.random(len(owner)) < 2.5 * _withdrawn_probability(registry.quality[owner]))
    stale = rng.random(len(owner)) < STALE_STATUS
    return pd.DataFrame({
        "owner": owner,
        "std_code": np.where(withdrawn, old, pools["code"][project, slot]),
        "title": pools["title"][project, slot],
        "level": pools["level"][project, slot],
        "status": np.where(withdrawn & ~stale, "withdrawn", "current"),
        "origin": "adopted",
    })


#: Per level of a pilot's own standards: title templates, and the share the pilot drafted
#: itself (the rest of its local standards are adopted; its own group and enterprise
#: standards are developed or revised).
OWN_LEVELS = {"local": (LOCAL_TITLES, 0.1), "group": (GROUP_TITLES, 1.0), "enterprise": (ENTERPRISE_TITLES, 1.0)}
STATUSES = np.array(["current", "withdrawn", "upcoming"])


def _own_rows(rng: np.random.Generator, registry: Registry, level: str, counts: np.ndarray) -> pd.DataFrame:
    """Local (DB31/T), group (T/…) or enterprise (Q/…) standards, numbered without repeats.

    A current edition's year follows from its number, so that two registers listing the
    same code number list the same edition (an older, withdrawn edition has an older year).
    """
    owner = np.repeat(np.arange(registry.size), counts)
    k = _within(owner)
    rows = len(owner)
    offset = rng.integers(0, 1000, registry.size)[owner]
    status = _sample_rows(rng, np.column_stack([
        np.full(rows, 0.97), _withdrawn_probability(registry.quality[owner]), np.full(rows, 0.01),
    ]))
    codes = _own_codes(rng, registry, level, owner, k, offset)
    number = codes.str.extract(r"(\d+)$", expand=False).astype(int).to_numpy()
    year = np.select([status == 1, status == 2], [rng.integers(2010, 2017, rows), 2023], 2017 + (3 * number) % 7)
    templates, drafted_share = OWN_LEVELS[level]
    drafted = rng.random(rows) < drafted_share
    revised = rng.random(rows) < 0.25
    return pd.DataFrame({
        "owner": owner,
        "std_code": codes + "-" + _text(year),
        "title": _titles(templates, registry.topic[owner], (offset + k) % len(templates)),
        "level": level,
        "status": STATUSES[status],
        "origin": np.where(drafted, np.where(revised, "revised", "developed"), "adopted"),
    })


def _own_codes(rng: np.random.Generator, registry: Registry, level: str, owner: np.ndarray, k: np.ndarray,
               offset: np.ndarray) -> pd.Series:
    """Codes without the year: ``DB31/T 1234``, ``T/SHYLXH 012``, ``Q/SHHX 0007``.

    A pilot's own local standards get numbers no other row of the campaign has (from 1500 up,
    in random order, above the shared ones), so one number never stands for two editions
    by accident.
    """
    if level == "local":
        return "DB31/T " + _text(1500 + rng.permutation(len(owner)))
    if level == "group":
        associations = _padded([m.associations for m in DOMAINS])
        choice = rng.integers(0, 1 << 16, registry.size)[owner]
        width = np.array([len(m.associations) for m in DOMAINS])[registry.domain[owner]]
        code = associations[registry.domain[owner], choice % width]
        return "T/" + _text(code) + " " + _text(1 + (offset + 7 * k) % 200).str.zfill(3)
    letters = np.array(list("ABCDEFGHJKLMNPQRSTWXYZ"), dtype=object)
    pairs = len(letters) ** 2  # one company code per pilot while there are enough
    chosen = rng.choice(pairs, size=registry.size, replace=registry.size > pairs)
    company = "SH" + letters[chosen // len(letters)] + letters[chosen % len(letters)]
    return "Q/" + _text(company[owner]) + " " + _text(k + 1).str.zfill(4)


def _padded(rows: list[tuple]) -> np.ndarray:
    """Rows of unequal length as one object array, padded with ''."""
    table = np.full((len(rows), max(len(r) for r in rows)), "", dtype=object)
    for i, row in enumerate(rows):
        table[i, :len(row)] = row
    return table


def _titles(templates: tuple[str, ...], topic: np.ndarray, index: np.ndarray) -> pd.Series:
    """Fill ``{topic}`` (only ever a prefix) of the chosen templates; 文化服务 + 服务规范 → 文化服务规范."""
    chosen = pd.Series(np.asarray(templates, dtype=object)[index])
    uses_topic = chosen.str.startswith("{topic}")
    titles = pd.Series(topic, dtype=object).where(uses_topic, "") + chosen.str.removeprefix("{topic}")
    return titles.str.replace("服务服务", "服务", regex=False)


# --- surveys -----------------------------------------------------------------------------


def _surveys(rng: np.random.Generator, registry: Registry, questionnaire: Questionnaire) -> pd.DataFrame:
    """One row per respondent; answers from a latent trait per construct (see the module notes)."""
    n = registry.size
    groups = tuple(RESPONDENTS)
    counts = np.column_stack([rng.integers(lo, hi + 1, n) for lo, hi in RESPONDENTS.values()])
    owner = np.repeat(np.arange(n), counts.sum(axis=1))
    k = _within(owner)
    before = np.cumsum(counts, axis=1) - counts  # respondents of earlier groups, per pilot
    group = (k[:, None] >= before[owner]).sum(axis=1) - 1
    number = k - before[owner, group] + 1
    frame = pd.DataFrame({
        "pilot_id": registry.frame["pilot_id"].to_numpy()[owner],
        "respondent_id": _text(np.array([g[0].upper() for g in groups], dtype=object)[group])
        + _text(number).str.zfill(3),
        "group": np.array(groups, dtype=object)[group],
    })
    constructs = list(questionnaire.constructs)
    levels = np.array([CONSTRUCT_LEVELS[c] for c in constructs])
    centre = levels[:, 0] + levels[:, 1] * registry.quality[:, None] + rng.normal(0, 0.15, (n, len(constructs)))
    trait = centre[owner] + TRAIT_SD * rng.standard_normal((len(owner), len(constructs)))
    for name, item in questionnaire.items.items():
        frame[name] = _answers(rng, trait[:, constructs.index(item.construct)], group == groups.index(item.group),
                               item.reverse, questionnaire)
    return frame


def _answers(rng: np.random.Generator, trait: np.ndarray, asked: np.ndarray, reverse: bool,
             questionnaire: Questionnaire) -> pd.arrays.IntegerArray:
    """One item's column: trait + item noise cut into the five points; blank when not asked or skipped."""
    low, high = questionnaire.scale_min, questionnaire.scale_max
    latent = trait + rng.normal(0, 0.15) + ITEM_SD * rng.standard_normal(len(trait))
    answer = low + np.searchsorted(LIKERT_CUTS, latent)
    if reverse:
        answer = low + high - answer
    blank = ~asked | (rng.random(len(trait)) < MISSING_RATE)
    return pd.arrays.IntegerArray(answer.astype(np.int8), blank)


# --- inspections -------------------------------------------------------------------------

RESULTS = np.array(["conform", "partial", "nonconform", "na"], dtype=object)
INSPECTORS = 40


def _inspections(rng: np.random.Generator, registry: Registry, standards: pd.DataFrame) -> pd.DataFrame:
    """20–40 checklist items per pilot against standards of its register; critical
    nonconformities only where the pilot is vetoed."""
    n, q = registry.size, registry.quality
    items = rng.integers(INSPECTION_ITEMS[0], INSPECTION_ITEMS[1] + 1, n)
    owner = np.repeat(np.arange(n), items)
    k = _within(owner)
    register = pd.Index(registry.frame["pilot_id"]).get_indexer(standards["pilot_id"])
    sizes = np.bincount(register, minlength=n)
    starts = np.cumsum(sizes) - sizes
    standard = starts[owner] + (rng.random(len(owner)) * sizes[owner]).astype(int)
    conform = _logistic(2.3 + 0.9 * q[owner])
    result = _sample_rows(rng, np.column_stack([
        conform, (1 - conform) * 0.65, (1 - conform) * 0.35, np.full(len(owner), 0.05),
    ]))
    critical = rng.random(len(owner)) < 0.12
    result[critical & (result == 2) & ~registry.vetoed[owner]] = 1
    first_of_vetoed = (k == 0) & registry.vetoed[owner]
    critical[first_of_vetoed], result[first_of_vetoed] = True, 2
    pair = rng.integers(INSPECTORS, size=n)
    partner = (pair + 1 + rng.integers(INSPECTORS - 1, size=n)) % INSPECTORS
    inspector = np.where(k < items[owner] // 2, pair[owner], partner[owner])
    return pd.DataFrame({
        "pilot_id": registry.frame["pilot_id"].to_numpy()[owner],
        "item_id": "JC" + _text(k + 1).str.zfill(2),
        "std_code": standards["std_code"].to_numpy()[standard],
        "inspector": "INS" + _text(inspector + 1).str.zfill(2),
        "result": RESULTS[result],
        "critical": np.where(critical, "yes", "no"),
    })


# --- KPIs --------------------------------------------------------------------------------


def _kpis(rng: np.random.Generator, registry: Registry) -> pd.DataFrame:
    """Every common indicator plus 1–3 of the domain's, each with a baseline and a final value."""
    n, q = registry.size, registry.quality
    catalogue = COMMON_KPIS + (EXTRA_KPI,) + tuple(k for m in DOMAINS for k in m.kpis)
    position = {k: i for i, k in enumerate(catalogue)}
    own = _padded([tuple(position[k] for k in (EXTRA_KPI,) + m.kpis) for m in DOMAINS]).astype(int)
    pool = np.full(n, own.shape[1])
    owner_extra, slot = _choose_distinct(rng, pool, rng.integers(1, 4, n))
    owner = np.concatenate([np.repeat(np.arange(n), len(COMMON_KPIS)), owner_extra])
    kpi = np.concatenate([np.tile(np.arange(len(COMMON_KPIS)), n), own[registry.domain[owner_extra], slot]])
    order = np.lexsort((kpi, owner))
    owner, kpi = owner[order], kpi[order]
    spec = {f: np.array([getattr(k, f) for k in catalogue])[kpi] for f in ("low", "high", "decimals", "gain")}
    lower = np.array([k.better == "lower" for k in catalogue])[kpi]
    percent = np.array([k.percent for k in catalogue])[kpi]
    baseline = rng.uniform(spec["low"], spec["high"])
    change = np.minimum(spec["gain"] * (1.2 + 0.45 * q[owner] + 0.45 * rng.standard_normal(len(kpi))), 0.9)
    final = np.select([lower, percent], [baseline * (1 - change), 100 - (100 - baseline) * (1 - change)],
                      baseline * (1 + change))
    scale = 10.0 ** spec["decimals"]
    values = np.column_stack([baseline, final])
    values = np.round(values * scale[:, None]) / scale[:, None]
    rows = len(kpi)
    return pd.DataFrame({
        "pilot_id": np.repeat(registry.frame["pilot_id"].to_numpy()[owner], 2),
        "indicator": np.repeat(np.array([k.name for k in catalogue], dtype=object)[kpi], 2),
        "period": np.tile(np.array(["baseline", "final"], dtype=object), rows),
        "value": values.ravel(),
        "better": np.repeat(np.where(lower, "lower", "higher"), 2),
    })


# --- expert panel ------------------------------------------------------------------------


def _experts(rng: np.random.Generator, registry: Registry, scheme: Scheme) -> pd.DataFrame:
    """Panels of 5–7 experts scoring the scheme's expert indicators in half points.

    Each (pilot, indicator) has a true standing driven by quality; every expert adds a
    personal leniency and noise, so panels agree well but not perfectly.
    """
    n = registry.size
    maxima = scheme.allocate()
    leaves = [leaf for leaf in scheme.leaves() if leaf.rule is not None and leaf.rule.name == "expert"]
    points = np.array([maxima[leaf.id] for leaf in leaves])
    standing = _logistic(1.7 + 0.9 * registry.quality[:, None] + rng.normal(0, 0.45, (n, len(leaves))))
    panel = rng.integers(EXPERTS_PER_PANEL[0], EXPERTS_PER_PANEL[1] + 1, n)
    owner = np.repeat(np.arange(n), panel)
    leniency = rng.normal(0, 0.05, len(owner))
    share = standing[owner] + leniency[:, None] + rng.normal(0, 0.07, (len(owner), len(leaves)))
    score = np.minimum(np.round(np.clip(share, 0, 1) * points * 2) / 2, points)
    return pd.DataFrame({
        "pilot_id": np.repeat(registry.frame["pilot_id"].to_numpy()[owner], len(leaves)),
        "expert_id": np.repeat(("E" + _text(_within(owner) + 1).str.zfill(2)).to_numpy(), len(leaves)),
        "indicator_id": np.tile(np.array([leaf.id for leaf in leaves], dtype=object), len(owner)),
        "score": score.ravel(),
    })
