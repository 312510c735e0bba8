"""Sentence-level rules behind ``positions``: document → units, and one reader per key.

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

from .diff import split_sentences
from .extract import Block
from .facts import NUMBER_WORDS, Amount, amounts


@dataclass(frozen=True)
class Reading:
    """One value a sentence states, with its scope (tier/product) if it names one."""

    value: bool | int | str
    evidence: str
    scope: str | None = None


@dataclass(frozen=True)
class Unit:
    """One sentence of the document with what a reader sees around it."""

    text: str
    context: str  # enclosing headings, a row's first cell, a list item's lead-in
    heading: bool  # the sentence is a heading
    previous: str  # the sentence before it (same block or the previous one)
    follow: str = ""  # for a "...:" lead-in, the items that follow it
    lead: str = ""  # for a list item, the "...:" lead-in paragraph of its list

    def mentions(self, *words: str) -> bool:
        """Whether the sentence (lower-cased) contains one of ``words``: a cheap prefilter
        before the phrase patterns."""
        low = self.text.lower()
        return any(w in low for w in words)


Reader = Callable[[Sequence[Unit]], list[Reading]]


def rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


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
            for sentence in split_sentences(text):
                ctx = f"{cell_context} / {context}" if cell_context else context
                heading = block.kind == "heading" or _title(sentence)
                out.append(Unit(sentence, ctx, heading, previous, follow, item_lead))
                previous = sentence
    return out


_NUMBERING = re.compile(r"^\(?(?:\d+(?:\.\d+)*[.)]?|[A-Za-z][.)]|[ivxlc]+[.)])\s+")
_MINOR = frozenset(
    ["a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"]
)


def _title(sentence: str) -> bool:
    """A run-in title ("(c) Use of Content to Improve Services."): short, every word capitalized."""
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
    r"|uploads|photos|images|recordings|voice data|documents|texts?)"
)
_CONTENT = rx(rf"\b{CONTENT}\b")
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


# -- training -------------------------------------------------------------------------------------

_TRAIN = rx(
    r"\btrain(?:s|ed|ing)?\b|\bfine[- ]tun\w*|\bmodel (?:improvement|development)"
    r"|\bimprov\w* (?:\w+ ){0,3}(?:models?|AI|artificial intelligence|machine learning"
    r"|model performance)\b"
    r"|\b(?:develop|improv|enhanc)\w*(?:,? (?:and|or) \w+)? (?:(?!your\b)[\w’'-]+ ){0,3}?"
    r"(?:services?|products?|offerings?|technolog\w+)\b"
)
_STAFF_TRAINING = rx(
    r"\b(?:security|privacy|compliance|employees?|staff|personnel|awareness|confidentiality"
    r"|data protection) training\b|\breceive (?:\w+ )?training\b|\btrained (?:personnel|staff)"
)
_NOT_OURS = rx(
    r"\bcompet\w*|\bdistill\w*|\bindemn\w*|\breverse[- ]engineer|\bpublicly available\b"
    r"|\bthe internet\b"
    r"|\bthird[- ]party (?:data|sources|datasets)\b|\blicensed data\b"
    rf"|\b{PARTY}\b(?: \w+){{0,2}} (?:may|must|shall|will|agrees? to|should) not\b"
    rf"|\b{PARTY}\b(?: \w+){{0,2}} (?:won{APOS}t|shan{APOS}t|mustn{APOS}t)\b"
    rf"|^(?:[\w,()]+\s+){{0,3}}?{PARTY}\s+(?:may|can|could|(?:is|are|will be) able to)\s+"
    r"(?:also\s+)?(?:use|fine-tune|train|create|build|develop)\b"
)
_OPT_OUT = rx(
    r"\bunless (?:you|customers?|users?|the user|they)\b[^.;]{0,30}\bopt(?:s|ed)?[- ]?out"
    r"|\b(?:can|may|could|option to|able to|right to|choose to|how to|how you can|ways? to"
    r"|instructions (?:on|for))\s+(?:\w+\s+)?opt[- ]?out"
    r"|(?<!are )(?<!is )(?<!be )\bopt(?:s|ed|ing)?[- ]?out of\b"
    r"|\bsubject to (?:your|the|their|customer\S*) (?:right to )?opt[- ]?out"
    r"|\b(?:to|and|or) opt[- ]?out\b"
    r"(?! of (?:marketing|promotional|emails?|communications?|cookies))"
    r"|\bopt[- ]?out (?:request|form|mechanism|link|option|process|setting|toggle|control)s?\b"
    # "if you do not want ..., you can ...", not "..., do not use Beta Models" (no choice inside)
    rf"|\bif (?:you|customers?|users?) (?:do not|don{APOS}t|does not|doesn{APOS}t) (?:want|wish)\b"
    rf"(?![^.;]*,\s*(?:please\s+)?(?:do not|don{APOS}t|stop)\s+us(?:e|ing)\b)"
    r"|\b(?:has|have|had) not opted[- ]?out"
    r"|\b(?:if|once|when|after|even if) (?:you|customers?|users?) (?:have |has )?"
    r"opt(?:s|ed)?[- ]?out"
    r"|\b(?:turn(?:s|ed|ing)? off|disabl(?:e|es|ed|ing)|switch(?:es|ed|ing)? off)\b(?: \w+){0,9}? "
    r"(?:training|setting|toggle|option|control|feature|model improvement|activity|history|sharing)"
    r"|\b(?:turn(?:s|ed|ing)?|switch(?:es|ed|ing)?) (?:it|this|that) off\b"
    r"|\bobject to (?:the|our|this|such) (?:use|processing)"
    r"|\b(?:can|may) (?:choose|decide|elect) (?:not to|whether)"
)
_OPT_IN = rx(
    r"(?<!are )(?<!is )(?<!been )\bopt(?:s|ed|ing)?[- ]?in\b"
    r"|\bunless (?:you|customers?|users?|the user|they)\b[^.;]{0,30}\b(?:agree|consent|choose"
    r"|elect|permit|allow|authori[sz]e|instruct|request)"
    r"|\bwith (?:your|customer\S*|the user\S*|their) (?:explicit |express |prior |affirmative )*"
    r"(?:consent|permission|authori[sz]ation|agreement)"
    r"|\bwithout (?:(?:your|the|their|its|explicit|express|prior|affirmative|written|customer\S*"
    r"|users?\S*)\s+){1,4}(?:consent|permission|authori[sz]ation|agreement|approval)"
    r"|\bexcept (?:as|where|when|with) (?:expressly |explicitly |otherwise )*"
    r"(?:permitted|authori[sz]ed|agreed|instructed|requested|consented)\b[^.;]{0,20}"
    r"\bby (?:you|customers?|users?)\b"
    r"|\bonly (?:if|when|where) (?:you|customers?|users?)\b[^.;]{0,30}\b(?:agree|consent|choose"
    r"|elect|opt|share|allow|permit)"
    r"|\bif (?:you|customers?|users?) (?:explicitly |expressly )?(?:choose|decide|elect|agree"
    r"|consent) to\b"
)
_NEG_USE = rx(
    rf"(?:\bnot|\bnever|\bno longer|n{APOS}t)\s+(?:(?!but\b|however\b|except\b|unless\b)"
    r"[\w’'-]+\s+){0,6}?(?:use|used|train|trained|using|training)\b"
    r"|\bno\b(?: \w+){0,3} (?:will be|is|are|shall be|may be) used\b"
    r"|\bexclud\w* (?:model )?training"
)
_BY_DEFAULT = rx(r"\bby default\b")
_POSITIVE = rx(
    r"\b(?:may|will|can|could|might|shall|also|to|we|and)\s+(?:also\s+)?(?:use|train|improve"
    r"|develop)\b"
    r"|\b(?:is|are|be|been|being|gets?)\s+(?:\w+\s+)?used\s+(?:\w+\s+){0,3}?(?:to|for|in)\b"
    r"|\btrain(?:s|ed|ing)? on\b|\bimproves? by\b|\blicen[cs]e\b|^(?:to )?(?:train|improv|develop)"
    r"|\b(?:uses|using|processes)\b[^.;]{0,80}\bto\b[^.;]{0,40}\b(?:improv|develop|train)"
)
_CUSTOMER_SUBJECT = rx(rf"\b{PARTY}\s*(?:\w+\s*)?$")
_EXCEPTION_ONLY = rx(
    r"\bfeedback\b|\bflag(?:s|ged)?\b|\bsafety (?:review|research)\b|\breported\b|\babuse\b"
    r"|\bmoderation\b|\bratings?\b|\bthumbs\b"
)
# Negations that state no rule: a condition ("if you do not want ...") and an instruction to the
# user ("..., do not use Beta Models").
_NOT_A_RULE = rx(
    rf"\bif (?:you|customers?|users?) (?:do not|don{APOS}t|does not|doesn{APOS}t) (?:want|wish)\b"
    rf"[^,;]*|(?:^|,)\s*(?:please\s+)?(?:do not|don{APOS}t) use\b"
)
_DERIVED = rx(r"\b(?:aggregated?|de-?identified|anonymi[sz]ed|pseudonymi[sz]ed)\b")
_EXCEPT = rx(r"\b(?:except|unless|other than|save where|with the exception of)\b")


_DEFINITION = rx(r"^\W*[“\"][^”\"]{1,60}[”\"] (?:means|refers to|has the meaning|shall mean)")
_LICENCE = rx(r"\blicen[cs]e\b")
_FEEDBACK = rx(r"\bfeedback\b|\bsuggestions\b")


@lru_cache(maxsize=4096)
def trains(text: str) -> bool:
    """``text`` speaks of training or improving models or services (cached: headings and
    previous sentences are asked about many times)."""
    return bool(_TRAIN.search(text))


def _about_training(u: Unit) -> bool:
    text = u.text
    in_sentence = trains(text)
    if u.heading or not (in_sentence or trains(u.previous) or trains(u.context)):
        return False
    if _STAFF_TRAINING.search(text) or _NOT_OURS.search(text) or _DEFINITION.search(text):
        return False
    content = _CONTENT.search(text)
    if _FEEDBACK.search(text) and not content:
        return False
    opt = _OPT_OUT.search(text) or _OPT_IN.search(text)
    if in_sentence:
        return bool(_licence_to_improve(u) or content or opt)
    if opt and trains(u.previous):  # "... to train our models. You can opt out ..."
        return True
    # under a heading (or row, lead-in) about training: content with a stated choice
    return bool(trains(u.context) and content and (opt or _NEG_USE.search(text)))


_TO_USER = rx(rf"\bgrants? (?:to )?{PARTY}\b|\bto (?:you|customers?|users?)\b")


def _licence_to_improve(u: Unit) -> bool:
    """An item of a licence's purposes ("This licence is for the purpose of: - improving
    the services"): the user's licence to the provider, hence content used."""
    lead = u.lead
    return bool(
        lead and _LICENCE.search(lead) and not _TO_USER.search(lead) and _TRAIN.search(u.text)
        and not _NEG_USE.search(u.text)
    )  # fmt: skip


def _positive(text: str) -> bool:
    return any(not _CUSTOMER_SUBJECT.search(text[: m.start()]) for m in _POSITIVE.finditer(text))


_ENUMERATION = re.compile(r"\(\s*(?:[a-z]|[ivx]+|\d+)\s*\)|;")


def _segment(text: str, at: int) -> str:
    """The enumerated item ("(a) ...", "(ii) ...", "...;") of ``text`` holding position ``at``."""
    start, end = 0, len(text)
    for m in _ENUMERATION.finditer(text):
        if m.end() <= at:
            start = m.end()
        elif m.start() > at:
            end = m.start()
            break
    return text[start:end]


def _training_readings(u: Unit) -> list[Reading]:
    text = u.text
    cut = _EXCEPT.search(text)
    main, exc = (text[: cut.start()], text[cut.start() :]) if cut else (text, "")
    found: list[Reading] = []
    if _licence_to_improve(u):
        return [Reading("used", text, scope(text))]
    for value, pattern in (("opt_out", _OPT_OUT), ("opt_in", _OPT_IN)):
        if m := pattern.search(text):
            where = _segment(text, m.start())
            found.append(Reading(value, text, scope(where) or scope(exc) or scope(text)))
    negated = bool(_NEG_USE.search(_NOT_A_RULE.sub(" ", main)))
    if negated and not found:
        value = "opt_in" if _BY_DEFAULT.search(text) else "not_used"
        found.append(Reading(value, text, scope(text)))
    elif negated and exc and scope(exc) is not None:
        found.append(Reading("not_used", text, scope(main)))
    elif (
        not negated
        and not found
        and _positive(text)
        and not _EXCEPTION_ONLY.search(text)
        and not _DERIVED.search(text)
    ):
        found.append(Reading("used", text, scope(text)))
    return found


_TRAINING_HINTS = (
    "train", "improv", "develop", "enhanc", "fine", "model", "opt", "licen", "turn", "switch",
    "disabl", "object", "consent", "permission", "agree", "authori", "not", "never", "n't", "n’t",
    "no ", "exclud",
)  # fmt: skip


def training_use(us: Sequence[Unit]) -> list[Reading]:
    """not_used / opt_in / opt_out / used, one reading per rule stated; a bare "used" is
    dropped where the document offers an opt-out for the same (or every) scope."""
    candidates = [u for u in us if u.mentions(*_TRAINING_HINTS)]
    found = [r for u in candidates if _about_training(u) for r in _training_readings(u)]
    opt_out_scopes = {r.scope for r in found if r.value == "opt_out"}
    return [
        r
        for r in found
        if r.value != "used" or not (None in opt_out_scopes or r.scope in opt_out_scopes)
    ]


# -- retention ------------------------------------------------------------------------------------

_KEEP = rx(
    r"\b(?:retain\w*|retention|keep|keeps|kept|stor(?:e|es|ed|age)|preserv\w+|delet\w+|eras\w+"
    r"|destr(?:oy|oys|oyed|uction)|purg\w+|remov(?:e|es|ed|al) (?:from|within|after)|anonymi[sz]\w+"
    r"|dispos(?:e|es|ed|al) of|expung\w+|saved|held|archiv\w+|overwrit\w+"
    r"|maintain(?:s|ed)? (?:\w+ )?(?:records|logs|backups|copies)"
    r"|no longer (?:be )?(?:accessible|available|stored|retained))"
)
_KEPT = rx(rf"\b(?:{CONTENT}|data|information|logs?|backups?|records?|copies|accounts?|history)\b")
_RETENTION_HEADING = rx(
    r"\bretention\b|\bretain|\bhow long\b|\bdelet|\bstorage (?:period|limitation)"
)
_NOT_RETENTION = rx(
    r"\baudit(?!\w* (?:logs?|trails?))|\binvoice[ds]? (?:within|date)|\bpayment|\bfees?\b"
    r"|\brefund|\bcookies?\b|\bconfidential\w*|\bsurviv\w+"
)
_NOTICE_AFTER = rx(rf"^{APOS}?s?\s*(?:prior |advance |written |notice)")
_AGE_AFTER = rx(r"^\s*(?:old|of age|or (?:older|over)|and (?:older|over))\b")
_FREQUENCY_BEFORE = rx(r"\b(?:every|each|per|once (?:a|per|every))\s*$")
_RESPONSE_BEFORE = rx(
    r"\b(?:respond|reply|replies|response|answer|acknowledge|extend)\w*\b[^.;]{0,40}$"
)


_NUMBER_HINTS = tuple(NUMBER_WORDS)


_DIGIT = re.compile(r"\d")


def _has_number(text: str) -> bool:
    if _DIGIT.search(text):
        return True
    low = text.lower()
    return any(w in low for w in _NUMBER_HINTS)


def _periods(text: str) -> list[Amount]:
    """Periods of ``text`` that are not notices, ages or frequencies."""
    out = []
    for a in amounts(text):
        after, before = text[a.end : a.end + 30], text[max(0, a.start - 20) : a.start]
        if _NOTICE_AFTER.search(after) or _AGE_AFTER.search(after):
            continue
        before = text[max(0, a.start - 40) : a.start]
        if _FREQUENCY_BEFORE.search(before) or _RESPONSE_BEFORE.search(before):
            continue
        if re.search(r"notice of\s*$", before, re.I):
            continue
        out.append(a)
    return out


def retention_days(us: Sequence[Unit]) -> list[Reading]:
    """Explicit periods for which data is kept, or within which it is deleted."""
    found = []
    for u in us:
        if u.heading or not _has_number(u.text) or _NOT_RETENTION.search(u.text):
            continue
        keeps = _KEEP.search(u.text) or _KEEP.search(u.follow)
        heading = _RETENTION_HEADING.search(u.context)
        if not (keeps and (_KEPT.search(u.text) or _KEPT.search(u.follow)) or heading):
            continue
        for a in _periods(u.text):
            found.append(Reading(a.days, u.text, scope(u.text)))
    return found


_ZDR = rx(r"\bzero[- ](?:data[- ])?retention\b|\bZDR\b")
_ZDR_REFUSED_BEFORE = rx(
    r"\b(?:do|does|will|shall|can)(?: not|n[’']t) (?:offer|provide|support)\b[^.;]{0,30}$"
)
_ZDR_REFUSED_AFTER = rx(
    rf"^[^.;]{{0,40}}?\b(?:is|are)(?: not|n{APOS}t) (?:available|offered|supported|possible)"
    r"|^[^.;]{0,20}?\bcannot be (?:activated|enabled|requested)"
)


def zero_data_retention(us: Sequence[Unit]) -> list[Reading]:
    """True where zero data retention is offered or described (not where it is refused:
    "zero data retention is not available for this product")."""
    found = []
    for u in us:
        if not u.mentions("zero", "zdr"):
            continue
        for m in _ZDR.finditer(u.text):
            before, after = u.text[: m.start()], u.text[m.end() :]
            if not (_ZDR_REFUSED_BEFORE.search(before) or _ZDR_REFUSED_AFTER.search(after)):
                found.append(Reading(True, u.text, scope(u.text)))
                break
    return found
