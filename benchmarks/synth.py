"""Deterministic synthetic corpora shaped like the Qingdao knowledge graph, for benchmarking engines at scale.

``generate(out, triples, seed)`` writes a project root that ``KG_ROOT=<out> kg ...`` uses as it is: the real
ontology, shapes, saved queries, entities, articles and curated graph (so every saved question keeps its real
answers), plus synthetic articles ``a00005.ttl``, ``a00006.ttl`` … with their texts, modelled as
docs/modelling.md says: statements between entities asserted *and* reified with a verbatim evidence sentence,
figures, targets and post holdings as records, events with their dates, new entities (with aliases) appended to
the one entities file. Synthetic links reach the real hubs (Haier, COSMOPlat, Chery, Hisense, Qingdao) and some
figures are restated, or contradicted, by a later article, so the saved questions' answers grow with the corpus.
Same (triples, seed) → byte-identical files.

Usage: python benchmarks/synth.py --triples 100k --out DIR [--seed 8] [--force]
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import io
import json
import random
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import NoReturn

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

REPO = Path(__file__).resolve().parent.parent
GENERATOR_VERSION = 2
WIDTH = 5  # digits of a synthetic article number: a00005 … a99999, enough for MAX_TRIPLES
MAX_TRIPLES = 10_000_000
SUMMARY = "SYNTH.json"
OWNED = ("ontology.ttl", "shapes.ttl", "queries", "data", SUMMARY)  # everything generate() writes

QD = "https://w3id.org/qingdao-kg/id/"
QDO = "https://w3id.org/qingdao-kg/ontology#"
ART = QD + "article/"
PREFIXES = """@prefix qd:      <https://w3id.org/qingdao-kg/id/> .
@prefix art:     <https://w3id.org/qingdao-kg/id/article/> .
@prefix qdo:     <https://w3id.org/qingdao-kg/ontology#> .
@prefix rdf:     <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
"""
WHOLE_UNITS = ("qdo:Count", "qdo:Rank", "qdo:Year")  # units whose figures are whole numbers (xsd:integer)
# Real entities the synthetic articles link to, so that the saved questions about them grow.
HUBS = {
    "haier": "qd:Haier",
    "cosmoplat": "qd:COSMOPlat",
    "cosmoplat-company": "qd:COSMOPlatCompany",
    "chery": "qd:Chery",
    "hisense": "qd:Hisense",
    "qingdao": "qd:Qingdao",
    "government": "qd:QingdaoMunicipalGovernment",
    "party": "qd:CPCQingdaoCommittee",
    "lighthouse": "qd:GlobalLighthouseFactory",
    "national-cluster": "qd:NationalAdvancedManufacturingCluster",
    "cross-platform": "qd:CrossIndustryCrossFieldPlatform",
}
# Pools of real entities by kind (ontology class names); synthetic ones join them as they appear.
REAL_KINDS = {
    "enterprise": ("Enterprise",),
    "platform": ("Platform",),
    "cluster": ("Cluster",),
    "alliance": ("Alliance",),
    "plan": ("Plan", "Policy"),
    "factory": ("Factory",),
    "person": ("Person",),
    "district": ("District",),
    "body": (),  # fictional municipal bureaus only: the real bodies (central government …) would read oddly
    "media": ("MediaOrganization",),
    "technology": ("Technology",),
    "industry": ("Industry",),
}

SYLLABLES = [
    "Hai",
    "Qing",
    "Lan",
    "Jiao",
    "Xin",
    "Hua",
    "Rui",
    "Tai",
    "Ming",
    "Sheng",
    "Feng",
    "Jin",
    "Long",
    "Yuan",
    "Bo",
    "Kang",
    "Ying",
    "Zhong",
    "Heng",
    "Yu",
    "Chen",
    "Wei",
    "Lu",
    "Shan",
    "Tian",
    "Xing",
    "Jia",
    "Cheng",
    "Hong",
    "An",
]
ENDINGS = [
    "tong",
    "chuang",
    "xin",
    "da",
    "hui",
    "wei",
    "rong",
    "tai",
    "neng",
    "yuan",
    "feng",
    "kang",
    "sheng",
    "ming",
    "ke",
    "bo",
    "jie",
    "rui",
    "hai",
    "lian",
    "yi",
    "xiang",
]
SURNAMES = [
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Zhao",
    "Huang",
    "Zhou",
    "Wu",
    "Xu",
    "Sun",
    "Hu",
    "Zhu",
    "Gao",
    "Lin",
    "He",
    "Guo",
    "Ma",
    "Luo",
    "Liang",
    "Song",
    "Zheng",
    "Xie",
    "Han",
    "Tang",
    "Feng",
    "Yu",
    "Dong",
    "Xiao",
]
GIVEN = [
    "hai",
    "ming",
    "wei",
    "jun",
    "hong",
    "li",
    "qiang",
    "yan",
    "jing",
    "tao",
    "bin",
    "xin",
    "lei",
    "ping",
    "gang",
    "hua",
    "jie",
    "yu",
    "chen",
    "fang",
    "rui",
    "kai",
    "lin",
    "bo",
]


@dataclass(frozen=True)
class Sector:
    """A trade a synthetic enterprise or platform is in: its name word, industry and product."""

    word: str
    industry: str
    product: str


SECTORS = (
    Sector("Robotics", "industrial robots", "robot"),
    Sector("Precision Machinery", "high-end equipment", "machine tool"),
    Sector("Marine Biotech", "marine biomedicine", "marine drug"),
    Sector("Smart Appliances", "smart home appliances", "smart appliance"),
    Sector("Rail Equipment", "rail transportation equipment", "bogie"),
    Sector("Auto Parts", "automotive industry", "auto part"),
    Sector("Advanced Materials", "new materials", "composite panel"),
    Sector("Microelectronics", "integrated circuits", "chip"),
    Sector("Supply Chain", "smart logistics", "logistics robot"),
    Sector("Apparel", "textiles and clothing", "garment"),
    Sector("Tyre", "rubber tires", "tire"),
    Sector("Information Systems", "information technology", "server"),
    Sector("Industrial Software", "industrial software", "software"),
    Sector("Hydrogen Power", "hydrogen energy", "fuel cell"),
    Sector("Ocean Engineering", "marine equipment", "offshore module"),
    Sector("Aerotech", "aviation equipment", "drone"),
    Sector("Sensing", "Internet of Things", "sensor"),
    Sector("EV Power", "new energy vehicles", "battery pack"),
    Sector("Bio-Pharma", "biotechnology", "vaccine"),
    Sector("Data Intelligence", "big data", "data server"),
)
HUB_PRODUCTS = {
    "qd:Haier": ("refrigerator", "washing machine", "water heater", "air conditioner", "kitchen appliance"),
    "qd:Chery": ("vehicle", "engine", "transmission", "battery"),
    "qd:Hisense": ("laser TV", "air conditioner", "display panel"),
}
# (label, aliases) of real-world places and fictional bodies, media and technologies, introduced as needed.
FIXED: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "district": (
        ("Laoshan District", ("Laoshan",)),
        ("Shinan District", ("Shinan",)),
        ("Licang District", ("Licang",)),
        ("Chengyang District", ("Chengyang",)),
        ("Jimo District", ("Jimo",)),
        ("Jiaozhou", ("Jiaozhou city",)),
        ("Pingdu", ("Pingdu city",)),
        ("Laixi", ("Laixi city",)),
    ),
    "body": (
        ("Qingdao Municipal Bureau of Industry and Information Technology", ("Municipal Bureau of Industry",)),
        ("Qingdao Municipal Bureau of Commerce", ("Municipal Bureau of Commerce",)),
        ("Qingdao Municipal Bureau of Science and Technology", ("Municipal Science and Technology Bureau",)),
        ("Qingdao Big Data Development Administration", ("Big Data Development Administration",)),
        ("Qingdao Marine Development Bureau", ("Marine Development Bureau",)),
    ),
    "media": (
        ("Qingdao Industry Herald", ("Industry Herald",)),
        ("Jiaodong Business Daily", ()),
        ("Yellow Sea Economic Review", ("YSER",)),
        ("Peninsula Tech News", ("Peninsula Tech",)),
    ),
    "technology": (
        ("machine vision inspection system", ("machine vision",)),
        ("digital twin system", ("digital twin",)),
        ("5G private network", ("5G private networks",)),
        ("industrial big data analytics", ()),
        ("edge computing gateway", ("edge computing",)),
        ("automated guided vehicles", ("AGVs",)),
        ("predictive maintenance system", ()),
        ("blockchain traceability system", ()),
        ("AI scheduling system", ()),
        ("industrial augmented reality", ("industrial AR",)),
        ("collaborative robots", ("cobots",)),
        ("smart warehousing system", ()),
    ),
}
CLASS_OF = {
    "enterprise": "Enterprise",
    "platform": "Platform",
    "cluster": "Cluster",
    "alliance": "Alliance",
    "factory": "Factory",
    "person": "Person",
    "district": "District",
    "body": "GovernmentBody",
    "media": "MediaOrganization",
    "technology": "Technology",
    "industry": "Industry",
    "indicator": "Indicator",
}


@dataclass(frozen=True)
class Spec:
    """A synthetic indicator: how the text names it, its kind of unit, and what it can be about."""

    local: str
    label: str
    phrase: str
    unit: str  # yuan | pct | change | count | rank | minute | area
    about: tuple[str, ...]  # place | enterprise | platform | cluster | factory

    @property
    def iri(self) -> str:
        return f"qd:ind-{self.local}"


SPECS = (
    Spec("OperatingRevenue", "Operating revenue", "operating revenue", "yuan", ("enterprise",)),
    Spec("RevenueGrowth", "Operating revenue, year-on-year growth", "revenue growth", "pct", ("enterprise", "cluster")),
    Spec("ExportValue", "Export value", "export value", "yuan", ("enterprise", "place")),
    Spec(
        "RDSpending", "Research and development spending", "research and development spending", "yuan", ("enterprise",)
    ),
    Spec("PatentsGranted", "Number of patents granted", "number of patents granted", "count", ("enterprise", "place")),
    Spec("Employees", "Number of employees", "number of employees", "count", ("enterprise", "factory")),
    Spec("NationalRank", "National rank in its industry", "national rank", "rank", ("enterprise", "platform")),
    Spec("ServedEnterprises", "Number of enterprises served", "number of enterprises served", "count", ("platform",)),
    Spec(
        "ConnectedDevices",
        "Number of industrial devices connected",
        "number of connected devices",
        "count",
        ("platform",),
    ),
    Spec("EfficiencyGain", "Improvement of production efficiency", "efficiency gain", "pct", ("factory", "platform")),
    Spec("DeliveryCycleCut", "Reduction of the order delivery cycle", "delivery cycle reduction", "pct", ("factory",)),
    Spec("LineCycleTime", "Time between products coming off the line", "line cycle time", "minute", ("factory",)),
    Spec("AnnualCapacity", "Annual production capacity (units)", "annual production capacity", "count", ("factory",)),
    Spec(
        "ClusterEnterprises",
        "Number of enterprises in a cluster",
        "number of member enterprises",
        "count",
        ("cluster",),
    ),
    Spec("OutputValue", "Industrial output value", "output value", "yuan", ("cluster", "place")),
    Spec(
        "CityShare",
        "Share of the city's industrial output",
        "share of the city's industrial output",
        "pct",
        ("cluster",),
    ),
    Spec(
        "CityShareChange",
        "Change in the share of the city's industrial output",
        "share of the city's industrial output",
        "change",
        ("cluster",),
    ),
    Spec("OutputGrowth", "Industrial output value, year-on-year growth", "industrial output growth", "pct", ("place",)),
    Spec("InvestmentAttracted", "Investment attracted", "investment attracted", "yuan", ("place",)),
    Spec("ProjectsSigned", "Number of projects signed", "number of projects signed", "count", ("place",)),
    Spec("DigitalWorkshops", "Number of digital workshops", "number of digital workshops", "count", ("place",)),
    Spec("PlannedArea", "Planned area", "planned area", "area", ("cluster",)),
)
SPECS_BY_ABOUT = {
    kind: [s for s in SPECS if kind in s.about] for kind in ("place", "enterprise", "platform", "cluster")
}
SPECS_BY_ABOUT["factory"] = [s for s in SPECS if "factory" in s.about]
TARGET_SPECS = {k: [s for s in v if s.unit in ("yuan", "pct", "count")] for k, v in SPECS_BY_ABOUT.items()}
UNITS = {
    "yuan": "qdo:Yuan",
    "pct": "qdo:Percent",
    "count": "qdo:Count",
    "rank": "qdo:Rank",
    "minute": "qdo:Minute",
    "area": "qdo:SquareKilometre",
}
SCALES = {"": Decimal(1), "million": Decimal(10**6), "billion": Decimal(10**9)}
ORDINALS = ("first", "second", "third", "fourth", "fifth")
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
EVENT_TYPES = (
    ("Forum", "forum"),
    ("Forum", "summit"),
    ("Conference", "conference"),
    ("Conference", "expo"),
    ("Meeting", "promotion meeting"),
    ("PressConference", "press conference"),
    ("Launch", "launch ceremony"),
)
POSTS = {
    "government": ("mayor", "deputy mayor"),
    "party": ("deputy secretary", "member of the Standing Committee"),
    "body": ("director", "deputy director"),
    "enterprise": ("chairman", "president", "general manager", "chief engineer"),
}
CLAIMS = (
    "has become a benchmark for intelligent manufacturing",
    "is accelerating its digital transformation",
    "will build a world-class {industry} base",
    "plans to expand its overseas markets",
    "keeps increasing investment in research and development",
    "has entered the first echelon of the {industry} industry in China",
    "is committed to green and low-carbon development",
    "attaches great importance to bringing in talent",
)
THEMES = (
    "empowering {industry} and creating an intelligent future",
    "{industry}: open cooperation for a shared future",
)
TITLES = (
    "{x} drives Qingdao's {i} upgrade",
    "Qingdao bets on {i}",
    "{x}: a new engine for Qingdao's {i}",
    "Qingdao's {i} sector reaches new heights",
    "How {x} is reshaping {i} in Qingdao",
    "Qingdao accelerates {i} with {x}",
)


class SynthError(Exception):
    """Bad input or a folder the generator must not write into; the CLI prints it on one line and exits 2."""


def lit(text: str) -> str:
    """A Turtle string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def figure_value(value: Decimal, unit: str) -> str:
    """A figure's qdo:value in Turtle, as the real files write it (``kg validate`` checks this): counts, ranks
    and years an xsd:integer, amounts an xsd:decimal, both in canonical form ("62", never "62.0")."""
    text = format(value.normalize(), "f")
    if unit in WHOLE_UNITS:
        return str(int(value))
    return f'"{text}"^^xsd:decimal' if "." not in text else text


def num(value: Decimal) -> str:
    """A number as an article writes it: 12.5, 300 (no trailing .0)."""
    return format(value.normalize(), "f") if value != value.to_integral_value() else str(int(value))


def join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def camel(label: str) -> str:
    local = "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", label))
    return local if local[:1].isalpha() else "E" + local


# ---------------------------------------------------------------------------------------------------------------
# The real corpus
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Entity:
    """Something the articles name: its CURIE, preferred label first, then the aliases the text may use."""

    iri: str
    names: list[str]
    kind: str
    sector: int = -1  # index into SECTORS for synthetic enterprises and platforms
    born: str = ""  # short id of the article that introduced it ("" for real entities)

    @property
    def label(self) -> str:
        return self.names[0]


def _curie(term: object) -> str | None:
    """qd:/qdo:/skos: CURIE of an IRI, or None (article IRIs, literals, other vocabularies)."""
    if not isinstance(term, URIRef):
        return None
    text = str(term)
    for prefix, base in (("qd", QD), ("qdo", QDO), ("skos", str(SKOS))):
        local = text[len(base) :]
        if text.startswith(base) and re.fullmatch(r"[A-Za-z][\w-]*", local):
            return f"{prefix}:{local}"
    return None


@dataclass
class Real:
    """What the generator needs from the real project: files, triple counts, entities, curated facts."""

    files: list[str]  # project-relative paths of the RDF files the loader reads
    counts: dict[str, int]
    entities: dict[str, list[Entity]]  # ontology class local name -> entities
    iris: set[str]
    labels: set[str]
    curated: set[tuple[str, str, str]]  # entity-entity triples curators state: no article may repeat them
    next_article: int


def read_real(repo: Path) -> Real:
    """Parse the real files once (a few thousand triples): counts, entities by class and curated facts."""
    triples = sorted(p.relative_to(repo).as_posix() for p in (repo / "data" / "triples").glob("*.ttl"))
    files = ["ontology.ttl", *triples]
    numbers = [int(m.group(1)) for f in triples if (m := re.fullmatch(r"data/triples/a(\d{3,})\.ttl", f))]
    real = Real(files, {}, {}, set(), set(), set(), max(numbers, default=-1) + 1)
    for rel in files:
        g = Graph().parse(repo / rel, format="turtle")
        real.counts[rel] = len(g)
        if rel.endswith("/entities.ttl"):
            for s in sorted(set(g.subjects(RDF.type, None)), key=str):
                iri = _curie(s)
                if iri is None:
                    continue
                names = [str(g.value(s, SKOS.prefLabel)), *sorted(str(a) for a in g.objects(s, SKOS.altLabel))]
                real.iris.add(iri)
                real.labels.update(n.lower() for n in names)
                for t in sorted(g.objects(s, RDF.type), key=str):
                    cls = str(t).removeprefix(QDO)
                    real.entities.setdefault(cls, []).append(Entity(iri, names, cls))
        elif rel.endswith("/curated.ttl"):
            for s, p, o in g:
                cs, cp, co = _curie(s), _curie(p), _curie(o)
                if cs and cp and co:
                    real.curated.add((cs, cp, co))
    missing = [iri for iri in HUBS.values() if iri not in real.iris]
    if missing:
        raise SynthError(f"the real entities file lacks the hub entities {', '.join(missing)}")
    clashes = [s.iri for s in SPECS if s.iri in real.iris]
    if clashes:
        raise SynthError(f"synthetic indicators clash with real ones: {', '.join(clashes)}")
    return real


# ---------------------------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A figure as one article writes it: number, scale, unit, qualifier, spelling of the unit."""

    kind: str  # Spec.unit
    amount: Decimal  # as printed, before the scale: 3.2 in "3.2 billion yuan"
    scale: str = ""
    unit: str = ""
    qualifier: str = ""
    word: str = ""  # the qualifier as written: "more than", "over", "nearly", "up to"
    style: str = ""  # "%" or " percent"; "yuan" or "Yuan"

    def value(self) -> Decimal:
        return self.amount * SCALES[self.scale]

    def text(self) -> str:
        n = num(self.amount)
        if self.kind == "yuan":
            base = f"{n} {self.scale} {self.style}"
        elif self.kind in ("pct", "change"):
            base = f"{n} percentage points" if self.unit == "qdo:PercentagePoint" else f"{n}{self.style}"
        elif self.kind == "rank":
            base = ORDINALS[int(self.amount) - 1]
        elif self.kind == "minute":
            base = f"{n} minutes"
        elif self.kind == "area":
            base = f"{n} square kilometers"
        else:
            base = n
        return f"{self.word} {base}" if self.word else base


def new_figure(rng: random.Random, kind: str) -> Figure:
    """A fresh figure of a kind of unit, with a qualifier now and then (never on ranks and changes)."""
    style = ""
    scale = ""
    unit = UNITS.get(kind, "")
    if kind == "yuan":
        scale = rng.choice(("million", "billion"))
        amount = Decimal(rng.randint(10, 990)) if scale == "million" else Decimal(rng.randint(10, 999)) / 10
        style = "Yuan" if rng.random() < 0.2 else "yuan"
    elif kind in ("pct", "change"):
        amount = Decimal(rng.randint(5, 450) if kind == "pct" else rng.randint(2, 60)) / 10
        style = rng.choice(("%", " percent"))
        unit = "qdo:PercentagePoint" if kind == "change" and rng.random() < 0.5 else "qdo:Percent"
    elif kind == "rank":
        amount = Decimal(rng.randint(1, 5))
    elif kind in ("minute", "area"):
        amount = Decimal(rng.randint(11, 60) if kind == "minute" else rng.randint(15, 500)) / 10
    else:
        amount = Decimal(rng.randint(3, 3000))
    fig = Figure(kind, amount, scale, unit, style=style)
    r = rng.random()
    if kind in ("rank", "change") or r >= 0.25:
        return fig
    if r < 0.15:
        return replace(fig, qualifier="qdo:MoreThan", word=rng.choice(("more than", "over", "exceeding")))
    if r < 0.21 or kind != "yuan":
        return replace(fig, qualifier="qdo:Nearly", word="nearly")
    return replace(fig, qualifier="qdo:UpTo", word="up to")


def revise(rng: random.Random, fig: Figure) -> Figure:
    """The same figure as another article gets it wrong: a change in percent vs points, or another number."""
    if fig.kind == "change":
        swapped = "qdo:Percent" if fig.unit == "qdo:PercentagePoint" else "qdo:PercentagePoint"
        return replace(fig, unit=swapped, style="%")
    if fig.kind == "rank":
        return replace(fig, amount=Decimal(rng.choice([n for n in range(1, 6) if n != int(fig.amount)])))
    whole = fig.kind == "count" or fig.scale == "million"
    step = max(Decimal(1), (fig.amount / 20).to_integral_value()) if whole else Decimal("0.1")
    delta = step * rng.randint(1, 15)
    amount = fig.amount - delta if fig.amount - delta > 0 and rng.random() < 0.5 else fig.amount + delta
    return replace(fig, amount=amount)


@dataclass
class Key:
    """One figure in the world (indicator, about, year): the articles that report it and what the first said."""

    spec: Spec
    about: Entity
    year: int | None
    period: str
    figure: Figure
    sources: list[str] = field(default_factory=list)


def figure_sentence(rng: random.Random, key: Key, name: str, text: str) -> str:
    phrase, year = key.spec.phrase, key.year
    if year is None:  # never a rank or a change, which always have their year
        return f"{key.period}, the {phrase} of {name} has reached {text}."
    if key.spec.unit == "rank":
        return f"In {year}, {name} ranked {text} nationwide in its industry."
    if key.spec.unit == "change":
        return f"In {year}, the {phrase} of {name} rose by {text} compared with {year - 1}."
    if rng.random() < 0.5:
        return f"In {year}, the {phrase} of {name} reached {text}."
    return f"The {phrase} of {name} was {text} in {year}."


# ---------------------------------------------------------------------------------------------------------------
# The world: every entity, and the figures already reported
# ---------------------------------------------------------------------------------------------------------------


class World:
    """Real and synthetic entities by kind; new ones are written to the entities file as they first appear."""

    def __init__(self, rng: random.Random, real: Real) -> None:
        self.rng = rng
        self.iris = set(real.iris)
        self.labels = set(real.labels)
        self.curated = real.curated
        self.by_iri = {e.iri: e for es in real.entities.values() for e in es}
        self.pools: dict[str, list[Entity]] = {}
        for kind, classes in REAL_KINDS.items():
            members = [e for c in classes for e in real.entities.get(c, []) if e.iri != HUBS["cosmoplat"]]
            self.pools[kind] = [replace(e, kind=kind) for e in members]
        self.pools["platform"].append(replace(self.by_iri[HUBS["cosmoplat"]], kind="platform"))
        for pool in self.pools.values():
            self.by_iri.update((e.iri, e) for e in pool)
        self.industries = {e.label.lower(): e for e in self.pools["industry"]}
        self.fixed = {kind: list(items) for kind, items in FIXED.items()}
        self.indicators: dict[str, Entity] = {}
        self.introduced: list[tuple[Entity, str]] = []  # (entity, its class), written by entity_lines()
        self.said: set[str] = set()  # every name an article's text has used
        self.readings: list[str] = []  # curators' readings of vague dates, appended to curated.ttl
        self.triples = 0
        self.created = 0
        self.article = ""  # short id of the article being written
        self.keys: list[Key] = []  # figures reported by fewer than three articles (can be restated)
        self.pair_years: dict[tuple[str, str], set[int]] = {}
        self.undated: set[tuple[str, str]] = set()

    def hub(self, name: str) -> Entity:
        return self.by_iri[HUBS[name]]

    # --- creating entities ---

    def _label(self, make: Callable[[], str]) -> str:
        """A label no entity has yet (labels resolve entities, so they must stay unambiguous)."""
        label = make()
        for _ in range(30):
            if label.lower() not in self.labels:
                return label
            label = make()
        n = 2
        while f"{label} ({n})".lower() in self.labels:
            n += 1
        return f"{label} ({n})"

    def add(
        self, kind: str, label: str, aliases: list[str], cls: str = "", sector: int = -1, local: str = ""
    ) -> Entity:
        """Introduce an entity: its type, one preferred label and aliases, in the entities file."""
        local = local or camel(label)
        if f"qd:{local}" in self.iris:
            n = 2
            while f"qd:{local}{n}" in self.iris:
                n += 1
            local = f"{local}{n}"
        aliases = [a for a in dict.fromkeys(aliases) if a.lower() != label.lower()]
        e = Entity(f"qd:{local}", [label, *aliases], kind, sector, self.article)
        self.iris.add(e.iri)
        self.labels.add(label.lower())
        self.introduced.append((e, cls or CLASS_OF[kind]))
        self.triples += 2 + len(aliases)
        self.created += 1
        self.by_iri[e.iri] = e
        if kind in self.pools:
            self.pools[kind].append(e)
        return e

    def entity_lines(self) -> str:
        """The synthetic entities in Turtle. As in the real entities file, an alias some article's text uses is a
        skos:altLabel and one no text uses a skos:hiddenLabel (``kg validate`` checks this)."""
        out = []
        for e, cls in self.introduced:
            text = f"{e.iri} a qdo:{cls} ; skos:prefLabel {lit(e.label)}@en"
            for prop, names in (
                ("skos:altLabel", [n for n in e.names[1:] if n in self.said]),
                ("skos:hiddenLabel", [n for n in e.names[1:] if n not in self.said]),
            ):
                if names:
                    text += f" ;\n    {prop} " + ", ".join(f"{lit(n)}@en" for n in names)
            out.append(text + " .\n")
        return "".join(out)

    def _brand(self) -> str:
        rng = self.rng
        return rng.choice(SYLLABLES) + rng.choice(ENDINGS)

    def new_enterprise(self) -> Entity:
        sector = self.rng.randrange(len(SECTORS))
        label = self._label(lambda: f"{self._brand()} {SECTORS[sector].word}")
        brand = label.split()[0]
        variants = [f"{label} Co., Ltd.", brand, f"Qingdao {label}", label.upper()]
        return self.add("enterprise", label, self.rng.sample(variants, self.rng.randint(1, 3)), sector=sector)

    def new_person(self) -> Entity:
        rng = self.rng

        def make() -> str:
            return f"{rng.choice(SURNAMES)} {rng.choice(GIVEN).capitalize()}{rng.choice(GIVEN)}"

        label = self._label(make)
        surname, given = label.split()[:2]
        variants = [f"{surname}{given.lower()}", f"{surname.upper()} {given}"]
        return self.add("person", label, rng.sample(variants, rng.randint(1, 2)))

    def new_platform(self) -> Entity:
        sector = self.rng.randrange(len(SECTORS))
        industry = SECTORS[sector].industry
        label = self._label(lambda: f"{self._brand()} {industry} industrial internet platform")
        brand = label.split()[0]
        variants = [f"{brand} platform", f"{brand} industrial interconnection platform", f"{brand} Cloud"]
        return self.add("platform", label, self.rng.sample(variants, self.rng.randint(1, 2)), sector=sector)

    def new_factory(self, operator: Entity, place: Entity) -> Entity:
        products = (SECTORS[operator.sector].product,) if operator.sector >= 0 else HUB_PRODUCTS.get(operator.iri, ())
        product = self.rng.choice(products or ("equipment",))
        brand = operator.label.split()[0]
        label = self._label(lambda: f"{brand} {place.label} {product} factory" + self.rng.choice(("", " II", " III")))
        return self.add("factory", label, [f"{brand} {product} factory"])

    def new_cluster(self, industry: Entity, place: Entity) -> Entity:
        label = self._label(lambda: f"{place.label} {industry.label} cluster")
        return self.add("cluster", label, [f"{industry.label} cluster", f"{industry.label} industry cluster"])

    def new_alliance(self, industry: Entity) -> Entity:
        region = self.rng.choice(("Qingdao", "Jiaodong", "Shandong Peninsula"))
        label = self._label(lambda: f"{region} {industry.label} industry alliance")
        return self.add("alliance", label, [f"{industry.label} alliance"])

    def new_plan(self, industry: Entity, year: int) -> Entity:
        kind = self.rng.choice(("development action plan", "three-year action plan", "implementation plan"))
        label = self._label(lambda: f"Qingdao {industry.label} {kind} ({year}-{year + 2})")
        return self.add("plan", label, [f"{industry.label} {kind}"], cls="Plan")

    def new_event(self, year: int, industry: Entity) -> Entity:
        cls, word = self.rng.choice(EVENT_TYPES)
        label = self._label(lambda: f"{year} Qingdao {industry.label} {word}")
        return self.add("event", label, [], cls=cls)

    def indicator(self, spec: Spec) -> Entity:
        if spec.iri not in self.indicators:
            self.indicators[spec.iri] = self.add("indicator", spec.label, [], local=f"ind-{spec.local}")
        return self.indicators[spec.iri]

    def industry(self, label: str) -> Entity:
        if label.lower() not in self.industries:
            self.industries[label.lower()] = self.add("industry", label, [])
        return self.industries[label.lower()]

    def pick(self, kind: str, fresh: float = 0.0) -> Entity:
        """An entity of a kind: a new one with probability ``fresh``, else an existing one, older ones likelier
        (so that early entities become hubs, as in a real graph)."""
        pool = self.pools[kind]
        if self.rng.random() < fresh or not pool:
            made = self._create(kind)
            if made is not None:
                return made
        return pool[int(len(pool) * self.rng.random() ** 2)]

    def _create(self, kind: str) -> Entity | None:
        if kind == "enterprise":
            return self.new_enterprise()
        if kind == "person":
            return self.new_person()
        if kind == "industry":
            return self.industry(self.rng.choice(SECTORS).industry)
        if self.fixed.get(kind):
            label, aliases = self.fixed[kind].pop(0)
            return self.add(kind, label, list(aliases))
        return None

    def place(self) -> Entity:
        return self.hub("qingdao") if self.rng.random() < 0.75 else self.pick("district", 0.3)

    def members(self, k: int, hubs: tuple[str, ...], p_hub: float) -> list[Entity]:
        """Up to k distinct enterprises, some of them real hubs."""
        chosen: dict[str, Entity] = {}
        for _ in range(k):
            e = self.hub(self.rng.choice(hubs)) if self.rng.random() < p_hub else self.pick("enterprise", 0.35)
            chosen.setdefault(e.iri, e)
        return list(chosen.values())

    # --- figures ---

    def new_key(self, spec: Spec, about: Entity, year: int) -> Key | None:
        """A figure slot (indicator, about, year) no article has filled, or None if taken: figures are restated
        only on purpose (``open_key``), so that every conflict the saved questions find is a deliberate one."""
        pair = (spec.iri, about.iri)
        if pair in self.undated:
            return None
        if spec.unit not in ("change", "rank") and self.rng.random() < 0.12:
            if pair in self.pair_years:
                return None
            self.undated.add(pair)
            return Key(spec, about, None, self.rng.choice(("So far", "This year", "Last year")), self.figure(spec))
        years = self.pair_years.setdefault(pair, set())
        if year in years:
            return None
        years.add(year)
        return Key(spec, about, year, "", self.figure(spec))

    def figure(self, spec: Spec) -> Figure:
        return new_figure(self.rng, spec.unit)

    def open_key(self, sid: str) -> tuple[int, Key] | None:
        """A figure another article reported, to restate (agree with or contradict) in article ``sid``."""
        for _ in range(3):
            if not self.keys:
                return None
            i = self.rng.randrange(len(self.keys))
            if sid not in self.keys[i].sources:
                return i, self.keys[i]
        return None

    def reported(self, key: Key, sid: str, index: int | None) -> None:
        key.sources.append(sid)
        if index is None:
            self.keys.append(key)
        elif len(key.sources) >= 3:
            self.keys[index] = self.keys[-1]
            self.keys.pop()


# ---------------------------------------------------------------------------------------------------------------
# One synthetic article: its graph (Turtle) and its text
# ---------------------------------------------------------------------------------------------------------------


class Article:
    """An article being written: sentences of its text, and the Turtle that cites them as evidence."""

    def __init__(self, number: int, seed: int, world: World) -> None:
        self.world = world
        self.rng = world.rng
        self.sid = f"a{number:0{WIDTH}d}"
        world.article = self.sid
        self.node = f"art:{self.sid}"
        digest = hashlib.sha256(f"qingdao-kg synth {seed} {number}".encode()).hexdigest()[:16]
        self.ident = f"{number:0{WIDTH}d}_{digest}"
        rng = self.rng
        self.date = datetime.date(rng.randint(2019, 2024), rng.randint(1, 12), rng.randint(1, 28))
        self.dated = rng.random() < 0.92
        self.year = self.date.year
        self.paragraphs: list[list[str]] = []
        self.turtle: list[str] = []
        self.asserted: set[tuple[str, str, str]] = set()
        self.triples = 0
        self.counters = {"s": 0, "obs": 0, "tgt": 0, "post": 0}
        self.event: Entity | None = None
        self.event_date = ""
        self.focus: tuple[str, str] | None = None  # (entity, industry) for the title

    def say(self, e: Entity) -> str:
        """How the text names an entity: mostly its preferred label, sometimes an alias (as real articles do)."""
        if e.kind in ("City", "district", "industry") or len(e.names) == 1 or self.rng.random() < 0.7:
            name = e.label
        else:
            name = self.rng.choice(e.names[1:])
        self.world.said.add(name)
        return name

    def paragraph(self, heading: str) -> None:
        self.paragraphs.append([])
        self.turtle.append(f"\n# --- Paragraph {len(self.paragraphs)}: {heading} ---\n")

    def sentence(self, text: str) -> str:
        self.paragraphs[-1].append(text)
        return text

    def _next(self, kind: str) -> str:
        """IRIs as in the real files: qd:a00005-s01 for statements, qd:a00005-obs-01 for records."""
        self.counters[kind] += 1
        n = self.counters[kind]
        return f"qd:{self.sid}-s{n:02d}" if kind == "s" else f"qd:{self.sid}-{kind}-{n:02d}"

    def fact(self, s: str, p: str, o: str, evidence: str) -> None:
        """A statement between entities: asserted, and reified with its evidence in the same graph."""
        key = (s, p, o)
        if key in self.asserted or key in self.world.curated:
            return  # said already here, or a curators' inference no article may repeat
        self.asserted.add(key)
        node = self._next("s")
        self.turtle.append(
            f"{s} {p} {o} .\n{node} a rdf:Statement ; rdf:subject {s} ; rdf:predicate {p} ;\n"
            f"    rdf:object {o} ; dcterms:source {self.node} ;\n    qdo:evidence {lit(evidence)} .\n"
        )
        self.triples += 7

    def read_date(self, node: str, prop: str, value: str, rationale: str) -> None:
        """A curators' reading of a vague date ("Last year", "at the end of May") in a dated article, as the real
        curated.ttl gives one for each: the fact, and its reification with the rationale. Undated articles get
        none (nothing to read the date from, and ``kg validate`` exempts them)."""
        if not self.dated:
            return
        n = len(self.world.readings) + 1
        self.world.readings.append(
            f"\n{node} {prop} {value} .\nqd:cur-synth-{n:05d} a rdf:Statement ; rdf:subject {node} ; "
            f"rdf:predicate {prop} ; rdf:object {value} ;\n    qdo:rationale {lit(rationale)} .\n"
        )
        self.world.triples += 6

    def record(self, kind: str, cls: str, props: list[tuple[str, str]], evidence: str) -> str:
        """A record (figure, target, post holding) carrying its own evidence; not reified."""
        node = self._next(kind)
        body = "".join(f"    {p} {o} ;\n" for p, o in props)
        self.turtle.append(
            f"{node} a {cls} ;\n{body}    qdo:evidence {lit(evidence)} ;\n    dcterms:source {self.node} .\n"
        )
        self.triples += len(props) + 3
        return node

    def observation(self, key: Key, fig: Figure) -> None:
        text = fig.text()
        evidence = self.sentence(figure_sentence(self.rng, key, self.say(key.about), text))
        props = [
            ("qdo:indicator", self.world.indicator(key.spec).iri),
            ("qdo:about", key.about.iri),
            ("qdo:value", figure_value(fig.value(), fig.unit)),
            ("qdo:unit", fig.unit),
        ]
        if fig.qualifier:
            props.append(("qdo:qualifier", fig.qualifier))
        props.append(("qdo:valueText", lit(text)))
        if key.year is None:
            props.append(("qdo:periodText", lit(key.period)))
        else:
            props.append(("qdo:year", f'"{key.year}"^^xsd:gYear'))
            if key.spec.unit == "change":
                props.append(("qdo:comparedWithYear", f'"{key.year - 1}"^^xsd:gYear'))
        node = self.record("obs", "qdo:Observation", props, evidence)
        dated = f"{self.sid} says '{key.period}'; the article is dated {self.date.isoformat()}."
        if key.period == "So far":
            self.read_date(node, "qdo:asOf", f'"{self.date.isoformat()}"^^xsd:date', dated)
        elif key.period in ("This year", "Last year"):
            year = self.year - 1 if key.period == "Last year" else self.year
            self.read_date(node, "qdo:year", f'"{year}"^^xsd:gYear', dated)

    def observe(self, about: Entity, kind: str) -> None:
        """Report a figure no article has reported yet about ``about``."""
        spec = self.rng.choice(SPECS_BY_ABOUT[kind])
        key = self.world.new_key(spec, about, self.year - self.rng.choice((0, 1, 1, 2)))
        if key is not None:
            self.world.reported(key, self.sid, None)
            self.observation(key, key.figure)

    def restate(self) -> bool:
        """Report a figure an earlier article reported: the same (agreement) or different (a conflict)."""
        found = self.world.open_key(self.sid)
        if found is None:
            return False
        index, key = found
        fig = revise(self.rng, key.figure) if self.rng.random() < 0.5 else key.figure
        self.world.reported(key, self.sid, index)
        self.observation(key, fig)
        return True

    def set_focus(self, entity: Entity, industry: Entity) -> None:
        if self.focus is None:
            self.focus = (entity.label, industry.label)


# ---------------------------------------------------------------------------------------------------------------
# Stories: each writes one paragraph and the facts and records it states
# ---------------------------------------------------------------------------------------------------------------


def story_event(w: World, a: Article) -> None:
    """An event: date (or date as written), place, theme, a speaker with their post, participants."""
    rng = a.rng
    a.paragraph("event")
    industry = w.pick("industry", 0.1)
    day = a.date - datetime.timedelta(days=rng.randint(1, 60))
    ev = w.new_event(day.year, industry)
    place = w.place()
    a.event = ev
    if rng.random() < 0.7:
        a.event_date = day.isoformat()
        s = a.sentence(f"On {MONTHS[day.month - 1]} {day.day}, {day.year}, the {a.say(ev)} was held in {a.say(place)}.")
        a.fact(ev.iri, "qdo:date", f'"{a.event_date}"^^xsd:date', s)
    else:
        when = rng.choice((f"at the end of {MONTHS[day.month - 1]}", f"in mid-{MONTHS[day.month - 1]}"))
        s = a.sentence(f"The {a.say(ev)} was held in {a.say(place)} {when}.")
        a.fact(ev.iri, "qdo:dateText", lit(when), s)
        a.read_date(
            ev.iri,
            "qdo:yearMonth",
            f'"{day.year}-{day.month:02d}"^^xsd:gYearMonth',
            f"{a.sid}, dated {a.date.isoformat()}, reports the event '{when}' in the past tense: "
            f"{MONTHS[day.month - 1]} {day.year}.",
        )
    a.fact(ev.iri, "qdo:location", place.iri, s)
    if rng.random() < 0.4:
        theme = rng.choice(THEMES).format(industry=industry.label)
        s = a.sentence(f"The {a.say(ev)} took the theme of “{theme}”.")
        a.fact(ev.iri, "qdo:theme", lit(theme), s)
    speaker = w.pick("person", 0.5)
    role = rng.choice(("government", "party", "body", "enterprise", "enterprise"))
    org = w.pick(role, 0.3) if role in ("body", "enterprise") else w.hub(role)
    title = rng.choice(POSTS[role])
    s = a.sentence(f"{a.say(speaker)}, {title} of {a.say(org)}, delivered a speech at the {a.say(ev)}.")
    a.fact(ev.iri, "qdo:speaker", speaker.iri, s)
    post = [
        ("qdo:holder", speaker.iri),
        ("qdo:postIn", org.iri),
        ("qdo:postTitle", lit(title)),
        ("qdo:atEvent", ev.iri),
    ]
    if a.event_date:
        post.append(("qdo:asOf", f'"{a.event_date}"^^xsd:date'))
    a.record("post", "qdo:PostHolding", post, s)
    if rng.random() < 0.7:
        guests = w.members(rng.randint(2, 4), ("haier", "hisense", "chery", "cosmoplat"), 0.3)
        s = a.sentence(f"Representatives of {join([a.say(g) for g in guests])} attended the {a.say(ev)}.")
        for g in guests:
            a.fact(ev.iri, "qdo:participant", g.iri, s)
    a.set_focus(ev, industry)


def _factory_intro(w: World, a: Article) -> Entity:
    """A new factory with its operator (often Haier, Chery or Hisense) and place."""
    rng = a.rng
    r = rng.random()
    operator = w.hub("haier") if r < 0.2 else w.hub("chery") if r < 0.35 else w.pick("enterprise", 0.3)
    place = w.place()
    factory = w.new_factory(operator, place)
    s = a.sentence(f"The {a.say(factory)} in {a.say(place)} is operated by {a.say(operator)}.")
    a.fact(factory.iri, "qdo:operatedBy", operator.iri, s)
    a.fact(factory.iri, "qdo:locatedIn", place.iri, s)
    return factory


def story_platform(w: World, a: Article) -> None:
    """A platform, who built it (the company behind COSMOPlat, Haier, Chery among them), its industry, the
    factory it supports."""
    rng = a.rng
    a.paragraph("platform")
    if rng.random() < 0.7:
        r = rng.random()
        first = w.hub("cosmoplat-company") if r < 0.3 else w.hub("haier") if r < 0.4 else w.pick("enterprise", 0.4)
        builders = [first]
        if rng.random() < 0.6:
            second = w.hub("chery") if rng.random() < 0.3 else w.pick("enterprise", 0.4)
            if second.iri != first.iri:
                builders.append(second)
        platform = w.new_platform()
        names = [a.say(b) for b in builders]
        how = f"jointly built by {names[0]} and {names[1]}" if len(names) == 2 else f"built by {names[0]}"
        s = a.sentence(f"The {a.say(platform)}, {how}, was officially put into operation.")
        for b in builders:
            a.fact(platform.iri, "qdo:builtBy", b.iri, s)
        industry = w.industry(SECTORS[platform.sector].industry)
        s = a.sentence(f"The platform serves the {industry.label} industry.")
        a.fact(platform.iri, "qdo:inIndustry", industry.iri, s)
        a.set_focus(platform, industry)
        if a.event is not None and rng.random() < 0.4:
            s = a.sentence(f"The {a.say(platform)} was unveiled at the {a.say(a.event)}.")
            a.fact(platform.iri, "qdo:releasedAt", a.event.iri, s)
    else:
        platform = w.pick("platform")
    if rng.random() < 0.6:
        factory = _factory_intro(w, a) if rng.random() < 0.5 else w.pick("factory")
        s = a.sentence(f"{a.say(platform)} provides crucial support for the {a.say(factory)}.")
        a.fact(platform.iri, "qdo:supports", factory.iri, s)
    if rng.random() < 0.12:
        s = a.sentence(
            f"{a.say(platform)} has been selected as a national cross-industry and cross-field industrial internet "
            "platform."
        )
        a.fact(platform.iri, "qdo:hasRecognition", HUBS["cross-platform"], s)
    a.observe(platform, "platform")


def story_factory(w: World, a: Article) -> None:
    """A factory: its technology, recognition, the platform supporting it, its figures."""
    rng = a.rng
    a.paragraph("factory")
    factory = _factory_intro(w, a) if rng.random() < 0.7 else w.pick("factory")
    tech = w.pick("technology", 0.3)
    s = a.sentence(f"The {a.say(factory)} uses {a.say(tech)} to achieve flexible production.")
    a.fact(factory.iri, "qdo:usesTechnology", tech.iri, s)
    if rng.random() < 0.15:
        s = a.sentence(f"The {a.say(factory)} has been selected as a global lighthouse factory.")
        a.fact(factory.iri, "qdo:hasRecognition", HUBS["lighthouse"], s)
    if rng.random() < 0.5:
        platform = w.hub("cosmoplat") if rng.random() < 0.35 else w.pick("platform")
        s = a.sentence(f"{a.say(platform)} provides digital support for the {a.say(factory)}.")
        a.fact(platform.iri, "qdo:supports", factory.iri, s)
    for _ in range(rng.randint(1, 2)):
        a.observe(factory, "factory")


def story_cluster(w: World, a: Article) -> None:
    """An industrial cluster (its place and industry when new) and enterprises that are part of it."""
    rng = a.rng
    a.paragraph("cluster")
    if rng.random() < 0.5:
        industry = w.pick("industry", 0.2)
        place = w.place()
        cluster = w.new_cluster(industry, place)
        s = a.sentence(f"The {a.say(cluster)}, located in {a.say(place)}, focuses on {industry.label}.")
        a.fact(cluster.iri, "qdo:locatedIn", place.iri, s)
        a.fact(cluster.iri, "qdo:inIndustry", industry.iri, s)
        a.set_focus(cluster, industry)
        if rng.random() < 0.25:
            s = a.sentence(
                f"The {a.say(cluster)} has been selected as a national-level advanced manufacturing industry cluster."
            )
            a.fact(cluster.iri, "qdo:hasRecognition", HUBS["national-cluster"], s)
    else:
        cluster = w.pick("cluster")
    members = w.members(rng.randint(2, 4), ("haier", "hisense", "chery"), 0.2)
    verb = "is a member" if len(members) == 1 else "are members"
    s = a.sentence(f"{join([a.say(m) for m in members])} {verb} of the {a.say(cluster)}.")
    for m in members:
        a.fact(m.iri, "qdo:partOf", cluster.iri, s)
    a.observe(cluster, "cluster")


def story_alliance(w: World, a: Article) -> None:
    """An alliance and the organisations (the COSMOPlat company and Haier among them) that joined it."""
    rng = a.rng
    a.paragraph("alliance")
    alliance = w.new_alliance(w.pick("industry", 0.2)) if rng.random() < 0.6 else w.pick("alliance")
    members = w.members(rng.randint(2, 5), ("haier", "cosmoplat-company", "hisense", "chery"), 0.25)
    s = a.sentence(f"{join([a.say(m) for m in members])} joined the {a.say(alliance)}.")
    for m in members:
        a.fact(m.iri, "qdo:memberOf", alliance.iri, s)


def story_leading(w: World, a: Article) -> None:
    """A place's leading enterprises (Haier and Hisense often among them) and leading industries."""
    rng = a.rng
    a.paragraph("leading enterprises")
    place = w.place()
    firms = w.members(rng.randint(3, 6), ("haier", "hisense", "chery"), 0.3)
    s = a.sentence(
        f"{a.say(place)} has gathered a number of leading enterprises such as {join([a.say(f) for f in firms])}."
    )
    for f in firms:
        a.fact(place.iri, "qdo:hasLeadingEnterprise", f.iri, s)
    industries = list({i.iri: i for i in (w.pick("industry", 0.1) for _ in range(rng.randint(1, 3)))}.values())
    s = a.sentence(f"{a.say(place)}'s leading industries include {join([i.label for i in industries])}.")
    for i in industries:
        a.fact(place.iri, "qdo:leadingIndustry", i.iri, s)
    for f in firms:
        if f.born == a.sid and f.sector >= 0:
            industry = w.industry(SECTORS[f.sector].industry)
            s = a.sentence(f"{a.say(f)} is a leading {industry.label} enterprise.")
            a.fact(f.iri, "qdo:inIndustry", industry.iri, s)
            a.set_focus(f, industry)


def story_plan(w: World, a: Article) -> None:
    """A plan (who issued it, what it concerns) and the targets it sets, with a deadline, timeframe or neither."""
    rng = a.rng
    a.paragraph("plan and targets")
    if rng.random() < 0.6:
        industry = w.pick("industry", 0.1)
        plan = w.new_plan(industry, a.year)
        issuer = w.hub("government") if rng.random() < 0.5 else w.pick("body", 0.3)
        s = a.sentence(f"{a.say(issuer)} issued the {a.say(plan)}.")
        a.fact(plan.iri, "qdo:issuedBy", issuer.iri, s)
        s = a.sentence(f"The {a.say(plan)} focuses on the development of {industry.label}.")
        a.fact(plan.iri, "qdo:concerns", industry.iri, s)
        if a.event is not None and rng.random() < 0.5:
            s = a.sentence(f"The {a.say(plan)} was released at the {a.say(a.event)}.")
            a.fact(plan.iri, "qdo:releasedAt", a.event.iri, s)
    else:
        plan = w.pick("plan")
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(("place", "place", "cluster"))
        about = w.place() if kind == "place" else w.pick("cluster")
        spec = rng.choice(TARGET_SPECS[kind])
        fig = w.figure(spec)
        goal = f"raise the {spec.phrase} of {a.say(about)} to {fig.text()}"
        r = rng.random()
        if r < 0.5:
            deadline = a.year + rng.randint(1, 5)
            s = a.sentence(f"By {deadline}, the {a.say(plan)} aims to {goal}.")
            when = ("qdo:deadline", f'"{deadline}"^^xsd:gYear')
        elif r < 0.8:
            timeframe = rng.choice(("in three years", "in five years", "during the plan period"))
            s = a.sentence(f"The {a.say(plan)} aims to {goal} {timeframe}.")
            when = ("qdo:timeframe", lit(timeframe))
        else:
            s = a.sentence(f"Under the {a.say(plan)}, Qingdao will strive to {goal}.")
            when = ("qdo:openEnded", "true")
        props = [
            ("qdo:setBy", plan.iri),
            ("qdo:indicator", w.indicator(spec).iri),
            ("qdo:about", about.iri),
            ("qdo:value", figure_value(fig.value(), fig.unit)),
            ("qdo:unit", fig.unit),
        ]
        if fig.qualifier:
            props.append(("qdo:qualifier", fig.qualifier))
        props += [("qdo:valueText", lit(fig.text())), when]
        target = a.record("tgt", "qdo:Target", props, s)
        a.turtle.append(f"{plan.iri} qdo:sets {target} .\n")
        a.triples += 1


def story_figures(w: World, a: Article) -> None:
    """Figures about the city, a district or an enterprise, cluster, platform or factory; some restated."""
    rng = a.rng
    a.paragraph("figures")
    for _ in range(rng.randint(2, 4)):
        if rng.random() < 0.3 and a.restate():
            continue
        kind = rng.choice(("place", "place", "enterprise", "enterprise", "cluster", "platform", "factory"))
        about = w.place() if kind == "place" else w.pick(kind, 0.3 if kind == "enterprise" else 0.0)
        a.observe(about, kind)


def story_claims(w: World, a: Article) -> None:
    """Qualitative claims (qdo:statement) about the city, an enterprise or a platform."""
    rng = a.rng
    a.paragraph("claims")
    for _ in range(rng.randint(1, 3)):
        r = rng.random()
        subject = w.hub("qingdao") if r < 0.3 else w.pick("platform") if r < 0.45 else w.pick("enterprise", 0.2)
        claim = rng.choice(CLAIMS).format(industry=w.pick("industry").label)
        s = a.sentence(f"{a.say(subject)} {claim}.")
        a.fact(subject.iri, "qdo:statement", lit(claim) + "@en", s)


STORIES: tuple[tuple[Callable[[World, Article], None], float], ...] = (
    (story_platform, 0.17),
    (story_factory, 0.12),
    (story_cluster, 0.12),
    (story_alliance, 0.08),
    (story_leading, 0.11),
    (story_plan, 0.1),
    (story_figures, 0.18),
    (story_claims, 0.12),
)


def write_article(w: World, a: Article, budget: int) -> tuple[str, str, list[str]]:
    """Stories until the article (with the entities it introduces) reaches ``budget`` triples.

    Returns the Turtle, the text and the articles.csv row.
    """
    rng = a.rng
    start = w.triples
    if rng.random() < 0.35:
        story_event(w, a)
    stories, weights = zip(*STORIES, strict=True)
    while a.triples + w.triples - start + 10 < budget:
        rng.choices(stories, weights)[0](w, a)
    x, i = a.focus or ("Qingdao", w.pick("industry").label)
    title = rng.choice(TITLES).format(x=x, i=i)
    month = MONTHS[a.date.month - 1]
    publishers: list[Entity] = []
    if not a.dated:
        dateline, note = "", "No publication date printed."
    elif rng.random() < 0.5:
        publishers = [w.pick("media", 0.2)]
        if rng.random() < 0.5:
            dateline = f"({publishers[0].label})| Updated : {a.date.isoformat()}"
            note = f"Printed as '{dateline}'; this is the page's 'Updated' date."
        else:
            dateline = f"QINGDAO, China, {month} {a.date.day}, {a.year} /{publishers[0].label}/ --"
            note = f"Printed in the dateline as '{dateline}'."
    else:
        dateline = f"{month[:3]} {a.date.day}, {a.year}"
        note = f"Printed as '{dateline}' below the title. No publisher is named, so there is no dcterms:publisher."
    meta = [
        f"{a.node} a qdo:Article ;",
        f"    dcterms:identifier {lit(a.ident)} ; qdo:shortId {lit(a.sid)} ;",
        f"    dcterms:title {lit(title)} ;",
    ]
    if a.dated:
        meta.append(f'    dcterms:date "{a.date.isoformat()}"^^xsd:date ;')
    if publishers:
        meta.append(f"    dcterms:publisher {publishers[0].iri} ;")
    meta += [
        f'    qdo:sourceFile "data/articles/{a.ident}.txt" ; dcterms:language "en" ;',
        f"    qdo:dateNote {lit(note)} ;",
        "    dcterms:description "
        + lit("Synthetic article written by benchmarks/synth.py for benchmarking; not real news.")
        + "@en .",
    ]
    a.triples += 8 + a.dated + len(publishers)
    head = f"# Synthetic article {a.sid} (benchmarks/synth.py): not real news. Rules: docs/modelling.md.\n"
    turtle = head + PREFIXES + "\n# --- Article metadata ---\n" + "\n".join(meta) + "\n" + "".join(a.turtle)
    body = "\n\n".join(" ".join(p) for p in a.paragraphs)
    text = f"{title}\n\n{dateline}\n\n{body}\n" if dateline else f"{title}\n\n{body}\n"
    row = [
        a.sid,
        a.ident,
        f"{a.ident}.txt",
        ART + a.sid,
        title,
        "; ".join(sorted(p.label for p in publishers)),
        a.date.isoformat() if a.dated else "",
        note,
    ]
    return turtle, text, row


# ---------------------------------------------------------------------------------------------------------------
# The corpus folder
# ---------------------------------------------------------------------------------------------------------------


def read_summary(out: Path) -> dict | None:
    """SYNTH.json of a previous run, or None when ``out`` holds none (then it is not ours to overwrite)."""
    try:
        summary = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) and "generator_version" in summary else None


def _prepare(out: Path) -> None:
    """Refuse a file or a non-empty folder that is not a previous synth corpus; clear a previous corpus."""
    if out.exists() and not out.is_dir():
        raise SynthError(f"{out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()):
        if read_summary(out) is None:
            raise SynthError(f"{out} is not empty and holds no {SUMMARY}: refusing to write into it")
        for name in OWNED:
            path = out / name
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def _write_summary(out: Path, summary: dict) -> None:
    (out / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


def _copy_real(out: Path, real: Real) -> None:
    for rel in ["shapes.ttl", *real.files, "data/context.jsonld"]:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        if not rel.endswith("/entities.ttl"):
            shutil.copyfile(REPO / rel, out / rel)
    (out / "queries").mkdir()
    for path in sorted((REPO / "queries").glob("*.rq")):
        shutil.copyfile(path, out / "queries" / path.name)
    (out / "data" / "articles").mkdir(parents=True, exist_ok=True)
    for path in sorted((REPO / "data" / "articles").iterdir()):
        if path.is_file() and path.name != "articles.csv":
            shutil.copyfile(path, out / "data" / "articles" / path.name)


def generate(out: Path, triples: int, seed: int = 8) -> dict:
    """Write a synthetic project root of about ``triples`` triples (±5%) into ``out``; return its SYNTH.json.

    The count is the sum over the loaded files (ontology, entities, articles, curated) of their triples, i.e. the
    quads a store loads; ``kg validate`` reports slightly fewer, as the union graph merges facts several
    articles state.
    """
    real = read_real(REPO)
    base = sum(real.counts.values())
    if triples < base:
        raise SynthError(f"--triples must be at least {base:,} (the real corpus alone)")
    if triples > MAX_TRIPLES:
        raise SynthError(f"--triples must be at most {MAX_TRIPLES:,}")
    _prepare(out)
    summary = {"triples": None, "requested": triples, "seed": seed, "articles": None, "entities": None}
    _write_summary(out, {**summary, "generator_version": GENERATOR_VERSION})  # marks the folder as ours
    _copy_real(out, real)
    rng = random.Random(seed)
    world = World(rng, real)
    total = base
    number = real.next_article
    rows: list[list[str]] = []
    while triples - total >= 60:
        article = Article(number, seed, world)
        before = world.triples
        turtle, text, row = write_article(world, article, min(rng.randint(120, 320), triples - total))
        (out / "data" / "triples" / f"{article.sid}.ttl").write_text(turtle, encoding="utf-8")
        (out / "data" / "articles" / f"{article.ident}.txt").write_text(text, encoding="utf-8")
        rows.append(row)
        total += article.triples + world.triples - before
        number += 1
    entities = (REPO / "data" / "triples" / "entities.ttl").read_text(encoding="utf-8").rstrip("\n")
    section = f"\n\n# --- Synthetic entities (benchmarks/synth.py, seed {seed}), named by the synthetic articles ---\n"
    (out / "data" / "triples" / "entities.ttl").write_text(entities + section + world.entity_lines(), encoding="utf-8")
    curated = (REPO / "data" / "triples" / "curated.ttl").read_text(encoding="utf-8").rstrip("\n")
    section = f"\n\n# --- Synthetic readings of vague dates (benchmarks/synth.py, seed {seed}) ---\n"
    (out / "data" / "triples" / "curated.ttl").write_text(curated + section + "".join(world.readings), encoding="utf-8")
    index = io.StringIO()
    csv.writer(index).writerows(rows)
    csv_text = (REPO / "data" / "articles" / "articles.csv").read_bytes().decode("utf-8") + index.getvalue()
    (out / "data" / "articles" / "articles.csv").write_text(csv_text, encoding="utf-8", newline="")
    real_articles = sum(1 for f in real.files if re.search(r"/a\d{3,}\.ttl$", f))
    real_entities = len({e.iri for es in real.entities.values() for e in es})
    summary.update(triples=total, articles=real_articles + len(rows), entities=real_entities + world.created)
    summary["generator_version"] = GENERATOR_VERSION
    _write_summary(out, summary)
    return summary


# ---------------------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    """10000, 10k, 2.5M → a number of triples."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", text.strip())
    n = Decimal(m.group(1)) * {"": 1, "k": 1000, "m": 10**6}[m.group(2).lower()] if m else None
    if n is None or n != n.to_integral_value():
        raise SynthError(f"--triples {text!r} is not a size (use e.g. 10000, 10k, 100k, 1M)")
    return int(n)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, exit 2: the project's convention for bad input."""
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--triples", required=True, help="target size: 10000, 10k, 100k, 1M (±5%%)")
    parser.add_argument("--out", required=True, type=Path, help="folder to write (empty, new or a previous corpus)")
    parser.add_argument("--seed", type=int, default=8, help="random seed (default 8)")
    parser.add_argument("--force", action="store_true", help="regenerate even when OUT already holds this corpus")
    args = parser.parse_args(argv)
    try:
        n = parse_size(args.triples)
        old = read_summary(args.out)
        wanted = {"requested": n, "seed": args.seed, "generator_version": GENERATOR_VERSION}
        if old and not args.force and isinstance(old.get("triples"), int) and wanted.items() <= old.items():
            print(f"synth: {args.out} already holds this corpus ({old['triples']:,} triples); --force regenerates")
            return 0
        start = time.perf_counter()
        summary = generate(args.out, n, args.seed)
    except (SynthError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"synth: {summary['triples']:,} triples (requested {n:,}, seed {args.seed}), {summary['articles']:,} "
        f"articles, {summary['entities']:,} entities in {time.perf_counter() - start:.1f} s → {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
