"""Terms every part of kg reads the same way: which properties name a thing, and which classes are records.

Defined once so that a table, a figure, a page and a check all label a node alike and agree on what is a
record (a figure, target, post holding or award: a node that carries its own evidence) and what an entity.
"""

from __future__ import annotations

from rdflib.namespace import DCTERMS, RDFS, SKOS

from kg.vocab.namespaces import QDO

#: What a node is shown as, in order of preference (an article has a title, not a label).
LABEL_PROPERTIES = (SKOS.prefLabel, RDFS.label, DCTERMS.title)
#: Every name a node can be found by: its labels, aliases and hidden (search-only) labels.
NAME_PROPERTIES = (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, RDFS.label)
#: Records: nodes that carry their own qdo:evidence instead of being reified statements.
RECORD_CLASSES = frozenset(
    {QDO.Observation, QDO.DerivedObservation, QDO.Target, QDO.PostHolding, QDO.RecognitionAward, QDO.EntityProposal}
)
#: Marks only drafts carry (data/drafts/): `kg review` strips them from what it accepts.
DRAFT_MARKS = (QDO.draftRule, QDO.confidence)
