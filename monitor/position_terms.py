"""Readers of the notice, subprocessor, audit and date positions. Pure: no I/O.

Same conventions as ``position_units``: sentence-level families of legal phrasing, the
enclosing headings as context, and nothing read where the sentence negates the rule.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from functools import lru_cache

from .facts import Amount
from .position_sentences import Hints
from .position_units import APOS, PARTY, Reading, Unit, negated, presence_rx, rx

# -- notice periods -------------------------------------------------------------------------------

_NOTICE_AFTER = rx(
    rf"^\s*{APOS}?s?\s*(?:\(\s*\d+\s*\)\s*)?(?:(?:prior|advance|written|calendar|business)\s+)*"
    r"notice\b|^\s*(?:in advance|before|prior to|ahead of)\b"
)
_NOTICE_BEFORE = rx(r"\bnotice (?:period )?of\s*$")
_TAKES_EFFECT = rx(
    r"\b(?:effective|takes? effect|comes? into (?:effect|force)|becomes? effective|appl(?:y|ies))"
    r"\b[^.;]{0,30}$"
)
_FROM_NOTICE = rx(r"^\s*(?:after|from|following)\b")


def notice_periods(u: Unit) -> list[Amount]:
    """Periods of prior notice in ``u``'s sentence: "30 days' notice", "at least 14 days
    before", "effective 30 days after posting". A window counted *from* a notice ("object
    within 30 days of the notice") is not one."""
    out = []
    text = u.text
    for a in u.amounts():
        if text[a.start : a.end].lower().startswith("within"):
            continue
        after, before = text[a.end : a.end + 60], text[max(0, a.start - 60) : a.start]
        if (
            _NOTICE_AFTER.search(after)
            or _NOTICE_BEFORE.search(before)
            or (_TAKES_EFFECT.search(before) and _FROM_NOTICE.search(after))
        ):
            out.append(a)
    return out


# -- changes to the terms --------------------------------------------------------------------------

_CHANGE_HINTS = Hints("chang", "modif", "updat", "amend", "revis")
_CHANGE = rx(r"\b(?:chang|modif|updat|amend|revis)\w*")
_TERMS = rx(
    r"\b(?:terms|agreement|polic(?:y|ies)|addendum|dpa|conditions|contract|statement|privacy notice"
    r"|eula|guidelines)\b"
)
_NOT_TERMS = rx(r"\b(?:fees?|prices?|pricing|rates|charges|sub-?processors?|sub-?contractors?)\b")
_SERVICE_CHANGE = rx(
    r"\b(?:modif|chang|discontinu|deprecat|updat)\w*\s+(?:\w+\s+){0,3}?(?:services?|features?"
    r"|functionality|products?|models?|apis?|software)\b"
)
_MATERIAL_CHANGE = rx(
    r"\b(?:material|significant|substantial)\w* (?:chang|modif|amend|revis|updat)\w*"
)
_MATERIAL = rx(r"\b(?:material\w*|adverse\w*|substantial\w*|significant\w*)\b")


def change_notice_days(us: Sequence[Unit]) -> list[Reading]:
    """Days of notice before changed terms take effect (the one for material changes
    when several are stated)."""
    found = []
    for u in us:
        if not u.mentions(_CHANGE_HINTS) or u.heading:
            continue
        if not u.search(_CHANGE) or u.search(_NOT_TERMS):
            continue
        if not u.search(_TERMS) and (_NOT_TERMS.search(u.previous) or u.search(_SERVICE_CHANGE)):
            continue  # "any such change" of fees, a change to the services or features
        if not (
            u.search(_TERMS)
            or u.search(_MATERIAL_CHANGE)
            or any(_TERMS.search(c) and _CHANGE.search(c) for c in (u.context, u.previous))
        ):
            continue
        for a in notice_periods(u):
            found.append((not u.search(_MATERIAL), a.days, Reading(a.days, u.text, u.scope())))
    found.sort(key=lambda t: (t[0], t[1]))
    return [r for _, _, r in found]


# -- subprocessors ---------------------------------------------------------------------------------

_SUBPROCESSOR_HINTS = Hints("sub", "processor", "provider", "vendor")
_SUBPROCESSOR = presence_rx(
    r"\bsub-?\s?processors?\b|\bsub-?contractors?\b|\bsub-?processing\b|\bsub-service providers?\b"
    r"|\b(?:another|new|additional|replacement) (?:third[- ]party )?"
    r"(?:processors?|service providers?|vendors?)\b"
)
_NEW = rx(r"\b(?:new|additional|replace\w*|chang\w*|add\w*|engag\w*|appoint\w*)\b")
_OBJECT = rx(rf"\bobject(?:s|ing|ion|ions)?\b|\b(?:not|n{APOS}t) approve\b|\bdisapprov\w+")
_NO_OBJECTION = rx(rf"\b(?:may not|cannot|can{APOS}t|no right to|not (?:be )?entitled to) object")


@lru_cache(maxsize=1024)
def _sub(context: str) -> bool:
    """ "sub" in ``context`` (cached: a block's sentences share their context)."""
    return "sub" in context.lower()


def _about_subprocessors(u: Unit) -> bool:
    if u.heading or not (u.mentions(_SUBPROCESSOR_HINTS) or _sub(u.context)):
        return False
    return bool(u.search(_SUBPROCESSOR) or (_SUBPROCESSOR.search(u.context) and u.search(_NEW)))


def subprocessor_notice_days(us: Sequence[Unit]) -> list[Reading]:
    """Days of prior notice before a new subprocessor is engaged."""
    return [
        Reading(a.days, u.text, u.scope())
        for u in us
        if _about_subprocessors(u) and u.search(_NEW)
        for a in notice_periods(u)
    ]


def subprocessor_objection(us: Sequence[Unit]) -> list[Reading]:
    """True when the customer may object to a new subprocessor."""
    return [
        Reading(True, u.text, u.scope())
        for u in us
        if _about_subprocessors(u) and u.search(_OBJECT) and not u.search(_NO_OBJECTION)
    ]


# -- audit -----------------------------------------------------------------------------------------

# The customer or its auditor (not "an independent auditor" the provider hired itself).
_AUDITOR = (
    rf"(?:{PARTY}|controller|(?:its|their) (?:\w+[- ])*auditors?|(?:an?|the) (?:\w+[- ])*auditors?"
    r" (?:mandated|appointed|designated|selected|chosen|engaged) by (?:the )?"
    rf"(?:{PARTY}|controller))"
)
# "conduct an audit", "request up to one (1) on-site audit", "perform audits"
_AUDIT_ACT = (
    r"(?:conduct|perform|carry out|request|initiate|undertake)\s+"
    r"(?:(?:an?|one|up to|its own|its|their|\w+ \(\d+\))\s+)*(?:[\w-]+\s+)?(?:audits?|inspections?)"
)
_ON_SITE = (
    rx(rf"\b(?:permit|allow|enable)s?\b[^.;]{{0,40}}\b{_AUDITOR}\b[^.;]{{0,60}}\bto (?:\w+ )?"
       rf"(?:audit|inspect|{_AUDIT_ACT})"),
    rx(rf"\b{_AUDITOR}\b[^.;]{{0,60}}\b(?:may|can|shall be entitled to|is entitled to|will be "
       r"entitled to|ha(?:s|ve) the right to|shall have the right to)"
       r"(?:\s*,[^,.;]{0,60},)?\s+(?:(?:also|reasonably|itself|directly)\s+)?"
       rf"(?:audit|inspect|{_AUDIT_ACT})\b(?! logs?| trails?)"),
    rx(r"\b(?:allow for and contribute to|contribute to|submit to|allows? for|permits?) audits\b"),
    rx(rf"\baudits?\b(?:,? including inspections,?)?[^.;]{{0,30}}\b(?:conducted|performed"
       rf"|carried out) by (?:the )?{_AUDITOR}"),
    rx(r"\bon-?site (?:audits?|inspections?)\b"),
)  # fmt: skip
_REPORTS = rx(
    r"\b(?:audit reports?|soc ?[123]|iso(?:/iec)? ?270\d\d|certifications?|questionnaires?"
    r"|penetration test\w*|attestations?|third[- ]party (?:audit )?reports?|summary reports?)\b"
)
_PROVIDE = rx(
    rf"\b(?:provide|make available|furnish|share|deliver|give|send)s?\b[^.;]{{0,40}}\b{PARTY}"
    rf"|\b{PARTY}\b[^.;]{{0,40}}\b(?:may|can) (?:request|obtain|receive|access|review)"
    r"|\b(?:provide|make available|furnish|share)s?\b[^.;]{0,80}\b(?:up)?on (?:written )?request\b"
    r"|\b(?:respond to|complete|answer)s?\b[^.;]{0,40}\bquestionnaires?\b"
    r"|\b(?:provision|delivery) of\b[^.;]{0,40}\breports?\b"
)


_AUDITED = rx(
    r"\bcomplian\w+|\bfacilit\w+|\bpremises\b|\bsystems\b|\bcontrols\b|\bprocessing\b|\bbooks\b"
    r"|\brecords\b|\bsecurity\b|\bmeasures\b|\bobligations\b|\bprocessor\b|\bdpa\b|\baddendum\b"
    r"|\bagreement\b|\bclauses\b|\binfrastructure\b|\bdata centers?\b"
)
_AN_AUDIT = rx(r"\b(?:audit|audits|an audit)\b(?! logs?| trails?)")
_OWN_DATA = rx(
    r"\b(?:audit|inspect)\w*\s+(?:and \w+\s+)?(?:your|their|its own) (?:personal )?"
    r"(?:data|information|account|activity|usage)"
)


_AUDIT_HINTS = Hints(
    "audit",
    "inspect",
    "soc",
    "iso",
    "certif",
    "questionnaire",
    "report",
    "attest",
    "penetration",
)


def audit_right(us: Sequence[Unit]) -> list[Reading]:
    """on_site when the customer or its auditor may audit or inspect the provider;
    reports when only reports, certifications or questionnaires are given to it."""
    on_site, reports = [], []
    for u in us:
        if u.heading or not u.mentions(_AUDIT_HINTS):
            continue
        # inspecting needs an object of the provider's; an audit is one unless of one's own data
        about_provider = not u.search(_OWN_DATA) and (u.search(_AUDITED) or u.search(_AN_AUDIT))
        for i, pattern in enumerate(_ON_SITE):
            m = u.search(pattern)
            if m and not negated(u.text, m) and (i >= 2 or about_provider):
                on_site.append(Reading("on_site", u.text, u.scope()))
                break
        else:
            if u.search(_REPORTS) and u.search(_PROVIDE):
                reports.append(Reading("reports", u.text, u.scope()))
    return on_site or reports


_AUDIT_NOTICE_HINTS = Hints("audit", "inspect")
_AUDIT = rx(r"\baudit\w*|\binspect\w*")


def audit_notice_days(us: Sequence[Unit]) -> list[Reading]:
    """Days of advance notice the customer gives before an audit."""
    return [
        Reading(a.days, u.text, u.scope())
        for u in us
        if not u.heading and u.mentions(_AUDIT_NOTICE_HINTS) and u.search(_AUDIT)
        for a in notice_periods(u)
    ]


# -- effective date --------------------------------------------------------------------------------

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_MON = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    rf"(?:{_MON}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})"
    rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON.replace('mon>', 'mon2>')},?\s+"
    r"(?P<y2>\d{4})"
    r"|(?P<iso>\d{4}[-/.]\d{1,2}[-/.]\d{1,2})"
    r"|(?P<num>\d{1,2}[/.]\d{1,2}[/.]\d{4}))(?!\d)"
)
_DATED = rx(
    r"\b(?P<label>effective(?: date)?|last (?:updated|modified|revised|changed|amended)|updated"
    r"|modified|revised|published|posted|date of last (?:revision|update)|version date)"
    rf"\s*(?:(?:on|as of|from|:|-|–|—)\s*)*(?:the\s+)?{_DATE}"
)
_PREVIOUS = rx(r"\b(?:previous|prior|archived|earlier|former|old)\b[^.;]{0,30}$")


def _iso(m: re.Match[str]) -> str | None:
    """The matched date as ISO; None for an impossible date or an ambiguous numeric one
    ("03/04/2025": day or month first cannot be told)."""
    if m.group("iso"):
        y, mo, d = (int(x) for x in re.split(r"[-/.]", m.group("iso")))
    elif m.group("num"):
        a, b, y = (int(x) for x in re.split(r"[/.]", m.group("num")))
        if (a > 12) == (b > 12):
            return None
        d, mo = (a, b) if a > 12 else (b, a)
    else:
        mon = (m.group("mon") or m.group("mon2")).lower()[:3]
        y, mo, d = (
            int(m.group("y") or m.group("y2")),
            _MONTHS[mon],
            int(m.group("d") or m.group("d2")),
        )
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError:
        return None


_DATE_HINTS = Hints(
    "effective",
    "updat",
    "modif",
    "revis",
    "chang",
    "amend",
    "version",
    "publish",
    "posted",
)
STAMP_UNITS = 12  # a date label among a document's first sentences is its stamp
STAMP_TAIL = 40  # ... and one that ends its line ("Terms of Use. Last updated: 3 March 2025")


def effective_date(us: Sequence[Unit]) -> list[Reading]:
    """The date the document states as its effective (else last-updated) date.

    A date stamp (in the document's first lines, or ending its line) wins over a date in
    running text; among stamps "effective" wins over "updated"; in running text the other way
    round ("Effective 1 May, the following changes apply" is not the document's date)."""
    found: list[tuple[tuple[bool, bool, int], Reading]] = []
    for i, u in enumerate(us):
        if not u.mentions(_DATE_HINTS) or not u.sentence.digits:  # a date has figures
            continue
        for m in u.finditer(_DATED):
            iso = _iso(m)
            if iso is None or _PREVIOUS.search(u.text[: m.start()]):
                continue
            stamp = i < STAMP_UNITS or len(u.text) - m.end() <= STAMP_TAIL
            effective = m.group("label").lower().startswith("effective")
            found.append(((not stamp, effective != stamp, i), Reading(iso, u.text)))
            break
    return [min(found, key=lambda f: f[0])[1]] if found else []
