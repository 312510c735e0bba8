"""Shared vocabulary of the clause rules (``clause_rules.py``) and the negative topics that
must not leak into any built-in clause. Readable data, no logic; general legal phrasing.

``NEGATIVE_PHRASES`` (``(regex, weight)``, subtracted from a sentence's score) and
``NEGATIVE_HEADINGS`` (a section heading that lowers the score of what is under it) mark
payment, governing law, disputes, indemnity, export controls, age limits, warranties,
security breaches and suspension.
"""

from __future__ import annotations

DATA = r"(?:content|data|inputs?|outputs?|prompts?|conversations?|chats?|feedback|information)"
TERMS = r"(?:terms|agreement|polic(?:y|ies)|addendum|dpa|notice|conditions|rules|guidelines)"
CHANGE_VERB = r"(?:modify|update|change|amend|revise)"
CHANGE_NOUN = r"(?:changes?|updates?|modifications?|amendments?|revisions?)"
# Who may process data on the provider's behalf, by any of its names.
PROCESSORS = (
    r"(?:sub-?processors?|sub-?contractors?|contractors?|vendors?|suppliers?|service providers?"
    r"|providers|affiliates?|third[- ]part(?:y|ies)|(?:these|such) parties)"
)
PERSONAL = r"(?:personal (?:data|information)|customer data|(?:your|user) data|data)"
# What a licence over content lets its holder do with it.
HANDLING = (
    r"(?:host|reproduce|distribute|modify|display|perform|publish|translate|sublicen[cs]e|copy"
    r"|store|remix|adapt|create derivative)"
)


NEGATIVE_PHRASES: tuple[tuple[str, int], ...] = (
    (
        r"\bfees?\b|\binvoice\w*|\bpayments?\b|\bbilling\b|\btaxes\b|\brefunds?\b|\bprices?\b"
        r"|\bcharges\b",
        2,
    ),
    (r"\bgoverning law\b|\bgoverned by the laws?\b|\bjurisdiction\b|\bcourts? of\b", 3),
    (r"\barbitration\b|\bclass action\b", 3),
    (r"\bindemnif\w*|\bhold harmless\b", 3),
    (
        r"\bexport control\w*|\bsanctions?\b|\bembargo\w*|\btrade laws?\b"
        r"|\bgovernment licen[cs]e\b",
        3,
    ),
    # Security breaches and incidents, suspension for violations.
    (r"\b(?:security|data) breach\w*|\bbreach of security\b|\bsecurity incidents?\b", 1),
    (r"\bsuspend\w*\b|\bmaterially breach\w*|\bbreach(?:es)? (?:these|this|the) terms\b", 2),
    (
        r"\b(?:at least|under(?: the age of)?|older than|younger than) \d{2}\b(?! ?(?:\(|-|days?"
        r"|business|calendar|weeks?|months?|hours?|%))|\bminimum age\b",
        3,
    ),
    (r"\bLIMITATION OF LIABILITY\b|\bDISCLAIM\w*|\bWARRANT(?:Y|IES)\b", 2),
)

NEGATIVE_HEADINGS: tuple[str, ...] = (
    r"\bfees?\b|\bpayments?\b|\bbilling\b|\bsubscriptions?\b|\bpricing\b|\btaxes\b",
    r"\bgoverning law\b|\bdisputes?\b|\barbitration\b|\bjurisdiction\b",
    r"\bindemnif",
    r"\bexport\b|\bsanctions?\b",
    r"\bage requirements?\b|\bchildren\b|\bminors?\b",
    r"\bwarrant|\bdisclaimer|\bliabilit",
    r"\bconfidentiality\b|\bpublicity\b",
    r"\bcopyright complaints?\b|\btrademarks?\b",
)
