"""`kg review`: a draft's items in text order, decisions saved and resumed, edits refused when they would lose the
evidence, rejections that take their triples with them, and publication that validates or puts every file back.

Each test works on a copy of the project (KG_ROOT) holding the draft in tests/fixtures/draft/: a made-up article
a900 with entity proposals, statements, records, new names of an existing entity and a curators' reading."""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import ROOT

from kg.cli.main import cli, main
from kg.errors import InputError, KGError
from kg.ingest.publish import PublishFindings, publish
from kg.ingest.review import ACCEPTED, ADDED_RULE, REJECTED, UNDECIDED, ReviewError, open_review
from kg.vocab.namespaces import QD

FIXTURE = Path(__file__).parent / "fixtures" / "draft"
SID = "a900"
OBS_01 = """qd:a900-obs-01 a qdo:Observation ;
    qdo:indicator qd:ind-ParkEnterprises ; qdo:about qd:LingshanBayMarineRoboticsPark ;
    qdo:value {value} ; qdo:unit qdo:Count ; qdo:qualifier qdo:MoreThan ; qdo:valueText "more than 40" ;
    qdo:evidence "The park hosts more than 40 enterprises." ; dcterms:source art:a900 .
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project with the fixture draft as its only draft, and KG_ROOT pointing at it."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("ontology.ttl", "shapes.ttl"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "data", root / "data", ignore=shutil.ignore_patterns("drafts"))
    shutil.copytree(ROOT / "queries", root / "queries")
    shutil.copytree(FIXTURE, root / "data" / "drafts")
    monkeypatch.setenv("KG_ROOT", str(root))
    return root


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def kg(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def kg_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The console entry point as a user runs it: exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["kg", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_items_follow_the_text(project: Path) -> None:
    review = open_review(SID)
    keys = [item.key for item in review.items]
    assert keys[:4] == ["qd:a900-new-01", "qd:a900-s01", "names:qd:WestCoastNewArea", "qd:a900-new-02"]
    assert keys[-2:] == ["qd:a900-new-06", "qd:a900-post-01"]
    assert {item.kind for item in review.items} == {"proposal", "statement", "names", "record"}
    obs = review.item("a900-obs-02")  # found by local name, CURIE or key
    assert obs.place.sentence == "Last year, marine equipment output in Qingdao grew 12.5 percent."
    assert obs.place.paragraph is not None and obs.place.paragraph.endswith("said more firms would arrive soon.")
    assert (obs.rule, obs.confidence) == ("figure:percent", "0.9")
    assert "qd:a900-cur-01" in obs.turtle() and "curated.ttl" in obs.turtle()  # its reading goes with it
    assert "draftRule" not in obs.turtle()
    target = review.item("qd:a900-tgt-01").turtle()
    assert "qd:MarineEquipmentActionPlan qdo:sets qd:a900-tgt-01" in target
    statement = review.item("qd:a900-s01").turtle()
    assert statement.index("qd:LingshanBayMarineRoboticsPark qdo:locatedIn") < statement.index("rdf:Statement")
    assert all(item.state == UNDECIDED for item in review.items)


def test_decisions_are_saved_and_resumed(project: Path) -> None:
    review = open_review(SID)
    review.accept("qd:a900-s01")
    review.reject("qd:a900-obs-01")
    review.edit("qd:a900-post-01", review.item("qd:a900-post-01").turtle().replace('"official"', '"an official"'))
    added = review.add(review.template(review.item("qd:a900-s02")).replace("qd:Subject", "qd:Qingdao"))
    saved = json.loads((project / "data" / "drafts" / f"{SID}.review.json").read_text(encoding="utf-8"))
    assert saved["items"]["qd:a900-s01"] == {"state": ACCEPTED}

    again = open_review(SID)
    assert again.item("qd:a900-s01").state == ACCEPTED
    assert again.item("qd:a900-obs-01").state == REJECTED
    assert '"an official"' in again.item("qd:a900-post-01").turtle()
    new = again.item(added.key)
    assert (new.key, new.rule, new.confidence, new.state, new.added) == ("qd:a900-s03", ADDED_RULE, "1", ACCEPTED, True)
    assert new.place.sentence is not None and new.place.sentence.startswith("The Qingdao Marine Equipment Action Plan")
    assert len(again.undecided()) == len(review.items) - 4


def test_a_reading_goes_with_its_item(project: Path) -> None:
    """The reviewer's Turtle is split as the draft files are: a reading (with its rationale) joins the curated graph
    and belongs to the item it is about, so rejecting the item drops it."""
    reading = (
        'qd:a900-obs-01 qdo:asOf "2023-06-12"^^xsd:date .\n'
        "qd:a900-cur-02 a rdf:Statement ; rdf:subject qd:a900-obs-01 ; rdf:predicate qdo:asOf ;\n"
        '    rdf:object "2023-06-12"^^xsd:date ; qdo:rationale "The count is as of the article\'s date." .\n'
    )
    review = open_review(SID)
    with pytest.raises(ReviewError, match="a reading about qd:a900-obs-01: edit qd:a900-obs-01 to add it there"):
        review.add(reading)
    item = review.edit("qd:a900-obs-01", OBS_01.format(value="40") + reading)
    reading_node = QD["a900-cur-02"]
    assert {t[0] for t in item.triples("curated")} == {item.node, reading_node}
    assert reading_node not in {t[0] for t in item.triples("article")}
    review.reject("qd:a900-obs-01")
    assert reading_node not in {t[0] for i in review.items if i.state != REJECTED for t in i.triples("curated")}
    own = review.add(
        "qd:WestCoastNewArea qdo:locatedIn qd:Qingdao .\n"
        "qd:a900-cur-03 a rdf:Statement ; rdf:subject qd:WestCoastNewArea ; rdf:predicate qdo:locatedIn ;\n"
        '    rdf:object qd:Qingdao ; qdo:rationale "A new area of Qingdao\'s, by its name in a004." .\n'
    )
    assert (own.key, own.kind, own.state, own.place.position) == ("qd:a900-cur-03", "reading", ACCEPTED, None)
    assert review.items[-1] is own  # no quote places it: last


def test_a_changed_draft_is_not_given_old_decisions(project: Path) -> None:
    open_review(SID).accept("qd:a900-s01")
    draft = project / "data" / "drafts" / f"{SID}.ttl"
    draft.write_text(draft.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="changed since these decisions were made"):
        open_review(SID)


def test_rejecting_a_proposal_rejects_what_uses_its_entity(project: Path) -> None:
    review = open_review(SID)
    also = review.reject("qd:a900-new-01")
    assert {item.key for item in also} == {"qd:a900-s01", "qd:a900-obs-01"}
    with pytest.raises(
        ReviewError, match="qd:LingshanBayMarineRoboticsPark, whose proposal qd:a900-new-01 is rejected"
    ):
        review.accept("qd:a900-s01")
    assert review.accept_all() == [] and review.item("qd:a900-s01").state == REJECTED  # rejections stay
    review.accept("qd:a900-new-01")  # accepting it again reopens what its rejection rejected
    assert review.item("qd:a900-s01").state == UNDECIDED


@pytest.mark.parametrize(
    ("turtle", "message"),
    [
        pytest.param(
            OBS_01.format(value="40") + "qd:a900-obs-01 qdo:year", "the edit of qd:a900-obs-01, line 5: ", id="syntax"
        ),
        pytest.param(
            OBS_01.format(value="40").replace("hosts more", "has more"),
            "is not in the article's text",
            id="not-verbatim",
        ),
        pytest.param(
            OBS_01.format(value="40").replace('qdo:evidence "The park hosts more than 40 enterprises." ;', ""),
            "needs a qdo:evidence",
            id="no-evidence",
        ),
        pytest.param(
            OBS_01.format(value="40").replace("qd:a900-obs-01", "qd:a900-obs-09"),
            "holds qd:a900-obs-09 instead",
            id="other-node",
        ),
        pytest.param(OBS_01.format(value="40") + "qd:a900-s02 qdo:evidence 'x' .", "holds 2 items", id="two-items"),
        pytest.param("", "holds no triples; to drop an item, reject it", id="empty"),
        pytest.param(
            OBS_01.format(value="40").replace("qd:LingshanBayMarineRoboticsPark", "[]"), "blank nodes", id="blank-node"
        ),
        pytest.param(
            OBS_01.format(value="40").replace("qdo:Count", "<Count>"), "<Count> is a relative IRI", id="relative-iri"
        ),
    ],
)
def test_a_bad_edit_is_refused_and_nothing_is_lost(project: Path, turtle: str, message: str) -> None:
    review = open_review(SID)
    review.accept("qd:a900-s01")
    before = files(project)
    item = review.item("qd:a900-obs-01")
    triples = item.quads
    with pytest.raises(KGError, match=message.replace("[", r"\[").replace("(", r"\(")):
        review.edit(item.key, turtle)
    assert (item.quads, item.state, item.edited) == (triples, UNDECIDED, None)
    assert files(project) == before
    assert open_review(SID).item(item.key).quads == triples


@pytest.mark.slow
def test_accept_all_and_publish(project: Path) -> None:
    assert kg("validate", "--drafts", "--no-reasoner").exit_code == 0  # the fixture is a valid draft
    result = kg("review", SID, "--accept-all", "--publish", "--no-reasoner")
    assert result.exit_code == 0, result.output
    assert "published a900: 13 item(s) accepted, 0 rejected" in result.output
    validated = kg("validate", "--no-reasoner")
    assert validated.exit_code == 0 and validated.output.startswith("OK:"), validated.output

    article = (project / "data" / "triples" / f"{SID}.ttl").read_text(encoding="utf-8")
    for prefix in ("qd", "art", "qdo", "rdf", "xsd", "skos", "dcterms", "prov"):
        assert f"@prefix {prefix}:" in article
    assert "draftRule" not in article and "confidence" not in article and "EntityProposal" not in article
    assert 'qdo:sourceFile "data/articles/900_b9e815aab8d20c01.txt"' in article
    text = project / "data" / "articles" / "900_b9e815aab8d20c01.txt"
    assert text.read_bytes() == (FIXTURE / f"{SID}.txt").read_bytes()
    with (project / "data" / "articles" / "articles.csv").open(encoding="utf-8", newline="") as f:
        row = list(csv.DictReader(f))[-1]
    assert row["short_id"] == SID and row["file"] == text.name and row["date"] == "2023-06-12"
    assert row["publisher"] == "China Daily (chinadaily.com.cn)"
    entities = (project / "data" / "triples" / "entities.ttl").read_text(encoding="utf-8")
    assert '# --- a900 "Qingdao opens a marine robotics park": new entities and names' in entities
    assert 'qd:WestCoastNewArea skos:altLabel "West Coast New District"@en .' in entities
    assert "@prefix rdf:" not in entities and "qd:ZhangWei a qdo:Person" in entities
    curated = (project / "data" / "triples" / "curated.ttl").read_text(encoding="utf-8")
    assert 'qd:a900-obs-02 qdo:year "2022"^^xsd:gYear .' in curated
    assert not list((project / "data" / "drafts").iterdir())


@pytest.mark.slow
def test_rejections_take_their_triples_with_them(project: Path) -> None:
    review = open_review(SID)
    for key in ("qd:a900-s01", "qd:a900-tgt-01", "qd:a900-obs-02"):
        review.reject(key)
    review.accept_all()
    publish(review, reasoner=False)
    article = (project / "data" / "triples" / f"{SID}.ttl").read_text(encoding="utf-8")
    assert "qdo:locatedIn" not in article and "qd:a900-s01" not in article  # the asserted triple too
    assert "qdo:sets" not in article and "qd:a900-tgt-01" not in article  # a rejected target's sets triple
    assert "a900" not in (project / "data" / "triples" / "curated.ttl").read_text(encoding="utf-8")  # its reading
    assert kg("validate", "--no-reasoner").exit_code == 0


@pytest.mark.slow
def test_a_publication_that_fails_validation_restores_every_file(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    review = open_review(SID)
    review.edit("qd:a900-obs-01", OBS_01.format(value="40.0"))  # parses, quotes the text, but a count is an integer
    review.accept_all()
    before = files(project)
    code, out, err = kg_main(monkeypatch, capsys, "review", SID, "--publish", "--no-reasoner")
    assert code == 1
    assert "[numbers] qd:a900-obs-01: a count, rank or number of years is an xsd:integer" in out
    assert "a900 was not published" in err and "Traceback" not in err
    assert files(project) == before
    with pytest.raises(PublishFindings):
        publish(open_review(SID), reasoner=False)
    assert files(project) == before


def test_user_mistakes_are_one_line_errors(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for args, message in [
        (("review", "../a900"), "'../a900' is not a draft's short id"),
        (("review", "a901", "--list"), "no draft a901 in"),
        (("review", SID, "--publish"), "13 item(s) of a900 are undecided"),
    ]:
        code, _, err = kg_main(monkeypatch, capsys, *args)
        assert (code, err.count("\n")) == (2, 1), err
        assert err.startswith("error: ") and message in err
    (project / "data" / "triples" / f"{SID}.ttl").write_text("", encoding="utf-8")
    open_review(SID).accept_all()
    code, _, err = kg_main(monkeypatch, capsys, "review", SID, "--publish")
    assert code == 2 and "data/triples/a900.ttl already exists" in err
    with pytest.raises(InputError):
        open_review("a900/../../etc")


def test_the_walk(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = kg("review", SID, input="a\nr\nb\na\nx\nq\n")
    assert result.exit_code == 0, result.output
    assert "── 1/13  proposal qd:a900-new-01" in result.output
    assert "Qingdao's West Coast New District opened the Lingshan Bay Marine Robotics Park on Monday." in result.output
    assert "also rejected" not in result.output and "'x' is not one of" in result.output
    review = open_review(SID)
    states = [item.state for item in review.items[:3]]
    assert states == [ACCEPTED, ACCEPTED, UNDECIDED]

    edits = iter([OBS_01.format(value="40") + "oops", OBS_01.format(value="41")])
    monkeypatch.setattr("click.edit", lambda text, extension: next(edits))
    result = kg("review", SID, input="r\na\ne\ny\nq\n")  # resumes at item 3; a refused edit is offered again
    assert "── 3/13  names names:qd:WestCoastNewArea" in result.output
    assert (
        "error: the edit of qd:a900-obs-01, line 5: " in result.output
        and "edited and accepted qd:a900-obs-01" in result.output
    )
    review = open_review(SID)
    assert review.item("names:qd:WestCoastNewArea").state == REJECTED
    assert review.item("qd:a900-obs-01").state == ACCEPTED

    monkeypatch.setattr("click.edit", lambda text, extension: text.replace("qd:Subject", "qd:Qingdao"))
    result = kg("review", SID, input="n\n" + "a\n" * 12)
    assert "added qd:a900-s03 (accepted)" in result.output
    assert "0 undecided" in result.output and "publish with kg review a900 --publish" in result.output
    result = kg("review", SID, "--list")
    assert "reviewer:added 1] added" in result.output


def test_the_walk_moves_past_what_a_rejected_proposal_took_with_it(project: Path) -> None:
    result = kg("review", SID, input="r\nq\n")
    rejected, rest = result.output.split("also rejected, as they use its entity: qd:a900-s01, qd:a900-obs-01")
    assert "── 1/13  proposal qd:a900-new-01" in rejected and "── 3/13  names" in rest and "2/13" not in rest
    result = kg("review", SID, input="b\nb\na\nq\n")  # from item 3 back to the proposal, accepted: s01 reopens
    assert "── 2/13  statement qd:a900-s01  undecided" in result.output.split("── 1/13")[1]
    assert open_review(SID).item("qd:a900-obs-01").state == UNDECIDED


def test_control_characters_in_the_text_are_shown_escaped(project: Path) -> None:
    """An article can carry terminal escape sequences (retitle, clear the screen, reorder text): shown escaped."""
    drafts = project / "data" / "drafts"
    plain = "Qingdao's West Coast New District opened"
    hostile = "Qingdao's\x1b]0;owned\x07\x1b[2J\u202e West Coast New District opened"
    text = drafts / f"{SID}.txt"
    text.write_text(text.read_text(encoding="utf-8").replace(plain, hostile), encoding="utf-8")
    article = drafts / f"{SID}.ttl"
    quoted = "Qingdao's\\u001B]0;owned\\u0007\\u001B[2J\\u202E West Coast New District opened"
    article.write_text(article.read_text(encoding="utf-8").replace(plain, quoted), encoding="utf-8")
    for args in (("review", SID, "--list"), ("review", SID)):
        result = kg(*args, input="q\n")
        assert result.exit_code == 0, result.output
        assert r"Qingdao's\x1b]0;owned\x07\x1b[2J\u202e West" in result.output
        assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output
    review = open_review(SID)
    sentence = review.item("qd:a900-new-01").place.sentence
    assert sentence is not None and sentence.startswith(hostile)
    with pytest.raises(ReviewError, match=r"\\x1b\[2J nowhere"):
        review.add(review.template().replace("the words of the article that state it", "\x1b[2J nowhere"))


def test_review_is_not_available_on_a_wrong_draft(project: Path) -> None:
    article = project / "data" / "drafts" / f"{SID}.ttl"
    article.write_text(article.read_text(encoding="utf-8").replace('"900_b9e815aab8d20c01"', '"../../x"'), "utf-8")
    with pytest.raises(InputError, match="needs one dcterms:identifier 900_ and 16 hex digits"):
        open_review(SID)
