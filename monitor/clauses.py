"""Extraction → the clauses users watch (training, retention, ownership, ...). Pure: no I/O.

A clause of a document is found, in order of precedence:

1. ``select``: the document's CSS selectors for the clause, already resolved by ``extract``
   (``Extraction.clause_blocks``);
2. ``heading``: a regex on heading text; each matching heading's whole section is taken,
   down to the next heading of the same or a higher level;
3. ``default``: when the document configures nothing for the clause, scored phrase patterns
   (``clause_rules.py`` for the built-in keys, ``ClauseDefinition`` for the user's own)
   sentence by sentence (``diff.split_sentences``; table rows whole), with the enclosing
   headings as context: a long paragraph contributes only its sentences on the clause.

A configured selector or heading that matches nothing is a *miss*: reported, and the clause
is absent from the result so that the caller keeps its previous text (never "deleted").
A clause the document does not address is simply absent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from . import clause_rules as cr
from . import clause_scoring as cs
from .clause_index import PhraseIndex
from .clause_scoring import NEGATIVE
from .model import BUILTIN_CLAUSES, Block, ClauseDefinition, ClauseRule, Extraction
from .sentences import sentences

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


# "...; (ii) ...; (iii) ...": the enumerated limbs of one long legal sentence.
_LIMB = re.compile(r"(?<=;)\s+(?=\((?:[ivxlc]+|[a-z]|\d+)\)\s)")
# A sentence that continues the one before it ("This permission also extends to ...").
_CONTINUES = re.compile(
    r"^(?:This|These|Such|That|Those) (?!(?:may|is|are|will|can|means|agreement|terms|polic)\b)"
    r"|^.{0,40}\bthe foregoing\b"
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
    doc = _Document(extraction.blocks, cs.index(tuple(custom)))
    by_key: dict[str, ClauseRule] = {}
    for r in rules:  # one rule per key; selectors win over a heading
        if r.key not in by_key or (r.select and not by_key[r.key].select):
            by_key[r.key] = r
    defaults = {**cs.builtin(), **{d.key: cs.compile_custom(d) for d in custom}}
    keys = list(dict.fromkeys([*BUILTIN_CLAUSES, *defaults, *by_key]))
    found: dict[str, Clause] = {}
    misses: list[str] = []
    for key in keys:
        rule = by_key.get(key)
        if rule is not None and rule.select:
            lines = [b.line() for b in _selected(extraction, key)]
            source: ClauseSource = "select"
        elif rule is not None and rule.heading is not None:
            lines = [b.line() for b in doc.heading_sections(re.compile(rule.heading))]
            source = "heading"
        elif key in defaults:
            lines = doc.by_default(key, defaults[key])
            source = "default"
        else:
            continue
        if lines:
            found[key] = Clause(key, "\n".join(lines), source)
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

    def __init__(self, blocks: Sequence[Block], phrases: PhraseIndex) -> None:
        self.blocks = tuple(blocks)
        self.size = sum(len(b.text) for b in self.blocks) or 1
        self.texts = cs.Texts(phrases)  # each text folded and scored for every key once
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
        # Sentences of each block (diff's legal sentence splitter); rows and headings whole.
        self.units: list[list[str]] = [
            _units(b.text) if b.kind in ("paragraph", "item") else [b.text] for b in self.blocks
        ]
        headings = {b.text.casefold() for b in self.blocks if b.kind == "heading"}
        longest = max(map(len, headings), default=-1)  # casefold() never shortens a text
        # Tables of contents repeat the headings as items: never clause text of their own.
        self.toc = {
            i
            for i, b in enumerate(self.blocks)
            if b.kind != "heading" and len(b.text) <= longest and b.text.casefold() in headings
        }

    @cached_property
    def scored(self) -> dict[str, list[int]]:
        """Per key, the blocks (no heading, no table of contents) with a sentence that may
        hold a phrase of positive weight of the key: the only ones a sentence of which can
        score (``Texts.score``)."""
        out: dict[str, list[int]] = {}
        for i, b in enumerate(self.blocks):
            if b.kind == "heading" or i in self.toc:
                continue
            keys = {k for u in self.units[i] for k, g in self.texts.groups(u).items() if g.positive}
            for key in keys:
                out.setdefault(key, []).append(i)
        return out

    @cached_property
    def completions(self) -> list[tuple[int, list[tuple[int, str]]]]:
        """Paragraphs ending with a colon (no table of contents) and the list items below,
        each with the sentence it completes (the lead-in's last and its first)."""
        out = []
        for i, b in enumerate(self.blocks):
            run = self._list_after(i) if b.kind == "paragraph" and b.text.endswith(":") else []
            if not run or i in self.toc:
                continue
            lead = self.units[i][-1]
            items = []
            for j in run:
                completed = f"{lead} {self.units[j][0]}"
                self.texts.joined(completed, (lead, self.units[j][0]))
                items.append((j, completed))
            out.append((i, items))
        return out

    @cached_property
    def headings(self) -> list[tuple[int, range, int]]:
        """Each heading's index, the blocks directly under it (``own_text``) and their size."""
        out = []
        for h, b in enumerate(self.blocks):
            if b.kind == "heading":
                own = self.own_text(h)
                out.append((h, own, sum(len(self.blocks[i].text) for i in own)))
        return out

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

    def by_default(self, key: str, rules: cs.Rules) -> list[str]:
        """Lines of the clause by the scored phrase rules, sentence by sentence: a block
        contributes only its sentences that score (all of them: its whole line), plus the
        short sections that headings about the clause pull (their one-sentence blocks whole,
        the sentences with a phrase of the clause of the others)."""
        sc = cs.Scorer(key, rules, self.texts)
        picked: dict[int, set[int]] = {}
        for i in self._pulled(sc):  # one-sentence blocks whole, else sentences with a phrase
            units = self.units[i]
            picked[i] = {j for j, u in enumerate(units) if sc.phrase(u) > 0}
            if len(units) == 1 or self.blocks[i].kind == "heading":
                picked[i] = {0}
        own: dict[tuple[int, int], float] = {}
        for i in self.scored.get(key, ()):  # the other blocks' sentences score nothing
            for j, score in self._sentence_scores(i, sc).items():
                own[i, j] = score
                if score >= cr.THRESHOLD:
                    picked.setdefault(i, set()).add(j)
        if rules.negatives:
            self._continuations(picked)
            self._completed_lead_ins(sc, picked)
        self._lead_ins(picked, own)
        for i in self.toc:
            picked.pop(i, None)
        chars = sum(len(self.units[i][j]) for i, js in picked.items() for j in js)
        if self.size > cr.LARGE_DOCUMENT and chars > cr.MAX_CLAUSE_SHARE * self.size:
            # Too much for one clause: keep only what the phrases decide on their own.
            picked = {}
            for (i, j), _ in own.items():
                if sc.phrase(self.units[i][j]) >= cr.THRESHOLD:
                    picked.setdefault(i, set()).add(j)
        return [self._line(i, js) for i, js in sorted(picked.items()) if js]

    def _line(self, i: int, sentences: set[int]) -> str:
        """Block ``i``'s line, holding only the given sentences (all: the whole line)."""
        b = self.blocks[i]
        if len(sentences) == len(self.units[i]):
            return b.line()
        marker = b.line()[: len(b.line()) - len(b.text)]
        return marker + " ".join(self.units[i][j] for j in sorted(sentences))

    def _pulled(self, sc: cs.Scorer) -> set[int]:
        """The short text directly under headings that are about the clause, heading included."""
        picked: set[int] = set()
        for h, own, chars in self.headings:
            if not self._pulls(self.blocks[h].text, sc):
                continue
            small = self.size <= cr.LARGE_DOCUMENT or chars <= cr.MAX_PULL_SHARE * self.size
            if len(own) - 1 <= cr.MAX_PULL_BLOCKS and small:
                picked.update(own)
        return picked

    def _pulls(self, heading: str, sc: cs.Scorer) -> bool:
        negatives = sc.rules.negatives
        if negatives and self.texts.negative_heading(heading):
            return False
        if sc.pulls(heading):
            return True
        return negatives and sc.phrase(heading) >= cr.THRESHOLD

    def _context(self, i: int, sc: cs.Scorer) -> float:
        """What the headings above block ``i`` add to (or take from) its sentences' scores."""
        parents = [self.blocks[h].text for h in self.parents[i]]
        boost: float = 0
        for depth, heading in enumerate(parents):
            if sc.about(heading):
                boost = max(boost, cr.CONTEXT_BOOST * (1 if depth == 0 else cr.PARENT_FACTOR))
        if sc.rules.negatives and parents and self.texts.negative_heading(parents[0]):
            boost -= cr.NEGATIVE_HEADING_PENALTY
        return boost

    def _sentence_scores(self, i: int, sc: cs.Scorer) -> dict[int, float]:
        """Score of each sentence of block ``i`` that has a phrase of the clause: its phrases,
        heading context, a neighbour bonus when the block as a whole scores, minus negative
        topics. Sentences without any phrase of the clause are left out."""
        units = self.units[i]
        phrase = [sc.phrase(u) for u in units]
        if max(phrase, default=0) <= 0:
            return {}
        context = self._context(i, sc)
        whole = 0
        if len(units) > 1:
            text = self.blocks[i].text
            self.texts.joined(text, units)
            # The block's score counts only where it is at least THRESHOLD and above a
            # sentence's: not at all when what its candidates may sum to is below either.
            highest = self.texts.bounds(text, sc.key)[1]
            if highest >= cr.THRESHOLD and any(0 < p < highest for p in phrase):
                whole = sc.phrase(text)
        neighbour = cr.NEIGHBOUR_BOOST if whole >= cr.THRESHOLD else 0
        out: dict[int, float] = {}
        for j, u in enumerate(units):
            if phrase[j] <= 0:
                continue
            score = phrase[j] + context + (neighbour if phrase[j] < whole else 0)
            if sc.rules.negatives:
                score -= self.texts.negative(u)
            out[j] = score
        return out

    def _continuations(self, picked: dict[int, set[int]]) -> None:
        """A sentence that only continues a picked one ("This permission also extends to
        ...", "the foregoing ...") comes along, unless it is about a negative topic."""
        for i, js in picked.items():
            units = self.units[i]
            for j in range(1, len(units)):
                follows = j - 1 in js and j not in js and _CONTINUES.search(units[j])
                if follows and not self.texts.any_negative(units[j]):
                    js.add(j)

    def _completed_lead_ins(self, sc: cs.Scorer, picked: dict[int, set[int]]) -> None:
        """A list item completes its lead-in's sentence ("This licence allows us to:" + "host
        and display your content"): an item whose completed sentence states the clause is
        picked, with its lead-in."""
        texts = self.texts
        for i, items in self.completions:
            last = len(self.units[i]) - 1
            context: float | None = None
            for j, completed in items:
                highest = texts.bounds(completed, sc.key)[1] - texts.bounds(completed, NEGATIVE)[0]
                if highest + _MOST_CONTEXT < cr.THRESHOLD:
                    continue  # cannot reach it, whichever of its candidate phrases match
                if context is None:
                    context = self._context(i, sc)
                if highest + context < cr.THRESHOLD:
                    continue
                score = sc.exact(completed) + context - texts.negative(completed)
                if score >= cr.THRESHOLD:
                    picked.setdefault(j, set()).add(0)
                    picked.setdefault(i, set()).add(last)

    def _lead_ins(self, picked: dict[int, set[int]], own: Mapping[tuple[int, int], float]) -> None:
        """A paragraph ending with a colon introduces the list below it. When its last sentence
        is picked (on its own score), the one-sentence entries of a short list come along,
        and the sentences of other items when they score with the lead-in as context; when an
        item is picked, so is its lead-in."""
        for i in list(picked):
            b = self.blocks[i]
            if b.kind == "item" and (lead := self._lead_in_of(i)) is not None:
                picked.setdefault(lead, set()).add(len(self.units[lead]) - 1)
        for i in list(picked):
            b = self.blocks[i]
            last = len(self.units[i]) - 1
            if b.kind != "paragraph" or not b.text.endswith(":") or last not in picked[i]:
                continue
            if own.get((i, last), 0) < cr.THRESHOLD:
                continue  # brought along by its items only
            run = self._list_after(i)
            short = len(run) <= cr.LEAD_IN_ITEMS
            for j in run:
                if short and len(self.units[j]) == 1:
                    picked[j] = {0}  # an entry of a short list: "Chats: 30 days."
                    continue
                for k in range(len(self.units[j])):
                    score = own.get((j, k), 0)
                    if score > 0 and (short or score + cr.CONTEXT_BOOST >= cr.THRESHOLD):
                        picked.setdefault(j, set()).add(k)

    def _list_after(self, i: int) -> list[int]:
        run = []
        for j in range(i + 1, len(self.blocks)):
            if self.blocks[j].kind != "item":
                break
            run.append(j)
        return run

    def _lead_in_of(self, i: int) -> int | None:
        """The paragraph ending with a colon right above the list holding item ``i``."""
        j = i - 1
        while j >= 0 and self.blocks[j].kind == "item":
            j -= 1
        b = self.blocks[j] if j >= 0 else None
        return j if b is not None and b.kind == "paragraph" and b.text.endswith(":") else None


# The most that the headings above a block may add to its sentences' scores (``_context``).
_MOST_CONTEXT = max(0, cr.CONTEXT_BOOST, cr.CONTEXT_BOOST * cr.PARENT_FACTOR) + max(
    0, -cr.NEGATIVE_HEADING_PENALTY
)


def _units(text: str) -> list[str]:
    """A block's sentences (diff's legal splitter), enumerated limbs split apart."""
    out = [limb for s in sentences(text) for limb in (_LIMB.split(s) if ";" in s else (s,))]
    return out or [text]
