"""Extraction → the clauses users watch (training, retention, ownership, ...). Pure: no I/O.

A clause of a document is found, in order of precedence:

1. ``select``: the document's CSS selectors for the clause, already resolved by ``extract``
   (``Extraction.clause_blocks``);
2. ``heading``: a regex on heading text; each matching heading's whole section is taken,
   down to the next heading of the same or a higher level;
3. ``default``: when the document configures nothing for the clause, scored phrase patterns
   (``clause_rules.py`` for the built-in keys, ``ClauseDefinition`` for the user's own) at
   paragraph / list-item / table-row level, with the enclosing headings as context.

A configured selector or heading that matches nothing is a *miss*: reported, and the clause
is absent from the result so that the caller keeps its previous text (never "deleted").
A clause the document does not address is simply absent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from . import clause_rules as cr
from .config import BUILTIN_CLAUSES, ClauseDefinition, ClauseRule
from .extract import Block, Extraction

ClauseSource = Literal["select", "heading", "default"]


@dataclass(frozen=True)
class Clause:
    """One clause of one document: its collected blocks' lines, in document order."""

    key: str
    text: str
    source: ClauseSource


@dataclass(frozen=True)
class ClauseResult:
    """The clauses found, and the keys whose configured select/heading matched nothing."""

    clauses: Mapping[str, Clause]
    misses: tuple[str, ...]


@dataclass(frozen=True)
class _Rules:
    """Compiled default rules of one clause key."""

    phrases: tuple[tuple[re.Pattern[str], int], ...]
    pull: tuple[re.Pattern[str], ...]
    context: tuple[re.Pattern[str], ...]
    negatives: bool  # built-in keys avoid the NEGATIVE_* topics; user keys do not
    any_phrase: re.Pattern[str] | None = None  # matches where some phrase does (a prefilter)


_GROUP_REFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")


def _any_of(patterns: Sequence[str], flags: int = 0) -> re.Pattern[str] | None:
    """One alternation of ``patterns``: no match means none of them matches (one scan).

    None (no prefilter) when a pattern refers to a group by number or name: in one
    alternation its references would point at other patterns' groups."""
    if any(_GROUP_REFERENCE.search(p) for p in patterns):
        return None
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns), flags) if patterns else None
    except re.error:  # e.g. a user pattern with inline global flags: no prefilter
        return None


def _compile_builtin(rules: cr.ClauseRules) -> _Rules:
    return _Rules(
        phrases=tuple((re.compile(p, re.IGNORECASE), w) for p, w in rules.phrases),
        pull=tuple(re.compile(p, re.IGNORECASE) for p in rules.pull),
        context=tuple(re.compile(p, re.IGNORECASE) for p in rules.context),
        negatives=True,
        any_phrase=_any_of([p for p, _ in rules.phrases], re.IGNORECASE),
    )


_BUILTIN: dict[str, _Rules] = {k: _compile_builtin(v) for k, v in cr.DEFAULT_RULES.items()}
_NEGATIVE_PHRASES = tuple((re.compile(p, re.IGNORECASE), w) for p, w in cr.NEGATIVE_PHRASES)
_NEGATIVE_HEADINGS = tuple(re.compile(p, re.IGNORECASE) for p in cr.NEGATIVE_HEADINGS)


def _compile_custom(definition: ClauseDefinition) -> _Rules:
    """A user's clause: any of its patterns decides, its headings pull their section."""
    return _Rules(
        phrases=tuple((re.compile(p), cr.THRESHOLD) for p in definition.patterns),
        pull=tuple(re.compile(p) for p in definition.headings),
        context=(),
        negatives=False,
        any_phrase=_any_of(definition.patterns),
    )


def find_clauses(
    extraction: Extraction,
    rules: Sequence[ClauseRule] = (),
    custom: Sequence[ClauseDefinition] = (),
) -> ClauseResult:
    """Locate every clause key (built-in and ``custom``) in ``extraction``.

    ``rules`` are the document's own rules (select or heading) and take precedence over
    the default rules; a key with a rule never falls back to the defaults.
    """
    doc = _Document(extraction.blocks)
    by_key: dict[str, ClauseRule] = {}
    for r in rules:  # one rule per key; selectors win over a heading
        if r.key not in by_key or (r.select and not by_key[r.key].select):
            by_key[r.key] = r
    defaults = {**_BUILTIN, **{d.key: _compile_custom(d) for d in custom}}
    keys = list(dict.fromkeys([*BUILTIN_CLAUSES, *defaults, *by_key]))
    found: dict[str, Clause] = {}
    misses: list[str] = []
    for key in keys:
        rule = by_key.get(key)
        if rule is not None and rule.select:
            picked = _selected(extraction, key)
            source: ClauseSource = "select"
        elif rule is not None and rule.heading is not None:
            picked = doc.heading_sections(re.compile(rule.heading))
            source = "heading"
        elif key in defaults:
            picked = doc.by_default(defaults[key])
            source = "default"
        else:
            continue
        if picked:
            found[key] = Clause(key, "\n".join(b.line() for b in picked), source)
        elif rule is not None:
            misses.append(key)
    return ClauseResult(clauses=found, misses=tuple(misses))


def _selected(extraction: Extraction, key: str) -> tuple[Block, ...]:
    """Blocks ``extract`` resolved for the clause's selectors (empty when they missed)."""
    if key in extraction.clause_misses:
        return ()
    return tuple(extraction.clause_blocks.get(key, ()))


class _Document:
    """Blocks with their heading structure: who encloses whom, where sections end."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        self.blocks = tuple(blocks)
        self.size = sum(len(b.text) for b in self.blocks) or 1
        self.parents: list[tuple[int, ...]] = []  # enclosing heading indexes, nearest first
        self.ends: dict[int, int] = {}  # heading index → index where its section ends
        open_: list[int] = []
        for i, b in enumerate(self.blocks):
            if b.kind == "heading":
                while open_ and self.blocks[open_[-1]].level >= b.level:
                    self.ends[open_.pop()] = i
            self.parents.append(tuple(reversed(open_)))
            if b.kind == "heading":
                open_.append(i)
        for h in open_:
            self.ends[h] = len(self.blocks)
        headings = {b.text.casefold() for b in self.blocks if b.kind == "heading"}
        # Tables of contents repeat the headings as items: never clause text of their own.
        self.toc = {
            i
            for i, b in enumerate(self.blocks)
            if b.kind != "heading" and b.text.casefold() in headings
        }

    def section(self, h: int) -> range:
        """Heading ``h`` and everything down to the next heading of the same or a higher level,
        without trailing headings that have no text of their own in it."""
        end = self.ends[h]
        while end - 1 > h and self.blocks[end - 1].kind == "heading":
            end -= 1
        return range(h, end)

    def own_text(self, h: int) -> range:
        """Heading ``h`` and the blocks directly under it, down to the next heading."""
        end = h + 1
        while end < len(self.blocks) and self.blocks[end].kind != "heading":
            end += 1
        return range(h, end)

    def heading_sections(self, pattern: re.Pattern[str]) -> tuple[Block, ...]:
        """Every section whose heading text matches ``pattern``, each heading included."""
        picked: set[int] = set()
        for i, b in enumerate(self.blocks):
            if b.kind == "heading" and i not in picked and pattern.search(b.text):
                picked.update(self.section(i))
        return tuple(self.blocks[i] for i in sorted(picked))

    def by_default(self, rules: _Rules) -> tuple[Block, ...]:
        """Blocks the scored phrase rules select, with short sections their headings pull."""
        pulled = self._pulled(rules)
        scores = {
            i: self._score(i, rules) for i, b in enumerate(self.blocks) if b.kind != "heading"
        }
        scored = {i for i, s in scores.items() if s >= cr.THRESHOLD}
        picked = (pulled | scored | self._lead_ins(scored, scores)) - self.toc
        chars = sum(len(self.blocks[i].text) for i in picked)
        if self.size > cr.LARGE_DOCUMENT and chars > cr.MAX_CLAUSE_SHARE * self.size:
            # Too much for one clause: keep only what the phrases decide on their own.
            picked = {
                i for i in scores if _phrase_score(self.blocks[i].text, rules) >= cr.THRESHOLD
            } - self.toc
        return tuple(self.blocks[i] for i in sorted(picked))

    def _pulled(self, rules: _Rules) -> set[int]:
        """The short text directly under headings that are about the clause, heading included."""
        picked: set[int] = set()
        for h, b in enumerate(self.blocks):
            if b.kind != "heading" or not self._pulls(b.text, rules):
                continue
            own = self.own_text(h)
            chars = sum(len(self.blocks[i].text) for i in own)
            small = self.size <= cr.LARGE_DOCUMENT or chars <= cr.MAX_PULL_SHARE * self.size
            if len(own) - 1 <= cr.MAX_PULL_BLOCKS and small:
                picked.update(own)
        return picked

    @staticmethod
    def _pulls(heading: str, rules: _Rules) -> bool:
        if rules.negatives and any(p.search(heading) for p in _NEGATIVE_HEADINGS):
            return False
        if any(p.search(heading) for p in rules.pull):
            return True
        return rules.negatives and _phrase_score(heading, rules) >= cr.THRESHOLD

    def _score(self, i: int, rules: _Rules) -> float:
        """Phrase score of block ``i``, plus heading context, minus negative topics."""
        text = self.blocks[i].text
        score: float = _phrase_score(text, rules)
        if score <= 0:
            return 0
        parents = [self.blocks[h].text for h in self.parents[i]]
        boost: float = 0
        for depth, heading in enumerate(parents):
            if any(p.search(heading) for p in rules.pull + rules.context):
                boost = max(boost, cr.CONTEXT_BOOST * (1 if depth == 0 else cr.PARENT_FACTOR))
        score += boost
        if rules.negatives:
            score -= sum(w for p, w in _NEGATIVE_PHRASES if p.search(text))
            if parents and any(p.search(parents[0]) for p in _NEGATIVE_HEADINGS):
                score -= cr.NEGATIVE_HEADING_PENALTY
        return score

    def _lead_ins(self, picked: set[int], scores: Mapping[int, float]) -> set[int]:
        """List items introduced by a picked paragraph ending with a colon: a short list
        whole, the items of a longer one when they score with the lead-in as context."""
        more: set[int] = set()
        for i in picked:
            if self.blocks[i].kind != "paragraph" or not self.blocks[i].text.endswith(":"):
                continue
            run = []
            for j in range(i + 1, len(self.blocks)):
                if self.blocks[j].kind != "item":
                    break
                run.append(j)
            if len(run) <= cr.LEAD_IN_ITEMS:
                more.update(run)
            else:
                boost = cr.CONTEXT_BOOST
                more.update(j for j in run if scores[j] > 0 and scores[j] + boost >= cr.THRESHOLD)
        return more


def _phrase_score(text: str, rules: _Rules) -> int:
    """Sum of the weights of the clause's phrase patterns found in ``text``."""
    if rules.any_phrase is not None and not rules.any_phrase.search(text):
        return 0
    return sum(w for p, w in rules.phrases if p.search(text))
