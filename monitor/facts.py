"""Facts a compliance reader cares about, read from one clause's text. Pure: no I/O.

``extract_facts(key, text)`` gives short canonical values, compared old vs new by
``summary``: a fact whose value changed is what makes a change *high* severity.

=============  ================  ============================================================
clause         fact              values
=============  ================  ============================================================
training       stance            not used | not used by default | used unless you opt out | used
training       consent           opt-in | opt-out | opt-in and opt-out
retention      duration          "30 days", "up to 2 years", "as long as your account is active"
ownership      output ownership  customer | licence | provider
audit          audit right       yes | no
changes        notice            "30 days' notice", "reasonable notice"
subprocessors  notice            the same, for new subprocessors
=============  ================  ============================================================

Multi-valued facts (several durations) are joined with ``"; "`` in document order. The
patterns are heuristics written against real provider wording (OpenAI, Anthropic, Google,
Mistral); a fact that is not stated is simply absent, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .clause_patterns import Regex
from .diff import split_sentences

SEPARATOR = "; "
HIGH_FACTS: frozenset[tuple[str, str]] = frozenset(
    {
        ("training", "stance"),
        ("training", "consent"),
        ("retention", "duration"),
        ("ownership", "output ownership"),
        ("audit", "audit right"),
    }
)
# Facts whose values are amounts: summaries show them as "(30 days → 90 days)".
QUANTITIES: frozenset[str] = frozenset({"duration", "notice"})
# When a clause's sentences state several training stances, the first in this order is the
# clause's: qualified statements ("unless you opt out", "by default") describe the choice a
# customer actually has and win over bare ones; between equals the less protective wins.
STANCES = ("used unless you opt out", "not used by default", "used", "not used")
OWNERS = ("provider", "licence", "customer")  # least protective first, likewise


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_APOS = "['’]"
_NEG = _rx(
    rf"\b(?:not|never|no longer|cannot|won{_APOS}t|isn{_APOS}t|aren{_APOS}t|don{_APOS}t"
    rf"|doesn{_APOS}t|can{_APOS}t|shan{_APOS}t)\b|\bexcludes? (?:model )?training\b"
)

# -- durations ---------------------------------------------------------------------------------

_NUMBER_WORDS = {
    w: n
    for n, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {"thirty": 30, "forty": 40, "forty-five": 45, "sixty": 60, "ninety": 90, "a hundred": 100}
NUMBER_WORDS: frozenset[str] = frozenset(_NUMBER_WORDS)
_NUM_WORD = "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True))
# Run only on text holding one of the units (``Regex``: a match holds one): the regex tries
# its dozens of case-insensitive alternatives at every word (~100 µs a sentence).
_DURATION = Regex(
    r"(?:\b(?P<qual>up to|no more than|no longer than|not more than|a maximum of|maximum of"
    r"|within|at least|no less than|not less than|a minimum of|minimum of)\s+)?"
    rf"(?:\b(?P<word>{_NUM_WORD})[\s-]*(?:\(\s*(?P<paren>\d+)\s*\)[\s-]*)?"
    r"|(?<![\d.,])(?P<digits>\d+)[\s-]*)"
    r"(?P<kind>calendar[\s-]|business[\s-]|working[\s-]|rolling[\s-])?(?P<unit>day|week|month|year)s?\b",
    re.IGNORECASE,
)
_DAYS_PER = {"day": 1, "week": 7, "month": 30, "year": 365}


@dataclass(frozen=True)
class Amount:
    """One explicit period in a text: "thirty (30) days" → 30 days, "1 rolling year" → 365."""

    n: int
    unit: str  # day | week | month | year
    business: bool  # business / working days
    qual: str  # "up to" | "at least" | ""
    start: int
    end: int

    @property
    def days(self) -> int:
        """In days: a month = 30, a year = 365, business days as written."""
        return self.n * _DAYS_PER[self.unit]


def amounts(text: str) -> list[Amount]:
    """Every explicit period in ``text``, in order (digits, words or "thirty (30)")."""
    found = []
    for m in _DURATION.finditer(text):
        word = m.group("word")
        n = int(m.group("paren") or m.group("digits") or _NUMBER_WORDS[word.lower()])
        kind = (m.group("kind") or "").strip(" -").lower()
        qual = (m.group("qual") or "").lower()
        qual = "up to" if qual in _UPPER else "at least" if qual else ""
        found.append(Amount(n, m.group("unit").lower(), kind in ("business", "working"), qual,
                            m.start(), m.end()))  # fmt: skip
    return found


_UPPER = {"up to", "no more than", "no longer than", "not more than", "a maximum of"}
_UPPER |= {"maximum of", "within"}
_OPEN_ENDED = (
    (_rx(r"\b(?:as|so) long as (?:your|the|their) account (?:is|remains) (?:active|open)"),
     "as long as your account is active"),
    (_rx(r"\buntil (?:you|customer|the user) (?:delete|close|terminate)s? (?:your|its|their) "
         r"account"), "until you delete your account"),
    (_rx(r"\b(?:as|so) long as (?:is )?(?:reasonably |strictly )?(?:necessary|needed|we need)"),
     "as long as necessary"),
    (_rx(r"\bindefinitely\b"), "indefinitely"),
    (_rx(r"\bfor the (?:duration|term) of the (?:agreement|contract)"),
     "for the duration of the agreement"),
    (_rx(r"\bzero data retention\b|\bZDR\b"), "zero data retention available"),
)  # fmt: skip


def durations(text: str) -> list[str]:
    """Canonical durations in ``text``, first mention of each amount, in order:
    "thirty (30) days" → "30 days", "for up to 2 years" → "up to 2 years"."""
    found: dict[tuple[int, str], str] = {}
    for a in amounts(text):
        kind = "business " if a.business else ""
        qual = f"{a.qual} " if a.qual else ""
        found.setdefault(
            (a.n, kind + a.unit), f"{qual}{a.n} {kind}{a.unit}{'' if a.n == 1 else 's'}"
        )
    return list(found.values())


def _retention(text: str) -> dict[str, str]:
    values = durations(text)
    values += [label for rx, label in _OPEN_ENDED if rx.search(text)]
    return {"duration": SEPARATOR.join(values)} if values else {}


# -- training --------------------------------------------------------------------------------

_TRAIN = _rx(
    r"\btrain(?:s|ed|ing)?\b|\bimprov\w*\b[^.;]{0,40}\b(?:models?|AI)\b"
    r"|\bdevelop or improve (?:the|our) services\b"
)
_DATA = _rx(r"\b(?:content|data|inputs?|outputs?|conversations?|chats?|materials?|prompts?)\b")
_NOT_OURS = _rx(  # customers' own model building, public or third-party data, exceptions
    r"\bcompet\w*|\bdistill|\bpublicly available\b|\binternet\b|\bthird[- ]part"
    r"|\bfeedback\b|\bflag(?:ged|s)?\b|\bsafety review\b|\baggregated\b|\bde-?identified\b"
    r"|\b(?:you|customer|users?)\b[^.;]{0,20}\b(?:may|must|shall|will) not\b|^even if\b"
)
_POSITIVE = _rx(
    r"\b(?:we|openai|anthropic|google|mistral(?: ai)?)\b[^.;]{0,60}\b(?:use|uses|train|trains)\b"
    r"|\b(?:is|are|be|been) used (?:to train|for (?:model )?training|to improve)"
    r"|\bby (?:further )?training on\b|\blicen[cs]e\b[^.;]{0,300}\bto train\b"
)
_BY_DEFAULT = _rx(r"\bby default\b")
_OPT_OUT = _rx(r"\bopt(?:s|ed|ing)?[- ]?out\b|\bobject to the use\b|\bturn off training\b")
_OPT_IN = _rx(
    r"\bopt(?:s|ed|ing)?[- ]?in\b|\bunless (?:you|customer)\b[^.;]{0,30}"
    r"\b(?:agrees?|consents?|chooses? to share|permits?)\b"
    r"|\bwith (?:your|customer[’']?s?) (?:explicit |prior )?(?:consent|permission)"
)
_OPT_OUT_OFFER = _rx(
    r"\bunless you (?:opt|have opted)[- ]?out|\b(?:you can|option to|you may|choose to) opt[- ]?out"
    r"|^(?:once|if|when|after) (?:you|customer) (?:have |has )?opt|\bif you (?:do not|don[’']t) "
    r"want\b|\bobject to the use\b|\bturn off training\b"
)


def statements(text: str) -> list[str]:
    """Sentences of a clause that can state a fact: headings and questions are skipped."""
    body = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("#"))
    return [s for s in split_sentences(body) if not s.rstrip().endswith("?")]


def _stance(sentence: str) -> str | None:
    """The training stance one sentence states, if it states one."""
    if _OPT_OUT_OFFER.search(sentence) and not _BY_DEFAULT.search(sentence):
        return "used unless you opt out"
    if _NEG.search(sentence):
        if _BY_DEFAULT.search(sentence) or _OPT_IN.search(sentence):
            return "not used by default"
        return "not used"
    if _OPT_IN.search(sentence):
        return "not used by default"
    if _OPT_OUT.search(sentence):
        return "used unless you opt out"
    return "used" if _POSITIVE.search(sentence) else None


def _training(text: str) -> dict[str, str]:
    sentences = [s for s in statements(text) if not _NOT_OURS.search(s)]
    about = [s for s in sentences if _TRAIN.search(s) and _DATA.search(s)]
    facts: dict[str, str] = {}
    stances = {_stance(s) for s in about} - {None}
    if stances:
        facts["stance"] = next(s for s in STANCES if s in stances)
    consent = [
        name
        for name, rx in (("opt-in", _OPT_IN), ("opt-out", _OPT_OUT))
        if any(rx.search(s) for s in sentences)
    ]
    if consent:
        facts["consent"] = " and ".join(consent)
    return facts


# -- ownership, audit, notice ----------------------------------------------------------------

_PARTY = r"(?:you|customer|users?)"
_PROVIDER = r"(?:we|us|openai|anthropic|google|mistral(?: ai)?|provider|company)"
_OUTPUT = r"(?:outputs?|generated content|that content)"
_OWNER_RULES = (
    ("customer", _rx(rf"\b{_PARTY}\b[^.;]{{0,80}}\bown(?:s)?\b(?: all| the| its| any| your)?"
                     rf"[^.;]{{0,20}}\b{_OUTPUT}")),
    ("customer", _rx(rf"\bassigns? to {_PARTY}\b[^.;]{{0,80}}\b{_OUTPUT}")),
    ("customer", _rx(rf"\b{_OUTPUT}\b[^.;]{{0,40}}\b(?:belongs? to|(?:is|are) owned by) "
                     rf"(?:you|customer)|\b{_OUTPUT}\b[^.;]{{0,20}}\bremains? (?:yours|your)")),
    ("customer", _rx(r"\b(?:will not|won[’']t|does not|do not) claim ownership\b")),
    ("licence", _rx(rf"\bgrants? (?:to )?{_PARTY}\b[^.;]{{0,120}}\blicen[cs]e\b[^.;]{{0,80}}"
                    rf"\b{_OUTPUT}")),
    ("licence", _rx(rf"\blicen[cs]e to use (?:the |any |all )?{_OUTPUT}")),
    ("provider", _rx(rf"\b{_PROVIDER}\b[^.;]{{0,40}}\bown(?:s)?\b(?: all| the| any)?[^.;]{{0,20}}"
                     rf"\b{_OUTPUT}")),
    ("provider", _rx(rf"\b{_OUTPUT}\b[^.;]{{0,40}}\b(?:belongs? to|(?:is|are) owned by|"
                     rf"(?:is|are|remains?) the (?:exclusive )?property of) {_PROVIDER}\b")),
)  # fmt: skip


def _ownership(text: str) -> dict[str, str]:
    owners = set()
    for sentence in split_sentences(text):
        for owner, rx in _OWNER_RULES:
            m = rx.search(sentence)
            if m and not re.search(r"\bnot\b", m.group(0), re.IGNORECASE):
                owners.add(owner)
    found = [o for o in OWNERS if o in owners]
    return {"output ownership": found[0]} if found else {}


_AUDIT_RIGHT = _rx(
    rf"\b{_PARTY}\b[^.;]{{0,40}}\b(?:may|can|is entitled to|shall be entitled to|has the right "
    r"to|will be entitled to)\b[^.;]{0,30}\b(?:audit|inspect)"
    rf"|\b(?:permit|allow) {_PARTY}\b[^.;]{{0,60}}\bto (?:audit|inspect)"
    r"|\b(?:allow for and )?contribute to audits\b|\bsubmit to audits\b"
    r"|\bright to (?:audit|inspect)|\baudit rights?\b|\bon-?site audits?\b"
)
_NO_AUDIT = _rx(
    r"\bno (?:right to|rights? of) (?:audit|inspect)|\bnot (?:be )?entitled to (?:audit|inspect)"
    r"|\bwill not (?:permit|allow|submit to) (?:any )?audits?"
)


def _audit(text: str) -> dict[str, str]:
    if not text.strip():
        return {}
    right = _AUDIT_RIGHT.search(text) and not _NO_AUDIT.search(text)
    return {"audit right": "yes" if right else "no"}


_NOTICE_CONTEXT = _rx(r"\bnoti(?:ce|fy|fies|fied|fication)\b|\beffective\b|\bpost(?:ed|s|ing)\b")
_REASONABLE = _rx(r"\breasonable (?:advance |prior )?(?:written )?notice\b")


def _notice(text: str) -> dict[str, str]:
    values: list[str] = []
    for sentence in split_sentences(text):
        if not _NOTICE_CONTEXT.search(sentence):
            continue
        for d in durations(sentence):
            amount = d.removeprefix("up to ").removeprefix("at least ")
            values.append(f"{amount}' notice" if amount.endswith("s") else f"{amount}'s notice")
        if _REASONABLE.search(sentence):
            values.append("reasonable notice")
    unique = list(dict.fromkeys(values))
    return {"notice": SEPARATOR.join(unique)} if unique else {}


EXTRACTORS: dict[str, Callable[[str], dict[str, str]]] = {
    "training": _training,
    "retention": _retention,
    "ownership": _ownership,
    "audit": _audit,
    "changes": _notice,
    "subprocessors": _notice,
}


def extract_facts(key: str, text: str) -> dict[str, str]:
    """Facts of clause ``key`` stated in ``text`` (fact name → canonical value); ``{}`` for
    clause keys without extractors (user-defined clauses) and for empty text."""
    extractor = EXTRACTORS.get(key)
    return extractor(text) if extractor and text.strip() else {}


def split_values(value: str | None) -> list[str]:
    """A multi-valued fact back into its values."""
    return value.split(SEPARATOR) if value else []


def changed_values(before: str | None, after: str | None) -> tuple[list[str], list[str]]:
    """Values only in ``before`` and only in ``after``, each in its own order."""
    old, new = split_values(before), split_values(after)
    return [v for v in old if v not in new], [v for v in new if v not in old]
