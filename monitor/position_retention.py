"""Readers of ``retention_days`` and ``zero_data_retention``. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .facts import NUMBER_WORDS, Amount
from .position_sentences import Hints
from .position_units import APOS, CONTENT, Reading, Unit, presence_rx, rx

# -- retention ------------------------------------------------------------------------------------

_KEEP = rx(
    r"\b(?:retain\w*|retention|keep|keeps|kept|stor(?:e|es|ed|age)|preserv\w+|delet\w+|eras\w+"
    r"|destr(?:oy|oys|oyed|uction)|purg\w+|remov(?:e|es|ed|al) (?:from|within|after)|anonymi[sz]\w+"
    r"|dispos(?:e|es|ed|al) of|expung\w+|saved|held|archiv\w+|overwrit\w+"
    r"|maintain(?:s|ed)? (?:\w+ )?(?:records|logs|backups|copies)"
    r"|no longer (?:be )?(?:accessible|available|stored|retained))"
)
_KEPT = presence_rx(
    rf"\b(?:{CONTENT}|data|information|logs?|backups?|records?|copies|accounts?|history)\b"
)
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


_NUMBER_HINTS = Hints(*sorted(NUMBER_WORDS))
_ZDR_HINTS = Hints("zero", "zdr")


def _has_number(u: Unit) -> bool:
    return u.sentence.digits or u.mentions(_NUMBER_HINTS)


def _periods(u: Unit) -> list[Amount]:
    """Periods of ``u``'s sentence that are not notices, ages or frequencies."""
    out = []
    text = u.text
    for a in u.amounts():
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
        if u.heading or not _has_number(u) or u.search(_NOT_RETENTION):
            continue
        keeps = u.search(_KEEP) or _KEEP.search(u.follow)
        heading = _RETENTION_HEADING.search(u.context)
        if not (keeps and (u.search(_KEPT) or _KEPT.search(u.follow)) or heading):
            continue
        for a in _periods(u):
            found.append(Reading(a.days, u.text, u.scope()))
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
        if not u.mentions(_ZDR_HINTS):
            continue
        for m in u.finditer(_ZDR):
            before, after = u.text[: m.start()], u.text[m.end() :]
            if not (_ZDR_REFUSED_BEFORE.search(before) or _ZDR_REFUSED_AFTER.search(after)):
                found.append(Reading(True, u.text, u.scope()))
                break
    return found
