"""What the position readers work on: a document's sentences with their context, the
shared vocabulary of legal phrasing, and the scope (tier/product) a sentence names.

Rules are families of legal phrasing (verbs, objects, negations, exceptions), with the
enclosing headings, a table row's first cell and a list's lead-in as context; never one
page's wording. Each reader returns the readings it is sure of; none means "not stated".
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from .facts import Amount
from .model import Block
from .position_model import Reading as Reading  # defined there: unpickled without the rules
from .position_sentences import Hints, Presence, Rule, Sentence, sentences_of


@dataclass(slots=True)
class Unit:
    """One sentence of the document with what a reader sees around it (not frozen: ~200 are
    made a page, and a frozen dataclass is made ~5x slower; no reader changes one)."""

    text: str
    sentence: Sentence  # the sentence as the readers test it (hints, rules it may match)
    context: str  # enclosing headings, a row's first cell, a list item's lead-in
    heading: bool  # the sentence is a heading or a run-in title ("4.1 Ownership.")
    previous: str  # the sentence before it (same block or the previous one)
    follow: str = ""  # for a "...:" lead-in, the items that follow it
    lead: str = ""  # for a list item, the paragraph just before its list (its lead-in)

    def mentions(self, hints: Hints) -> bool:
        """Whether the sentence (lower-cased) contains one of the ``hints``: a cheap
        prefilter before the phrase patterns."""
        return bool(self.sentence.hints >> hints.id & 1)

    def search(self, rule: Rule | re.Pattern[str]) -> re.Match[str] | None:
        """``rule.search(self.text)`` (run only where the sentence may hold a match)."""
        return self.sentence.search(rule)

    def finditer(self, rule: Rule | re.Pattern[str]) -> Iterator[re.Match[str]]:
        """``rule.finditer(self.text)`` (likewise)."""
        return self.sentence.finditer(rule)

    def amounts(self) -> list[Amount]:
        """``facts.amounts(self.text)``: the explicit periods of the sentence."""
        return self.sentence.amounts

    def scope(self) -> str | None:
        """``scope(self.text)``: the tier or product the sentence limits its rule to."""
        return scope(self.text, self)


Reader = Callable[[Sequence[Unit]], list[Reading]]


def rx(pattern: str) -> Rule:
    """A case-insensitive pattern of the readers, with its literal prefilter (a sentence of
    the document runs it only where it may match: ``Unit.search``)."""
    return Rule(pattern)


def presence_rx(pattern: str) -> Presence:
    """A pattern of the readers asked only whether a text holds a match (``search``'s
    truth, never its span or groups): run as faster regexes of the same answers."""
    return Presence(pattern)


def negated(text: str, m: re.Match[str]) -> bool:
    """A negation in the match or just before it ("does not own", "no right to audit")."""
    return bool(NEG.search(text[max(0, m.start() - 25) : m.end()]))


# -- units ------------------------------------------------------------------------------------


def units(blocks: Sequence[Block]) -> list[Unit]:
    """Every sentence of ``blocks`` with its headings, table row and list lead-in."""
    out: list[Unit] = []
    headings: list[tuple[int, str]] = []
    under = ""  # the enclosing headings, innermost first
    lead = ""
    previous = ""
    for i, block in enumerate(blocks):
        context = ""
        if block.kind == "heading":
            headings = [(lv, t) for lv, t in headings if lv < block.level] + [
                (block.level, block.text)
            ]
            under = " / ".join(t for _, t in reversed(headings))
            lead = ""
        elif block.kind == "item":
            context = lead
        else:  # a paragraph right after a list continues its lead-in's topic
            context = lead if i and blocks[i - 1].kind == "item" else ""
            following = i + 1 < len(blocks) and blocks[i + 1].kind == "item"
            lead = block.text if following else ""
        if not context:
            context = under
        elif headings:
            context = f"{context} / {under}"
        opens = block.kind == "paragraph" and block.text.rstrip().endswith(":")
        follow = _following_items(blocks, i) if opens else ""
        item_lead = lead if block.kind == "item" else ""
        for cell_context, text in _cells(block):
            ctx = f"{cell_context} / {context}" if cell_context else context
            for s in sentences_of(text):
                heading = block.kind == "heading" or s.title
                out.append(Unit(s.text, s, ctx, heading, previous, follow, item_lead))
                previous = s.text
    return out


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
# A product named before its content ("Copilot Health conversations"), or after "in". The
# first: a product not after "your", "our", "the", its first word not a defined term; its
# capital letter is matched first (re scans for one), the tests of it in a look-behind.
_FIRST_CAP = rf"[A-Z](?<=(?<![Yy]our )(?<![Oo]ur )(?<![Tt]he )\b(?!{_TERM_WORD})[A-Z])"
_PRODUCT_SCOPES = (
    re.compile(rf"(?P<s>{_FIRST_CAP}[\w-]*(?: {_CAP})+)"
               r"(?= (?:conversations|chats|content|data|prompts|inputs|outputs|messages"
               r"|files)\b)"),  # lower case: "Customer Data", "Training Data" are defined terms
    re.compile(rf"\b(?:in|from|on|via|through) (?P<s>{_PRODUCT})\b"),
)  # fmt: skip


_GENERIC_SCOPE = rx(
    r"(?:the |our |its |their )?(?:services?|products?|platform|site|websites?|apps?|applications?"
    r"|features?|software|tools?)$"
)
_CAPITALIZED_BEFORE = re.compile(r"[A-Z][\w-]*\s+$")


def scope(text: str, unit: Unit | None = None) -> str | None:
    """The tier or product a sentence limits its rule to, as written ("free subscription");
    ``unit``: the unit whose sentence ``text`` is.

    A product name must be a whole run of capitalized words: "AI Training" in "the Mistral
    AI Training Data" is part of a defined term, not a product."""
    for pattern in _SCOPES:
        for m in pattern.finditer(text) if unit is None else unit.finditer(pattern):
            found = " ".join(m.group("s").split())
            if not _GENERIC_SCOPE.match(found):
                return found
    for pattern in _PRODUCT_SCOPES:
        for m in pattern.finditer(text):
            if not _CAPITALIZED_BEFORE.search(text[: m.start("s")]):
                return m.group("s")
    return None
