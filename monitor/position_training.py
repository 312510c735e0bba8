"""Reader of ``training_use``: not_used / opt_in / opt_out / used, per rule stated.
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from .position_sentences import Hints, Rule
from .position_units import APOS, CONTENT, PARTY, Reading, Unit, presence_rx, rx, scope

_CONTENT = presence_rx(rf"\b{CONTENT}\b")

# -- training -------------------------------------------------------------------------------------

_TRAIN = presence_rx(
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
_NOT_OURS = presence_rx(
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
_NEG_USE = presence_rx(
    rf"(?:\bnot|\bnever|\bno longer|n{APOS}t)\s+(?:(?!but\b|however\b|except\b|unless\b)"
    r"[\w’'-]+\s+){0,6}?(?:use|used|train|trained|using|training)\b"
    r"|\bno\b(?: \w+){0,3} (?:will be|is|are|shall be|may be) used\b"
    r"|\bexclud\w* (?:from )?(?:any |all )?(?:model |AI )?training"
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
# A bare use must be of the users' content: "trained on a large corpus of text" is not.
_USERS = re.compile(
    r"(?i:\b(?:you|your|customers?|users?|members?|people|individuals|subscribers?|clients?"
    r"|accounts?|chats?|conversations?|prompts?|inputs?|outputs?)\b)"
    r"|\b(?:Content|Inputs?|Outputs?|Materials|Prompts|Customer Data|User Data|Submissions)\b"
)
# Choices about something else than training: marketing, cookies, sale of data, ...
_OTHER_CHOICE = rx(
    r"\bopt(?:s|ed|ing)?[- ]?(?:out|in)\b[^.;]{0,40}\b(?:marketing|promotional|e-?mails?"
    r"|newsletters?|communications?|cookies|ads|advertis\w+|sale|selling|sharing of|profiling"
    r"|targeted|notifications?|sms|text messages|surveys?)\b"
)
_EXPLICIT_CHOICE = rx(
    r"\bopt(?:s|ed|ing)?[- ]?(?:out|in)\b|\bturn\w* (?:\w+ )?off\b|\bdisabl\w+|\bswitch\w* off\b"
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
    in_sentence = bool(u.search(_TRAIN))
    if u.heading or not (in_sentence or trains(u.previous) or trains(u.context)):
        return False
    if u.search(_STAFF_TRAINING) or u.search(_NOT_OURS) or u.search(_DEFINITION):
        return False
    content = u.search(_CONTENT)
    if u.search(_FEEDBACK) and not content:
        return False
    opt = (u.search(_OPT_OUT) or u.search(_OPT_IN)) and not u.search(_OTHER_CHOICE)
    if in_sentence:
        return bool(_licence_to_improve(u) or content or opt)
    # Around a training sentence or under a training heading, only an explicit opt-out /
    # opt-in is about training: "only with your consent" or "we do not use your files for
    # advertising" there may be about something else.
    if not (opt and u.search(_EXPLICIT_CHOICE)):
        return False
    return bool(trains(u.previous) or (trains(u.context) and content))


_TO_USER = rx(rf"\bgrants? (?:to )?{PARTY}\b|\bto (?:you|customers?|users?)\b")


def _licence_to_improve(u: Unit) -> bool:
    """An item of a licence's purposes ("This licence is for the purpose of: - improving
    the services"): the user's licence to the provider, hence content used."""
    lead = u.lead
    return bool(
        lead and _LICENCE.search(lead) and not _TO_USER.search(lead) and u.search(_TRAIN)
        and not u.search(_NEG_USE)
    )  # fmt: skip


def _positive(u: Unit) -> bool:
    return any(not _CUSTOMER_SUBJECT.search(u.text[: m.start()]) for m in u.finditer(_POSITIVE))


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


_OTHER_TOPIC = rx(
    r"^[^.;]{0,40}\b(?:marketing|promotional|e-?mails?|newsletters?|communications?|cookies|ads"
    r"|advertis\w+|sale|selling|sharing of|profiling|targeted|notifications?|sms|surveys?)\b"
)


def _choice(pattern: Rule, u: Unit) -> re.Match[str] | None:
    """The first choice ``pattern`` finds that is not about marketing, cookies, sale ..."""
    for m in u.finditer(pattern):
        if not _OTHER_TOPIC.search(u.text[m.start() : m.end() + 40]):
            return m
    return None


def _training_readings(u: Unit) -> list[Reading]:
    text = u.text
    cut = u.search(_EXCEPT)
    main, exc = (text[: cut.start()], text[cut.start() :]) if cut else (text, "")
    found: list[Reading] = []
    if _licence_to_improve(u):
        return [Reading("used", text, u.scope())]
    for value, pattern in (("opt_out", _OPT_OUT), ("opt_in", _OPT_IN)):
        if m := _choice(pattern, u):
            where = _segment(text, m.start())
            found.append(Reading(value, text, scope(where) or scope(exc) or u.scope()))
    negated = bool(_NEG_USE.search(_NOT_A_RULE.sub(" ", main)))
    if negated and not found:
        value = "opt_in" if u.search(_BY_DEFAULT) else "not_used"
        found.append(Reading(value, text, u.scope()))
    elif negated and exc and scope(exc) is not None:
        found.append(Reading("not_used", text, scope(main)))
    elif (
        not negated
        and not found
        and _positive(u)
        and not u.search(_EXCEPTION_ONLY)
        and not u.search(_DERIVED)
        and u.search(_USERS)
    ):
        found.append(Reading("used", text, u.scope()))
    return found


_TRAINING_HINTS = Hints(
    "train", "improv", "develop", "enhanc", "fine", "model", "opt", "licen", "turn", "switch",
    "disabl", "object", "consent", "permission", "agree", "authori", "not", "never", "n't", "n’t",
    "no ", "exclud",
)  # fmt: skip


def training_use(us: Sequence[Unit]) -> list[Reading]:
    """not_used / opt_in / opt_out / used, one reading per rule stated; a bare "used" is
    dropped where the document offers an opt-out for the same (or every) scope."""
    candidates = [u for u in us if u.mentions(_TRAINING_HINTS)]
    found = [r for u in candidates if _about_training(u) for r in _training_readings(u)]
    opt_out_scopes = {r.scope for r in found if r.value == "opt_out"}
    return [
        r
        for r in found
        if r.value != "used" or not (None in opt_out_scopes or r.scope in opt_out_scopes)
    ]
