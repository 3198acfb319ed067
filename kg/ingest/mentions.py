"""Names in an article → the entities they mean, or proposals of new ones.

Three passes over each sentence: every known name (a label, alias or search name from the vocabulary), then
what machine translation garbled (a name run together, a stray suffix) matched to a known name with rapidfuzz, then
names the graph does not know yet: runs of capitalised words ending in a head noun that names a class
("… Industrial Park", "… Forum"), titles in quotes ("Five-Year Plan …"), and people introduced with a post.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from rapidfuzz import fuzz, process
from rdflib import URIRef
from rdflib.namespace import SKOS

from kg.ingest.text import Sentence, Text
from kg.ingest.vocabulary import ORGANISATION_SUFFIXES, Entity, Vocabulary
from kg.vocab.namespaces import QDO

#: Concepts are written in lower case in running text; named things are matched with their capitals.
_CONCEPTS = (QDO.Industry, QDO.Technology, QDO.Recognition)
#: How close a garbled name must be to a known one (rapidfuzz ratio of the letters alone, 0-100).
FUZZY_THRESHOLD = 88
_FUZZY_MIN_LETTERS = 6
_WORD = re.compile(r"[A-Za-z0-9](?:[\w&-]|[.'’](?=\w))*")
_CONNECTORS = {"of", "for", "on", "the", "in", "&", "de"}
#: Words that end a name, so an "and" after them starts another ("… Committee and Secretary of …").
_HEAD_ENDINGS = {"committee", "commission", "government", "group", "company", "conference", "forum", "park"}
_LEADING = {"at", "in", "on", "for", "with", "by", "from", "the", "a", "an", "this", "that", "of", "to", "as"}
_STOP = {"with", "and", "to", "was", "is", "were", "are", "in", "at", "by", "which", "that", "has", "have", "will"}
_DETERMINERS = {"the", "a", "an", "this", "that", "its", "their", "his", "her"}
#: Posts that introduce a person: "Name, deputy secretary of …". Generic English titles.
POST_WORDS = (
    "secretary",
    "mayor",
    "member",
    "director",
    "chairman",
    "chairwoman",
    "president",
    "governor",
    "minister",
    "head",
    "chief",
    "founder",
    "general manager",
    "vice mayor",
    "vice-mayor",
    "deputy",
)
_HONORIFIC = r"(?:Ms|Mr|Mrs|Dr|Prof)\.?"
_PERSON = re.compile(
    rf"(?:(?P<hon>{_HONORIFIC})\s+)?(?P<name>[A-Z][a-z]+(?:[ -][A-Z][a-z]+){{0,2}})"
    rf"(?=,\s+(?:the\s+)?(?:(?:deputy|vice|executive|party|general)\s+)*(?:{'|'.join(POST_WORDS)})\b)"
)
_HONORED = re.compile(rf"\b(?P<hon>{_HONORIFIC})\s+(?P<name>[A-Z][a-z]+(?:\s[A-Z][a-z]+){{1,2}})\b")
_CREDIT = re.compile(
    r"\[(?:Photo|Image|Video)\s*/\s*(?P<name>[^\]\[/]{2,60})\]|\bSource:\s*(?P<source>[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*)*)\s*$"
)
_FOUNDED = re.compile(
    r"\b(?:set\s+up|established|formed|founded|launched)\s+(?:a|an|the)\s+(?P<name>(?:[a-z][\w-]*\s+){0,5}[a-z][\w-]*)"
)
#: A thing named in lower case just before it is said to be built by someone ("the first … platform in the …
#: industry, jointly built by A and B").
_BUILT = re.compile(
    r"\b(?:the|a|an)\s+(?P<name>(?:[\w-]+\s+){0,10}?(?:platform|factory|park|centre|center|base|zone)"
    r"(?:\s+in\s+the\s+(?:[\w-]+\s+){0,3}?industry)?),\s+(?:jointly\s+)?(?:built|developed|constructed)\s+by\b"
)
#: Names of those who build, run or hold something ("jointly built by A and B").
_AGENTS = re.compile(
    r"\b(?:built|developed|constructed|operated|founded|organi[sz]ed|hosted|sponsored)\s+by\s+"
    r"(?P<names>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*(?:\s*(?:,|and)\s+[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)*)"
)
#: Separators of an enumeration's items, and words that introduce one.
_SEPARATOR = re.compile(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|;\s*")
_INTRO = re.compile(
    r"^.*\b(?:such\s+as|like|including|represented\s+by|as\s+well\s+as|(?:fields?|areas?|sectors?)\s+of)\s+", re.I
)
_ITEM_WORDS = 5
#: An enumeration with no known item is read only when it is this long and says what its items are.
_HEADLESS_ITEMS = 4
_AUXILIARY = re.compile(r"\s+(?:have|has|had|are|is|were|was|will|shall|can|could|would|should)\b")
#: How many lower-case words a capitalised name may go on with before its head noun.
_DESCRIPTIVE_WORDS = 5
#: The confidence of a name proposed only for being capitalised: any better reading replaces it.
_GENERIC = 0.3
_QUOTED = re.compile(r"[\"“](?P<q>[^\"“”]{8,200})[\"”]")


@dataclass(frozen=True)
class Mention:
    """A name in the text and what it means: a known entity (``iri``), or a new one (``new`` with its class)."""

    text: str
    start: int
    end: int
    sentence: Sentence
    iri: URIRef | None
    how: str  # exact | fuzzy | new
    confidence: float
    cls: URIRef | None = None
    label: str | None = None

    @property
    def new(self) -> bool:
        return self.how == "new"

    @classmethod
    def proposed(
        cls, sentence: Sentence, start: int, end: int, kind: URIRef, confidence: float, label: str | None = None
    ) -> Mention:
        """A new entity named by ``sentence.text[start:end]`` (offsets within the sentence), of class ``kind``."""
        text = sentence.text[start:end]
        return cls(
            text, sentence.start + start, sentence.start + end, sentence, None, "new", confidence, kind, label or text
        )


def mention_is(vocabulary: Vocabulary, m: Mention, *classes: URIRef) -> bool:
    """Whether a mention means a thing of one of ``classes`` (or a subclass): a known entity by its types, a new
    one by its proposed class."""
    if m.iri is not None:
        return any(vocabulary.is_a(m.iri, c) for c in classes)
    return m.cls is not None and bool(vocabulary.subclasses.get(m.cls, {m.cls}) & set(classes))


def capitalised(label: str) -> str:
    return label[:1].upper() + label[1:]


def squash(text: str) -> str:
    """Letters and digits only, lower case: how garbled spellings are compared ("Li Wei" ~ "liwei")."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def singular(word: str) -> str:
    w = word.casefold()
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w


class Linker:
    """Finds mentions of the vocabulary's entities in sentences and proposes new entities."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary

    @cached_property
    def _names(self) -> list[tuple[str, Entity, bool]]:
        """(name, entity, case-insensitive) for every usable name, longest first."""
        out = []
        for entity in self.vocabulary.entities.values():
            if self.vocabulary.is_a(entity.iri, QDO.Indicator):
                continue
            concept = any(self.vocabulary.is_a(entity.iri, c) for c in _CONCEPTS)
            for name in entity.names:
                if (len(name.text) >= 3 and name.kind != SKOS.hiddenLabel) or name.text.islower():
                    several_words = len(name.text.split()) >= 2  # "… People's government" as "… People's Government"
                    out.append((name.text, entity, concept or name.text[:1].islower() or several_words))
        return sorted(out, key=lambda n: -len(n[0]))

    # One compiled alternation of the graph's names (longest first) does for exact names what spaCy's
    # PhraseMatcher would, without spaCy's dependencies; fuzzy matching is rapidfuzz's.
    @cached_property
    def _patterns(self) -> tuple[re.Pattern[str], re.Pattern[str], dict[str, Entity], dict[str, Entity]]:
        exact = {n: e for n, e, ci in self._names if not ci}
        loose: dict[str, Entity] = {}
        for n, e, ci in self._names:
            if ci:
                loose.setdefault(n.casefold(), e)

        def alternation(names: list[str], flags: int = 0) -> re.Pattern[str]:
            body = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) or "(?!)"
            return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", flags)

        return alternation(list(exact)), alternation(list(loose), re.IGNORECASE), exact, loose

    @cached_property
    def _descriptive_heads(self) -> frozenset[str]:
        """Head nouns a name may end in after lower-case words: those of organisations, places, facilities and
        instruments (not of concepts, whose names are lower case anyway)."""
        concepts = set(_CONCEPTS)
        return frozenset(
            word
            for word, cls in self.vocabulary.heads.items()
            if " " not in word and not set(self.vocabulary.subclasses.get(cls, {cls})) & concepts
        )

    @cached_property
    def _fuzzy_choices(self) -> dict[str, Entity]:
        named: dict[str, Entity] = {}
        for name, entity, _ci in self._names:
            concept = any(self.vocabulary.is_a(entity.iri, c) for c in _CONCEPTS)
            if not concept and len(squash(name)) >= _FUZZY_MIN_LETTERS:
                named.setdefault(squash(name), entity)
        return named

    def link(self, text: Text) -> list[Mention]:
        """Every mention in the article's sentences, in text order, none overlapping another."""
        mentions: list[Mention] = []
        for sentence in text.sentences:
            mentions.extend(self._sentence(sentence))
        return mentions

    def _sentence(self, sentence: Sentence) -> list[Mention]:
        exact, loose, by_exact, by_loose = self._patterns
        found: list[Mention] = []
        for m in exact.finditer(sentence.text):
            found.append(self._mention(sentence, m.start(), m.end(), by_exact[m.group()], "exact", 0.95))
        for m in loose.finditer(sentence.text):
            found.append(self._mention(sentence, m.start(), m.end(), by_loose[m.group().casefold()], "exact", 0.85))
        kept = _without_overlaps(found)
        kept = _without_overlaps(kept + self._people(sentence, kept))
        kept = _without_overlaps(self._credits(sentence, kept) + kept)
        for m in _QUOTED.finditer(sentence.text):
            proposal = self._quoted(sentence, m.start("q"), m.end("q"))
            if proposal is not None and not _covered(kept, sentence, m.start("q"), m.end("q")):
                kept = _without_overlaps([proposal, *kept])
        for start, end, capitals in _runs(sentence.text, self._descriptive_heads):
            if end > capitals and any(
                m.iri is not None and any(self.vocabulary.is_a(m.iri, c) for c in _CONCEPTS)
                for m in kept
                if m.start < sentence.start + capitals and sentence.start + start < m.end
            ):
                end = capitals  # "industrial Internet platforms": a concept's name, not the start of a new one
            if _covered(kept, sentence, start, end):
                continue
            headed = self._head_class(sentence.text[start:end].split()) is not None
            garbled = self._fuzzy(sentence, start, end, words=not headed, known=kept)
            if garbled is not None:
                kept = _without_overlaps([*kept, garbled])
                continue
            proposal = self._proposal(sentence, start, end, kept, widen=end == capitals)
            if proposal is not None:
                kept = _without_overlaps([proposal, *kept])
        kept = _without_overlaps(self._founded(sentence, kept) + kept)
        kept = _without_overlaps(kept + self._agents(sentence, kept))
        listed = self._listed(sentence, kept)
        kept = _without_overlaps(
            listed + [k for k in kept if not any(k.start < x.end and x.start < k.end for x in listed)]
        )
        return sorted(kept, key=lambda x: x.start)

    def _class_of(self, m: Mention) -> URIRef | None:
        if m.iri is None:
            return m.cls
        classes = sorted(c for c in self.vocabulary.entities[m.iri].classes if str(c).startswith(str(QDO)))
        return classes[0] if classes else None

    def _listed(self, sentence: Sentence, known: list[Mention]) -> list[Mention]:
        """Unknown items of an enumeration whose other items are known ("A, B, C and D" with A and C known
        enterprises; "x, y and z" with y a known industry): proposed with their siblings' class."""
        out: list[Mention] = []
        for run in _enumerations(sentence.text):
            siblings = [
                m
                for m in known
                for s, e in run
                if m.start - sentence.start == s and m.end - sentence.start == e and m.confidence > _GENERIC
            ]
            intro = self._intro_class(sentence.text[: run[0][0]])
            classes = [intro] if intro is not None else [c for c in map(self._class_of, siblings) if c is not None]
            if not classes and len(run) >= _HEADLESS_ITEMS:
                classes = [c for c in [self._concept_after(sentence.text[run[-1][1] :])] if c is not None]
            if not classes:
                continue
            cls = max(set(classes), key=classes.count)
            for s, e in run:
                overlapping = [m for m in known if m.start < sentence.start + e and sentence.start + s < m.end]
                shorter_concept = [
                    m
                    for m in overlapping
                    if m.iri is not None
                    and m.end - m.start < e - s
                    and any(self.vocabulary.is_a(m.iri, c) for c in _CONCEPTS)
                ]
                if any(m.confidence > _GENERIC and m not in shorter_concept for m in overlapping):
                    continue
                known = [m for m in known if m not in overlapping]
                out.append(Mention.proposed(sentence, s, e, cls, 0.5, capitalised(sentence.text[s:e])))
        return out

    def _intro_class(self, before: str) -> URIRef | None:
        """The class a list's introduction names ("infrastructures such as …" → technologies)."""
        m = re.search(r"([A-Za-z-]+)\s+(?:such\s+as|like|including)\s*$", before)
        return self.vocabulary.heads.get(singular(m.group(1))) if m else None

    def _concept_after(self, text: str) -> URIRef | None:
        """The kind of concept a list of unknown items is said to be ("… have been earmarked as key emerging
        industries"): the first head noun after it that names a class of concepts."""
        for word in re.findall(r"[A-Za-z-]+", text):
            cls = self.vocabulary.heads.get(singular(word))
            if cls is not None and set(self.vocabulary.subclasses.get(cls, {cls})) & set(_CONCEPTS):
                return cls
        return None

    def _founded(self, sentence: Sentence, known: list[Mention]) -> list[Mention]:
        """A body named in lower case as it is set up ("set up an … industrial community"): its head noun names
        its class."""
        out = []
        for m in [*_FOUNDED.finditer(sentence.text), *_BUILT.finditer(sentence.text)]:
            words = m.group("name").split()
            built = (
                m.re is _BUILT
            )  # "… platform in the automotive industry, jointly built by": the name ends at the comma
            stop = len(words) if built else next((i for i, w in enumerate(words) if w in _STOP), len(words))
            heads = [i for i, w in enumerate(words[:stop]) if singular(w) in self.vocabulary.heads]
            if not heads:
                continue
            if not built:
                words = words[: heads[-1] + 1]
            cls = self._head_class(words[: heads[-1] + 1])
            start = m.start("name")
            end = start + len(" ".join(words))
            if cls is None or _covered(known, sentence, start, end):
                continue
            out.append(Mention.proposed(sentence, start, end, cls, 0.5, capitalised(" ".join(words))))
        return out

    def _agents(self, sentence: Sentence, known: list[Mention]) -> list[Mention]:
        """Unknown capitalised names after "built by", "developed by" …: organisations."""
        out = []
        for m in _AGENTS.finditer(sentence.text):
            for name in re.finditer(r"[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*", m.group("names")):
                s, e = m.start("names") + name.start(), m.start("names") + name.end()
                if _covered(known, sentence, s, e, partly=True):
                    continue
                out.append(Mention.proposed(sentence, s, e, QDO.Organization, 0.5))
        return out

    def _credits(self, sentence: Sentence, known: list[Mention]) -> list[Mention]:
        """The source of a photo ("[Photo/Some News]"), or of a press release ("Source: …"): an organisation that
        publishes."""
        out = []
        for m in _CREDIT.finditer(sentence.text):
            group = "name" if m.group("name") else "source"
            if _covered(known, sentence, m.start(group), m.end(group)):
                continue
            out.append(Mention.proposed(sentence, m.start(group), m.end(group), QDO.MediaOrganization, 0.6))
        return out

    def _mention(self, sentence: Sentence, start: int, end: int, entity: Entity, how: str, conf: float) -> Mention:
        return Mention(
            sentence.text[start:end], sentence.start + start, sentence.start + end, sentence, entity.iri, how, conf
        )

    def _fuzzy(
        self, sentence: Sentence, start: int, end: int, words: bool = True, known: list[Mention] | None = None
    ) -> Mention | None:
        """A known name spelt another way: the whole run, or (with ``words``) one of its words not already
        linked, close to a known name."""
        choices = self._fuzzy_choices
        spans = [(start, end)]
        if words:
            spans += [(start + w.start(), start + w.end()) for w in _WORD.finditer(sentence.text[start:end])]
        for s, e in spans:
            key = squash(sentence.text[s:e])
            if len(key) < _FUZZY_MIN_LETTERS or _covered(known or [], sentence, s, e):
                continue
            best = process.extractOne(key, list(choices), scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD)
            if best is not None:
                return self._mention(sentence, s, e, choices[best[0]], "fuzzy", round(best[1] / 100 * 0.8, 2))
        return None

    def _people(self, sentence: Sentence, known: list[Mention]) -> list[Mention]:
        out = []
        for pattern in (_PERSON, _HONORED):
            for m in pattern.finditer(sentence.text):
                s, e = m.start("name"), m.end("name")
                if _covered(known, sentence, s, e, partly=True):
                    continue
                fuzzy = self._fuzzy(sentence, s, e)
                if fuzzy is not None:
                    out.append(fuzzy)
                    continue
                out.append(Mention.proposed(sentence, s, e, QDO.Person, 0.7))
        return out

    def _head_class(self, words: list[str]) -> URIRef | None:
        heads = self.vocabulary.heads
        if len(words) >= 2 and (two := f"{singular(words[-2])} {singular(words[-1])}") in heads:
            return heads[two]
        return heads.get(words[-1].casefold()) or heads.get(singular(words[-1]))

    def _proposal(
        self, sentence: Sentence, start: int, end: int, known: list[Mention], widen: bool = True
    ) -> Mention | None:
        """A run of capitalised words the graph does not know: a new entity when its head noun names a class,
        or, with less confidence, an organisation when it is a multi-word name."""
        joined = re.search(r"\s+and\s+", sentence.text[start:end])
        if joined and any(
            m.iri and (m.start, m.end) == (sentence.start + start, sentence.start + start + joined.start())
            for m in known
        ):
            start += joined.end()  # "Qingdao and Shandong Province": two names, the first one known
            if any(m.iri and (m.start, m.end) == (sentence.start + start, sentence.start + end) for m in known):
                return None
        words = sentence.text[start:end].split()
        cls = self._head_class(words)
        if cls is not None and len(words) >= 2 and singular(words[-1]) in ORGANISATION_SUFFIXES:
            body_end = start + len(sentence.text[start:end].rsplit(None, 1)[0])
            same = [
                m for m in known if m.iri and (m.start, m.end) == (sentence.start + start, sentence.start + body_end)
            ]
            if same and same[0].iri is not None:  # "Example Group" for the known "Example", with its suffix
                return self._mention(sentence, start, end, self.vocabulary.entities[same[0].iri], "fuzzy", 0.8)
        if cls is not None:
            if widen:
                start, end = _widen(sentence.text, start, end)
            return Mention.proposed(sentence, start, end, cls, 0.6, _clean_label(sentence.text[start:end]))
        inside = [m for m in known if sentence.start + start <= m.start and m.end <= sentence.start + end]
        if len(words) >= 2 and not inside and start > 0 and words[0].isalpha():
            return Mention.proposed(
                sentence, start, end, QDO.Organization, _GENERIC, _clean_label(sentence.text[start:end])
            )
        return None

    def _quoted(self, sentence: Sentence, start: int, end: int) -> Mention | None:
        """A title in quotes ("Several Policies on …"), when a word of it names a class of instrument or event."""
        inner = sentence.text[start:end]
        words = inner.split()
        if len(words) < 3 or sum(w[:1].isupper() for w in words) < len(words) / 2:
            return None
        heads = [self.vocabulary.heads[singular(w)] for w in words if singular(w) in self.vocabulary.heads]
        instruments = [c for c in heads if QDO.PolicyInstrument in self.vocabulary.subclasses.get(c, {c})]
        if not heads:
            return None
        cls = (instruments or heads)[-1]
        return Mention.proposed(sentence, start, end, cls, 0.7, _clean_label(inner))


def _enumerations(text: str) -> list[list[tuple[int, int]]]:
    """Runs of three or more short items separated by commas and "and" (spans in ``text``): an item is at most
    five words, after the words that introduce a list ("such as …")."""
    items: list[tuple[int, int] | None] = []
    start = 0
    last = False  # the item after "and" ends the list
    for sep in [*_SEPARATOR.finditer(text), None]:
        end = sep.start() if sep is not None else len(text)
        piece = text[start:end]
        intro = _INTRO.match(piece)
        s = start + (intro.end() if intro else 0)
        body = re.sub(r"[\s.]*(?:\b(?:etc|so\s+on)\b[\s.]*)?$", "", text[s:end])
        if re.fullmatch(r"\s*(?:etc|so\s+on)\s*", body):
            body = ""
        if last and (verb := _AUXILIARY.search(body)):
            body = body[: verb.start()]  # "… and z have been listed as …": the last item ends at its verb
        lead = len(body) - len(body.lstrip())
        words = body.split()
        short = 0 < len(words) <= _ITEM_WORDS and not re.search(r"\b\d+(?:[.,]\d+)*\b", body)
        if intro:
            items.append(None)  # "… such as A": a list starts here, whatever came before
            last = False
        items.append((s + lead, s + len(body)) if short else None)
        if last:
            items.append(None)
        last = sep is not None and re.search(r"\b(?:and|or)\s*$", sep.group()) is not None
        if sep is not None:
            start = sep.end()
    runs: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for item in [*items, None]:
        if item is None:
            if len(current) >= 3:
                runs.append(current)
            current = []
        else:
            current.append(item)
    return runs


#: What may stand between two words of one name: nothing, or a possessive ("People's government").
_GAPS = ("", "'s", "’s")


def _lower_tail(text: str, words: list[_Token], j: int) -> list[_Token]:
    """The lower-case words right after word ``j``, separated by spaces only, up to a stop word or connector."""
    tail: list[_Token] = []
    previous = words[j]
    for w in words[j + 1 : j + 1 + _DESCRIPTIVE_WORDS]:
        word = w.group()
        if not word.islower() or word in _STOP | _CONNECTORS or text[previous.end() : w.start()].strip() not in _GAPS:
            break
        tail.append(w)
        previous = w
    return tail


def _runs(text: str, heads: frozenset[str] = frozenset()) -> list[tuple[int, int, int]]:
    """Spans of capitalised words, joined by connectors ("of", "and" …); a lone word opening a sentence is not
    one (it is capitalised by grammar). A run goes on over up to five lower-case words that end in one of
    ``heads`` ("Example Municipal People's government", "Example marine robotics industrial park"): each run is
    (start, end, end of its capitalised words)."""
    words = [_Token(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    runs: list[tuple[int, int, int]] = []
    i = 0
    while i < len(words):
        w = words[i].group()
        if not (w[:1].isupper() or re.fullmatch(r"(?:19|20)\d\d", w)):
            i += 1
            continue
        j = i
        while j + 1 < len(words):
            nxt = words[j + 1].group()
            gap = text[words[j].end() : words[j + 1].start()]
            if gap.strip() not in ("", "-", "'"):
                break
            if nxt[:1].isupper():
                j += 1
            elif _joins(nxt, words[j].group()) and j + 2 < len(words) and words[j + 2].group()[:1].isupper():
                if text[words[j + 1].end() : words[j + 2].start()].strip():
                    break
                j += 2
            else:
                break
        capitals = words[j].end()
        # A lone capital opening the sentence is grammar, not a name: "Leading enterprises such as …"
        tail = _lower_tail(text, words, j) if i or j else []
        ends = [k for k, w in enumerate(tail) if singular(w.group()) in heads]
        if ends:
            j += ends[-1] + 1
        while i < j and words[i].group().casefold() in POST_WORDS and words[i + 1].group() in _CONNECTORS:
            i += 2  # "Secretary of Municipal Party Committee": the post is not part of the body's name
        while i < j and words[i].group().casefold() in _LEADING:
            i += 1  # "At the Example Super Factory": a capitalised preposition opening the sentence
        start, end = words[i].start(), words[j].end()
        if not (i == 0 and j == 0) and not text[start:end].isdigit() and not re.search(r"[_/]|\w\.\w", text[start:end]):
            runs.append((start, end, min(capitals, end)))
        i = j + 1
    return runs


def _joins(connector: str, before: str) -> bool:
    """Whether a connector continues a name: "of" and "for" do; "and" does unless it follows a complete name
    ("… Provincial Committee and Secretary of …")."""
    if connector == "and":
        return singular(before) not in ORGANISATION_SUFFIXES and before.casefold() not in _HEAD_ENDINGS
    return connector in _CONNECTORS


class _Token:
    """A word without its possessive "'s", so "Weifang's" is the name "Weifang"."""

    def __init__(self, word: str, start: int, end: int) -> None:
        if re.search(r"['’]s$", word):
            word, end = word[:-2], end - 2
        self.word, self._start, self._end = word, start, end

    def group(self) -> str:
        return self.word

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """A class noun's name may continue in lower case ("Forum on marine robots") or start with modifiers
    ("the 2021 high level Forum"): take up to four such words each side, stopping at a determiner or a comma."""
    after = re.match(r"\s+(?:on|of|for)((?:\s+[a-z][\w-]*){1,4})", text[end:])
    if after:
        words = after.group(1).split()
        keep = next((i for i, w in enumerate(words) if w in _STOP), len(words))
        if keep:
            end += after.start(1) + len(" ".join(words[:keep])) + (len(after.group(1)) - len(after.group(1).lstrip()))
    before = list(re.finditer(r"[\w-]+", text[:start]))[-4:]
    for w in reversed(before):
        word = w.group()
        modifier = (word.islower() or word.isdigit()) and word not in _STOP | _CONNECTORS | _DETERMINERS | {"and"}
        if not modifier or text[w.end() : start].strip(" "):
            break
        start = w.start()
    return start, end


def _clean_label(text: str) -> str:
    text = re.sub(r"['’]s$", "", text.strip(' ,;:"“”'))
    return re.sub(r"^(?:the|a|an)\s+", "", text, flags=re.IGNORECASE)


def _covered(mentions: list[Mention], sentence: Sentence, start: int, end: int, partly: bool = False) -> bool:
    s, e = sentence.start + start, sentence.start + end
    if partly:
        return any(m.start < e and s < m.end for m in mentions)
    return any(m.start <= s and e <= m.end for m in mentions)


def _without_overlaps(mentions: list[Mention]) -> list[Mention]:
    """Longest first; a mention overlapping a longer (or, at equal length, earlier-listed) one is dropped."""
    kept: list[Mention] = []
    for m in sorted(mentions, key=lambda x: (-(x.end - x.start), x.start)):
        if not any(k.start < m.end and m.start < k.end for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda x: x.start)
