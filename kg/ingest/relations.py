"""Sentences with linked mentions → the ontology's core links, by patterns over the words between mentions.

Each rule names the property it drafts and how sure it is. Patterns are generic English ("jointly built by",
"such as", "selected as"); which mention is a place, an enterprise or a recognition comes from the vocabulary's
classes, so no rule names an entity.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from rdflib import URIRef
from rdflib.namespace import SKOS

from kg.ingest.mentions import POST_WORDS, Mention, mention_is
from kg.ingest.text import Sentence, Text
from kg.ingest.vocabulary import Vocabulary
from kg.vocab.namespaces import QDO

Node = URIRef | Mention


@dataclass
class Relation:
    """A drafted statement: subject, property, object (an entity, a new entity's mention, or a literal)."""

    subject: Node
    predicate: URIRef
    object: Node | str
    sentence: Sentence
    rule: str
    confidence: float


@dataclass
class Post:
    """A post a person holds, as written ("deputy secretary of the CPC … Committee")."""

    holder: Node
    title: str
    body: Node
    sentence: Sentence
    confidence: float


def _node(m: Mention) -> Node:
    return m.iri if m.iri is not None else m


class RelationReader:
    """Applies the relation rules to each sentence's mentions."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._last_event: Mention | None = None
        self._stating: tuple[int, Mention] | None = None  # the paragraph that states a plan, and the plan

    def is_a(self, m: Mention, *classes: URIRef) -> bool:
        return mention_is(self.vocabulary, m, *classes)

    def read(self, text: Text, mentions: list[Mention], main_place: URIRef | None) -> tuple[list[Relation], list[Post]]:
        relations: list[Relation] = []
        posts: list[Post] = []
        for sentence in text.sentences:
            inside = [m for m in mentions if m.sentence == sentence]
            if not inside:
                continue
            for rule in (
                self._located_in,
                self._built_by,
                self._leading_enterprises,
                self._in_industry,
                self._recognition,
                self._member_of,
                self._supports,
                self._leading_industry,
                self._released_at,
                self._event,
                self._other_leaders,
                self._issued_by,
                self._concerns,
                self._support_for,
                self._broader,
                self._infrastructure,
                self._city_in,
                self._foundation,
            ):
                relations.extend(rule(sentence, inside, main_place))
            events = [m for m in inside if self.is_a(m, QDO.Event)]
            relations.extend(self._speaker(sentence, inside, events[0] if events else self._last_event))
            self._last_event = events[-1] if events else self._last_event
            posts.extend(self._posts(sentence, inside))
        return _unique(relations), posts

    @staticmethod
    def _between(sentence: Sentence, a: Mention, b: Mention) -> str:
        return sentence.text[a.end - sentence.start : b.start - sentence.start]

    @staticmethod
    def _local(sentence: Sentence, m: Mention) -> tuple[int, int]:
        return m.start - sentence.start, m.end - sentence.start

    def _subject_place(self, inside: list[Mention], main_place: URIRef | None) -> Node | None:
        """The place a sentence is about: the article's main city when it is named, else the first city named."""
        places = [m for m in inside if self.is_a(m, QDO.City, QDO.District)]
        if any(m.iri == main_place for m in places):
            return main_place
        return _node(places[0]) if places else main_place

    def _located_in(self, s: Sentence, inside: list[Mention], _main: URIRef | None) -> list[Relation]:
        """ "Weifang, Hebei province": a place followed by a comma and a larger place."""
        out = []
        for a, b in itertools.pairwise(inside):
            apposition = re.fullmatch(r",\s*", self._between(s, a, b)) and self.is_a(a, QDO.City, QDO.District)
            if apposition and self.is_a(b, QDO.Province, QDO.Country, QDO.City) and _node(a) != _node(b):
                out.append(Relation(_node(a), QDO.locatedIn, _node(b), s, "relation:located-in", 0.8))
        return out

    def _built_by(self, s: Sentence, inside: list[Mention], _main: URIRef | None) -> list[Relation]:
        """ "X, jointly built by A and B": X is the nearest platform or facility before the phrase."""
        m = re.search(r"\b(?:jointly\s+)?(?:built|developed|constructed)\s+by\b", s.text)
        if not m:
            return []
        things = [x for x in inside if x.end - s.start <= m.start() and self.is_a(x, QDO.Platform)]
        builders = [
            x
            for x in inside
            if m.end() <= x.start - s.start < m.end() + 60 and self.is_a(x, QDO.Organization) and x not in things
        ]
        if not things or not builders:
            return []
        thing = things[-1]
        return [Relation(_node(thing), QDO.builtBy, _node(b), s, "relation:built-by", 0.7) for b in builders]

    def _list_after(self, s: Sentence, inside: list[Mention], start: int, *classes: URIRef) -> list[Mention]:
        """Mentions of ``classes`` in the comma/and list that starts at ``start`` (sentence offset)."""
        out: list[Mention] = []
        for m in inside:
            local_start, local_end = self._local(s, m)
            if local_start < start:
                continue
            gap = s.text[start:local_start]
            if re.search(r"[.;:]|\b(?:in|to|with|have|has|are|is|were|was)\b", gap) and out:
                break
            if self.is_a(m, *classes):
                out.append(m)
                start = local_end
        return out

    def _leading_enterprises(self, s: Sentence, inside: list[Mention], main: URIRef | None) -> list[Relation]:
        """ "leading enterprises such as A, B and C" or "enterprises and brands such as …"."""
        m = re.search(
            r"\b(?:leading|international|key|industry)\s+(?:enterprises|companies|leaders)\b[^.;]{0,40}?"
            r"\b(?:such as|like|including)\b",
            s.text,
            re.IGNORECASE,
        )
        if not m:
            return []
        place = self._subject_place([x for x in inside if x.end - s.start <= m.start()], main)
        if place is None:
            return []
        listed = self._list_after(s, inside, m.end(), QDO.Enterprise)
        return [
            Relation(place, QDO.hasLeadingEnterprise, _node(e), s, "relation:leading-enterprises", 0.7) for e in listed
        ]

    def _in_industry(self, s: Sentence, inside: list[Mention], main: URIRef | None) -> list[Relation]:
        """ "… leading enterprises … in the fields of X, Y and Z": the place leads in those fields; without "leading",
        a single enterprise named before is in them."""
        m = re.search(r"\bin\s+the\s+fields?\s+of\b", s.text)
        if not m:
            return []
        fields = self._list_after(s, inside, m.end(), QDO.Industry)
        before = [x for x in inside if x.end - s.start <= m.start()]
        if re.search(r"\bleading\b", s.text[: m.start()]):
            place = self._subject_place(before, main)
            if place is None:
                return []
            return [Relation(place, QDO.leadingIndustry, _node(f), s, "relation:leading-fields", 0.5) for f in fields]
        actors = [x for x in before if self.is_a(x, QDO.Enterprise)]
        if len(actors) != 1:
            return []
        return [Relation(_node(actors[0]), QDO.inIndustry, _node(f), s, "relation:in-fields", 0.5) for f in fields]

    def _support_for(self, s: Sentence, inside: list[Mention], _main: URIRef | None) -> list[Relation]:
        """ "X … has provided crucial support for the factory": X supports the factory (named, or the last facility
        named before when the sentence says "the factory")."""
        m = re.search(r"\bprovided?\s+(?:[a-z]+\s+)?support\s+(?:for|to)\s+", s.text)
        if not m:
            return []
        givers = [
            x
            for x in inside
            if x.end - s.start <= m.start()
            and self.is_a(x, QDO.Platform, QDO.Organization)
            and not re.search(r"\bby\b", s.text[max(0, x.start - s.start - 40) : x.start - s.start])
        ]
        after = [x for x in inside if x.start - s.start >= m.end()]
        taker = after[0] if after else None
        if taker is None and re.match(r"the\s+(?:factory|facility|plant|park)\b", s.text[m.end() :]):
            facilities = [x for x in inside if x.end - s.start <= m.start() and self.is_a(x, QDO.Facility)]
            taker = facilities[-1] if facilities else None
        if not givers or taker is None:
            return []
        platforms = [x for x in givers if self.is_a(x, QDO.Platform)]
        giver = (platforms or givers)[0]
        return [Relation(_node(giver), QDO.supports, _node(taker), s, "relation:support-for", 0.5)]

    def _broader(self, s: Sentence, inside: list[Mention], _main: URIRef | None) -> list[Relation]:
        """ "A, B, C and other marine industries": each listed industry is narrower than the one named after
        "and other"."""
        m = re.search(r"\band\s+other\s+", s.text)
        if not m:
            return []
        wider = next(
            (x for x in inside if m.start() <= x.start - s.start <= m.end() and self.is_a(x, QDO.Industry)), None
        )
        if wider is None:
            return []
        items = [x for x in inside if x.end - s.start <= m.start() and self.is_a(x, QDO.Industry, QDO.Technology)]
        contiguous = [x for x in items if not re.search(r"[.;]", s.text[x.end - s.start : m.start()])]
        return [Relation(_node(x), SKOS.broader, _node(wider), s, "relation:and-other", 0.5) for x in contiguous[-6:]]

    def _recognition(self, s: Sentence, inside: list[Mention], _main: URIRef | None) -> list[Relation]:
        """ "X has been selected as a model factory": X gains the recognition."""
        m = re.search(r"\b(?:selected|named|recognized|recognised|listed|designated)\s+as\b", s.text)
        if not m:
            return []
        recognitions = [x for x in inside if x.start - s.start >= m.end() and self.is_a(x, QDO.Recognition)]
        holders = [
            x
            for x in inside
            if x.end - s.start <= m.start() and not self.is_a(x, QDO.Place, QDO.Recognition, QDO.Industry)
        ]
        if not recognitions or not holders:
            return []
        return [
            Relation(_node(holders[-1]), QDO.hasRecognition, _node(recognitions[0]), s, "relation:selected-as", 0.6)
        ]

    def _member_of(self, s: Sentence, inside: list[Mention], _main: URIRef | None) -> list[Relation]:
        """ "A, B … set up an alliance with C, D": every enterprise named is a member of the body set up."""
        m = re.search(r"\b(?:set\s+up|established|formed|founded|joined)\b", s.text)
        if not m:
            return []
        bodies = [x for x in inside if x.start - s.start >= m.end() and self.is_a(x, QDO.Alliance)]
        if not bodies:
            return []
        members = [x for x in inside if self.is_a(x, QDO.Enterprise)]
        return [Relation(_node(e), QDO.memberOf, _node(bodies[0]), s, "relation:member-of", 0.6) for e in members]

    def _supports(self, s: Sentence, inside: list[Mention], main: URIRef | None) -> list[Relation]:
        """ "The city … supports the development of platforms represented by X": the place supports X."""
        m = re.search(r"\bsupports?\b", s.text)
        if not m:
            return []
        supported = [
            x for x in inside if x.start - s.start >= m.end() and self.is_a(x, QDO.Platform, QDO.IndustrialPark)
        ]
        place = self._subject_place([x for x in inside if x.end - s.start <= m.start()], main)
        if not supported or place is None:
            return []
        return [Relation(place, QDO.supports, _node(x), s, "relation:supports", 0.5) for x in supported[:2]]

    def _leading_industry(self, s: Sentence, inside: list[Mention], main: URIRef | None) -> list[Relation]:
        """ "takes X as the leading industry" and "leading industries such as X, Y"."""
        out: list[Relation] = []
        for m in re.finditer(r"\bas\s+(?:the|its|a)\s+leading\s+industry\b", s.text):
            before = [x for x in inside if x.end - s.start <= m.start() and self.is_a(x, QDO.Industry)]
            place = self._subject_place(inside, main)
            if before and place is not None:
                out.append(Relation(place, QDO.leadingIndustry, _node(before[-1]), s, "relation:leading-industry", 0.6))
        listed = re.search(r"\bleading\s+industr(?:y|ies)\s+(?:such as|like|including|of)\b", s.text)
        if listed:
            place = self._subject_place(inside, main)
            for x in self._list_after(s, inside, listed.end(), QDO.Industry):
                if place is not None:
                    out.append(Relation(place, QDO.leadingIndustry, _node(x), s, "relation:leading-industry", 0.6))
        return out

    def _released_at(self, s: Sentence, inside: list[Mention], _main: URIRef | None) -> list[Relation]:
        """ "the … Policies were officially released at the … Conference"."""
        m = re.search(r"\b(?:released|issued|launched|unveiled)\s+(?:[a-z]+ly\s+)?at\b", s.text)
        if not m:
            return []
        instruments = [x for x in inside if x.end - s.start <= m.start() and self.is_a(x, QDO.PolicyInstrument)]
        events = [x for x in inside if x.start - s.start >= m.end() and self.is_a(x, QDO.Event)]
        if not instruments or not events:
            return []
        return [Relation(_node(instruments[-1]), QDO.releasedAt, _node(events[0]), s, "relation:released-at", 0.7)]

    def _event(self, s: Sentence, inside: list[Mention], _main: URIRef | None) -> list[Relation]:
        """An event "held in" a place; a person who "delivered a speech" at the event named in the sentence."""
        out: list[Relation] = []
        events = [x for x in inside if self.is_a(x, QDO.Event)]
        if not events:
            return out
        event = _node(events[0])
        held = re.search(r"\b(?:was|were|is)\s+held\s+in\b", s.text)
        if held:
            places = [x for x in inside if x.start - s.start >= held.end() and self.is_a(x, QDO.Place)]
            if places:
                out.append(Relation(event, QDO.location, _node(places[0]), s, "relation:held-in", 0.7))
        date = re.match(r"\s*On\s+((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2})\b", s.text)
        if date:
            out.append(Relation(event, QDO.dateText, s.text[: date.end()].strip(), s, "relation:event-date", 0.6))
        return out

    def _speaker(self, s: Sentence, inside: list[Mention], event: Mention | None) -> list[Relation]:
        """A person who "delivered a speech" at the event this sentence or the one before names."""
        if event is None or not re.search(r"\bdelivered\s+a\s+(?:speech|keynote|address)\b", s.text):
            return []
        people = [x for x in inside if self.is_a(x, QDO.Person)]
        if not people:
            return []
        return [Relation(_node(event), QDO.speaker, _node(people[0]), s, "relation:speaker", 0.6)]

    def _other_leaders(self, s: Sentence, inside: list[Mention], _main: URIRef | None) -> list[Relation]:
        """ "A, B and other robotics leaders": every enterprise listed is in that industry."""
        out = []
        for m in re.finditer(r"\band\s+other\s+", s.text):
            field = next((x for x in inside if x.start - s.start == m.end() and self.is_a(x, QDO.Industry)), None)
            after = s.text[field.end - s.start :] if field is not None else ""
            if field is None or not re.match(r"\s+(?:\w+\s+)?(?:leaders|enterprises|companies|firms)\b", after):
                continue
            for x in inside:
                if x.end - s.start <= m.start() and self.is_a(x, QDO.Enterprise):
                    out.append(Relation(_node(x), QDO.inIndustry, _node(field), s, "relation:other-leaders", 0.6))
        return out

    def _issued_by(self, s: Sentence, inside: list[Mention], _main: URIRef | None) -> list[Relation]:
        """ "The city's "… Plan …"": the possessor issued the plan or policy."""
        out = []
        for a, b in itertools.pairwise(inside):
            possessive = re.fullmatch(r"['’]s\s*[\"“]?", self._between(s, a, b))
            if possessive and self.is_a(b, QDO.PolicyInstrument) and self.is_a(a, QDO.Organization, QDO.Place):
                out.append(Relation(_node(b), QDO.issuedBy, _node(a), s, "relation:issued-by", 0.6))
        return out

    def _concerns(self, s: Sentence, inside: list[Mention], _main: URIRef | None) -> list[Relation]:
        """A plan or policy and the industries and technologies its sentence names; when a paragraph opens with
        "According to <plan>", the rest of the paragraph states the plan, so its sentences count too."""
        instruments = [x for x in inside if self.is_a(x, QDO.PolicyInstrument)]
        if re.match(r"\s*According\s+to\b", s.text) and instruments:
            self._stating = (s.paragraph, instruments[0])
        elif not instruments and self._stating is not None and self._stating[0] == s.paragraph:
            instruments = [self._stating[1]]
        concepts = [x for x in inside if self.is_a(x, QDO.Industry, QDO.Technology)]
        return [
            Relation(_node(i), QDO.concerns, _node(c), s, "relation:concerns", 0.4)
            for i in instruments
            for c in concepts
        ]

    def _infrastructure(self, s: Sentence, inside: list[Mention], main: URIRef | None) -> list[Relation]:
        """ "… accelerates the construction of infrastructures such as A, B and C": the place uses them."""
        m = re.search(r"\binfrastructures?\s+(?:such\s+as|like|including)\s+", s.text)
        if not m:
            return []
        place = self._subject_place([x for x in inside if x.end - s.start <= m.start()], main)
        if place is None:
            return []
        listed = self._list_after(s, inside, m.end(), QDO.Technology)
        return [Relation(place, QDO.usesTechnology, _node(x), s, "relation:infrastructure", 0.5) for x in listed]

    def _city_in(self, s: Sentence, inside: list[Mention], _main: URIRef | None) -> list[Relation]:
        """ "X is an important industrial city in Y": a city in a larger place."""
        m = re.search(r"\bis\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,4}?(?:city|port|town|district)\s+in\s+", s.text)
        if not m:
            return []
        cities = [x for x in inside if x.end - s.start <= m.start() and self.is_a(x, QDO.City, QDO.District)]
        larger = [x for x in inside if x.start - s.start == m.end() and self.is_a(x, QDO.Province, QDO.Country)]
        if not cities or not larger:
            return []
        return [Relation(_node(cities[-1]), QDO.locatedIn, _node(larger[0]), s, "relation:city-in", 0.7)]

    def _foundation(self, s: Sentence, inside: list[Mention], _main: URIRef | None) -> list[Relation]:
        """ "Fishing is the foundation of X's economy": the place's leading industry."""
        m = re.search(r"\bis\s+(?:the|a)\s+(?:foundation|pillar|backbone|mainstay)\s+of\s+", s.text)
        if not m:
            return []
        industries = [x for x in inside if x.end - s.start <= m.start() and self.is_a(x, QDO.Industry)]
        places = [x for x in inside if x.start - s.start >= m.end() and self.is_a(x, QDO.Place)]
        if not industries or not places:
            return []
        return [Relation(_node(places[0]), QDO.leadingIndustry, _node(industries[-1]), s, "relation:foundation", 0.6)]

    def _posts(self, s: Sentence, inside: list[Mention]) -> list[Post]:
        """ "Name, deputy secretary of the X Committee and mayor of Y": one post per "title of body"."""
        out = []
        posts = "|".join(POST_WORDS)
        for person in (m for m in inside if self.is_a(m, QDO.Person)):
            tail_start = person.end - s.start
            for m in re.finditer(
                rf"(?:,|\band)\s+(?P<title>(?:[a-z]+\s+){{0,3}}?(?:{posts}))\s+of\s+(?:the\s+)?",
                s.text[tail_start:],
                re.IGNORECASE,
            ):
                at = tail_start + m.end()
                body = next((x for x in inside if x.start - s.start == at and self.is_a(x, QDO.Organization)), None)
                if body is not None:
                    out.append(Post(_node(person), m.group("title"), _node(body), s, 0.6))
                if m.start() > 60:
                    break
        return out


def _unique(relations: list[Relation]) -> list[Relation]:
    seen: set[tuple[object, object, object]] = set()
    out = []
    for r in relations:
        key = (_key(r.subject), r.predicate, _key(r.object))
        if key not in seen and key[0] != key[2]:
            seen.add(key)
            out.append(r)
    return out


def _key(node: Node | str) -> object:
    return node.label if isinstance(node, Mention) else node
