"""What the position readers work on: a document's sentences with their context, the
shared vocabulary of legal phrasing, and the scope (tier/product) a sentence names.

Rules are families of legal phrasing (verbs, objects, negations, exceptions), with the
enclosing headings, a table row's first cell and a list's lead-in as context; never one
page's wording. Each reader returns the readings it is sure of; none means "not stated".
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .clause_index import Need, Words
from .clause_patterns import Regex
from .model import Block
from .sentences import CACHED_TEXTS, sentences


@dataclass(frozen=True)
class Reading:
    """One value a sentence states, with its scope (tier/product) if it names one."""

    value: bool | int | str
    evidence: str
    scope: str | None = None


@dataclass(frozen=True)
class Sentence:
    """A sentence of a block with what the readers test first: computed once per block
    text (``sentences_of``), not once per reader nor per reading of a document."""

    text: str
    low: str  # lower-cased: every reader's prefilter tests it
    hints: frozenset[int]  # the ids of the registered ``Hints`` it mentions
    title: bool  # a run-in title ("4.1 Ownership.")


@dataclass(frozen=True, slots=True)
class Unit:
    """One sentence of the document with what a reader sees around it."""

    text: str
    low: str  # the sentence lower-cased
    hints: frozenset[int]  # the ids of the registered ``Hints`` the sentence mentions
    context: str  # enclosing headings, a row's first cell, a list item's lead-in
    heading: bool  # the sentence is a heading or a run-in title ("4.1 Ownership.")
    previous: str  # the sentence before it (same block or the previous one)
    follow: str = ""  # for a "...:" lead-in, the items that follow it
    lead: str = ""  # for a list item, the paragraph just before its list (its lead-in)

    def mentions(self, hints: Hints) -> bool:
        """Whether the sentence (lower-cased) contains one of the ``hints``: a cheap
        prefilter before the phrase patterns."""
        return hints.id in self.hints


class Hints:
    """Lower-case strings a sentence a reader looks at contains one of (``Unit.mentions``).
    Every instance is registered, so that a sentence's words are looked up once for all."""

    registered: list[Hints] = []  # noqa: RUF012 - the registry of every instance

    def __init__(self, *words: str) -> None:
        need = Need.of(words)
        if need is None:
            raise ValueError(f"a hint must not be whitespace only: {words!r}")
        self.words = words
        self.need = need
        self.id = len(Hints.registered)
        Hints.registered.append(self)


class _HintIndex:
    """Hints by the words that trigger them: a sentence's words are looked up once
    (``Words``), and only the hints that one of them triggers are tested."""

    def __init__(self, hints: Sequence[Hints]) -> None:
        self.hints = hints
        self.words = Words(w for h in hints for w in h.need.triggers)
        triggered: dict[str, set[int]] = {}
        for h in hints:
            for w in h.need.triggers:
                triggered.setdefault(w, set()).add(h.id)
        self.triggered = {w: frozenset(ids) for w, ids in triggered.items()}

    def mentioned(self, low: str) -> frozenset[int]:
        """The ids of the hints that ``low`` (a lower-cased sentence) contains one of."""
        found = self.words.found(low)
        candidates: set[int] = set()
        for w in found:
            candidates |= self.triggered[w]
        return frozenset(i for i in candidates if self.hints[i].need.met(found, low, low))


@lru_cache(maxsize=1)
def _hint_index(count: int) -> _HintIndex:
    """The first ``count`` registered hints (all of them: rebuilt if more come)."""
    return _HintIndex(Hints.registered[:count])


def sentences_of(text: str) -> tuple[Sentence, ...]:
    """``text``'s sentences (``sentences.sentences``) with their hints and title flag,
    computed once per distinct text (bounded, as the sentences are)."""
    return _sentences_of(text, len(Hints.registered))


@lru_cache(maxsize=CACHED_TEXTS)
def _sentences_of(text: str, count: int) -> tuple[Sentence, ...]:
    index = _hint_index(count)
    out = []
    for s in sentences(text):
        low = s.lower()
        out.append(Sentence(s, low, index.mentioned(low), _title(s)))
    return tuple(out)


Reader = Callable[[Sequence[Unit]], list[Reading]]


def rx(pattern: str) -> Regex:
    """A case-insensitive pattern of the readers, with its literal prefilter."""
    return Regex(pattern, re.IGNORECASE)


def negated(text: str, m: re.Match[str]) -> bool:
    """A negation in the match or just before it ("does not own", "no right to audit")."""
    return bool(NEG.search(text[max(0, m.start() - 25) : m.end()]))


# -- units ------------------------------------------------------------------------------------


def units(blocks: Sequence[Block]) -> list[Unit]:
    """Every sentence of ``blocks`` with its headings, table row and list lead-in."""
    out: list[Unit] = []
    headings: list[tuple[int, str]] = []
    lead = ""
    previous = ""
    for i, block in enumerate(blocks):
        context = ""
        if block.kind == "heading":
            headings = [(lv, t) for lv, t in headings if lv < block.level] + [
                (block.level, block.text)
            ]
            lead = ""
        elif block.kind == "item":
            context = lead
        else:  # a paragraph right after a list continues its lead-in's topic
            context = lead if i and blocks[i - 1].kind == "item" else ""
            following = i + 1 < len(blocks) and blocks[i + 1].kind == "item"
            lead = block.text if following else ""
        context = " / ".join([c for c in [context] if c] + [t for _, t in reversed(headings)])
        opens = block.kind == "paragraph" and block.text.rstrip().endswith(":")
        follow = _following_items(blocks, i) if opens else ""
        item_lead = lead if block.kind == "item" else ""
        for cell_context, text in _cells(block):
            ctx = f"{cell_context} / {context}" if cell_context else context
            for s in sentences_of(text):
                heading = block.kind == "heading" or s.title
                out.append(Unit(s.text, s.low, s.hints, ctx, heading, previous, follow, item_lead))
                previous = s.text
    return out


_NUMBERING = re.compile(r"^\(?(?:\d+(?:\.\d+)*[.)]?|[A-Za-z][.)]|[ivxlc]+[.)])\s+")
_MINOR = frozenset(
    ["a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"]
)


def _title(sentence: str) -> bool:
    """A run-in title ("(c) Use of Content to Improve Services."): short, every word capitalized."""
    if len(sentence.split()) > 12:  # the numbering and a trailing "." take two words at most
        return False
    words = _NUMBERING.sub("", sentence).rstrip(".:").split()
    major = [w for w in words if w.lower() not in _MINOR]
    if not 0 < len(words) <= 10 or len(major) < 2 or sentence.isupper():
        return False
    return all(w[:1].isupper() for w in major)


def _cells(block: Block) -> list[tuple[str, str]]:
    """A table row's cells, each with the row's first cell as context; else the block."""
    if block.kind != "row":
        return [("", block.text)]
    cells = [c.strip() for c in block.text.split(" | ") if c.strip()]
    return [("", cells[0])] + [(cells[0], c) for c in cells[1:]] if cells else []


def _following_items(blocks: Sequence[Block], i: int) -> str:
    items = []
    for b in blocks[i + 1 : i + 13]:
        if b.kind != "item":
            break
        items.append(b.text)
    return " ".join(items)


# -- shared vocabulary --------------------------------------------------------------------------

APOS = "['’]"
PARTY = (
    r"(?:you|your (?:organi[sz]ation|company|business)|customers?|users?|end[- ]users?"
    r"|licensees?|subscribers?|clients?|members?|account holders?)"
)
NEG = rx(rf"\b(?:not|never|no longer|cannot)\b|n{APOS}t\b")
CONTENT = (
    r"(?:content|inputs?|outputs?|prompts?|conversations?|chats?|materials?|files?|messages?"
    r"|customer data|your data|user data|business data|submissions?|queries"
    r"|your personal (?:data|information)|(?:customer|user|client|member)s?['’]s? (?:data|content)"
    r"|data (?:from|of) (?:\w+ ){0,2}(?:customers|users|accounts)"
    r"|interactions? with (?:\w+ ){0,2}(?:AIs?|assistants?|chatbots?|models?|agents?)"
    r"|generations?|completions?|(?:input|output|fine[- ]tuning) data|questions|responses"
    r"|uploads|photos|images|recordings|voice data|documents|texts?|workspaces?)"
)
# A product name: two or more capitalized words that are not the document's defined terms.
_TERM_WORD = (
    r"(?:Customer|Content|Data|Inputs?|Outputs?|Services?|Agreement|Terms|Personal|Information"
    r"|Users?|Materials|Your|You|We|Our|Feedback|Confidential|Section|Privacy|Policy|The|This"
    r"|Account|Order|Form|Documentation|Affiliates?|Third|Party|Model|Models|Data Protection)\b"
)
_CAP = rf"(?!{_TERM_WORD})[A-Z][\w-]*"
_PRODUCT = rf"{_CAP}(?: {_CAP})+"
_SCOPES = (
    rx(r"\b(?:when|if|where|while) (?:the )?(?:you|customers?|users?|an end user"
       r"|organi[sz]ations?) "
       r"(?:use|uses|used|access|accesses|are using|is using|subscribes? to|subscribed to"
       r"|purchases?|purchased) "
       r"(?:the |our |a |an |any )?(?P<s>[^,;.()]{3,70}?)(?=[,;.()]|$| to | for | and (?:we|you))"),
    rx(r"\b(?:under|on|with|in) (?:a |an |the |our |your )?(?P<s>(?:free|paid|trial|consumer"
       r"|business|enterprise|teams?|pro|plus|education|edu|api|developer)\b[^,;.()]{0,30}?"
       r"\b(?:subscriptions?|plans?|tiers?|versions?|accounts?|services|offerings?|products?))\b"),
    rx(r"\b(?:for|from) (?:our )?(?P<s>(?:business|enterprise|api|consumer|free|paid) "
       r"(?:users|customers|services|plans|products|accounts|tiers?|platform))\b"),
    rx(r"\b(?P<s>services for (?:individuals|businesses|business users|consumers))\b"),
    rx(r"\b(?P<s>(?:non-)?(?:api|enterprise|business|team|free|consumer|paid|unpaid)) "
       r"(?:content|data|customers|users|inputs|outputs|prompts)\b"),
    re.compile(r"\b(?:[Gg]enerated (?:from|by|with|using)|[Bb]y using|[Ii]n connection with)"
               r" (?:the )?(?P<s>[A-Z][\w-]*(?: [A-Z][\w-]*)+)"),
    rx(r"\b(?:from|in|via|through) (?P<s>(?:connected|third[- ]party|linked) (?:apps|applications"
       r"|services|integrations|accounts|sources))\b"),
)  # fmt: skip
# A product named before its content ("Copilot Health conversations"), or after "in".
_PRODUCT_SCOPES = (
    re.compile(rf"(?<![Yy]our )(?<![Oo]ur )(?<![Tt]he )\b(?P<s>{_PRODUCT})"
               r"(?= (?:conversations|chats|content|data|prompts|inputs|outputs|messages"
               r"|files)\b)"),  # lower case: "Customer Data", "Training Data" are defined terms
    re.compile(rf"\b(?:in|from|on|via|through) (?P<s>{_PRODUCT})\b"),
)  # fmt: skip


_GENERIC_SCOPE = rx(
    r"(?:the |our |its |their )?(?:services?|products?|platform|site|websites?|apps?|applications?"
    r"|features?|software|tools?)$"
)
_CAPITALIZED_BEFORE = re.compile(r"[A-Z][\w-]*\s+$")


def scope(text: str) -> str | None:
    """The tier or product a sentence limits its rule to, as written ("free subscription").

    A product name must be a whole run of capitalized words: "AI Training" in "the Mistral
    AI Training Data" is part of a defined term, not a product."""
    for pattern in _SCOPES:
        for m in pattern.finditer(text):
            found = " ".join(m.group("s").split())
            if not _GENERIC_SCOPE.match(found):
                return found
    for pattern in _PRODUCT_SCOPES:
        for m in pattern.finditer(text):
            if not _CAPITALIZED_BEFORE.search(text[: m.start("s")]):
                return m.group("s")
    return None
