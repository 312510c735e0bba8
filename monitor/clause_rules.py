"""The built-in default rules of the clause finder: readable data, no logic.

Each built-in clause key has

* ``phrases``: ``(regex, weight)`` pairs scored against one paragraph, list item or table
  row. A block belongs to the clause when its total score (plus heading context, minus
  negative phrases) reaches ``THRESHOLD``. Weight 3 is a phrase that decides on its own,
  2 a phrase that needs a supporting phrase or heading, 1 a hint; a negative weight marks
  look-alike wording that belongs elsewhere ("Customer retains all rights" is not retention).
* ``pull``: regexes on heading text for sections that are *about* the clause
  ("Data retention", "Sub-processors"); the text directly under such a heading (down to the
  next heading of any level) is taken whole when short, and counts as context otherwise.
* ``context``: regexes on heading text for sections where the clause is often found
  ("Customer Content", "Security"); they add ``CONTEXT_BOOST`` to each block's score.

``NEGATIVE_PHRASES`` and ``NEGATIVE_HEADINGS`` mark topics that must not leak into the
built-in clauses (payment, governing law, age limits, export controls, indemnity, ...).

All patterns are compiled case-insensitively. Written against general legal phrasing,
not against particular documents: the rules must work on documents they have never seen.
"""

from __future__ import annotations

from dataclasses import dataclass

THRESHOLD = 3
CONTEXT_BOOST = 2  # a block under a heading that matches the clause's `pull` or `context`
PARENT_FACTOR = 0.5  # headings above the nearest one count half
NEGATIVE_HEADING_PENALTY = 3
MAX_PULL_BLOCKS = 12  # a pulled section longer than this is scored block by block
MAX_PULL_SHARE = 0.25  # ... and so is one holding more than this share of the document
MAX_CLAUSE_SHARE = 0.4  # a clause above this share of a large document keeps strong blocks only
LARGE_DOCUMENT = 6000  # characters; below this a clause may legitimately be most of the text
LEAD_IN_ITEMS = 6  # a matching "...:" lead-in paragraph brings a list this short along whole
# (the items of a longer list are scored with the lead-in as context, like a heading)

_DATA = r"(?:content|data|inputs?|outputs?|prompts?|conversations?|chats?|feedback|information)"
_TERMS = r"(?:terms|agreement|polic(?:y|ies)|addendum|dpa|notice|conditions)"


@dataclass(frozen=True)
class ClauseRules:
    phrases: tuple[tuple[str, int], ...]
    pull: tuple[str, ...] = ()
    context: tuple[str, ...] = ()


DEFAULT_RULES: dict[str, ClauseRules] = {
    "training": ClauseRules(
        phrases=(
            (r"\btrain(?:s|ed|ing)?\b[^.;]{0,80}\b(?:models?|AI|artificial intelligence)\b", 3),
            (r"\b(?:models?|AI)\b[^.;]{0,40}\btrain(?:s|ed|ing)?\b", 3),
            (rf"\btrain(?:s|ed|ing)? (?:on|with|using)\b[^.;]{{0,60}}\b{_DATA}", 3),
            (r"\btraining (?:data|datasets?|purposes)\b", 3),
            (r"\bimprov\w*\b[^.;]{0,30}\b(?:models?|AI|machine learning)\b", 3),
            (
                rf"\b(?:use|uses|using|used)\b[^.;]{{0,60}}\b{_DATA}\b[^.;]{{0,80}}"
                r"\b(?:develop|improv)\w*",
                2,
            ),
            (r"\bimprov\w* (?:and develop )?(?:our |the )?(?:services?|products?)\b", 2),
            (r"\bopt(?:s|ed)?[- ]?(?:out|in)\b", 2),
            (r"\bdo not train\b|\bnot (?:be )?used to train\b", 3),
            (r"\bfeedback\b", 1),
            # Customers' own model building (competing models, distillation): not our training.
            (r"\bcompet\w+|\bdistill\w*|\bscrap(?:e|es|ed|ing)\b|\breverse engineer", -6),
        ),
        pull=(r"\btrain", r"\bmodel (?:improvement|performance|development)"),
        context=(
            r"\b(?:customer|your|user) (?:content|data)\b",
            r"\bhow we use\b",
            r"\buses? of (?:personal )?(?:data|information|content)\b",
            r"\bfeedback\b",
        ),
    ),
    "retention": ClauseRules(
        phrases=(
            (r"\bretain(?:s|ed|ing)?\b|\bretention\b", 3),
            (r"\bzero[- ]data[- ]retention\b|\bZDR\b", 3),
            (
                r"\b(?:keep|kept|store|stored|hold|held|delete[sd]?|deletion|purged?)\b[^.;]{0,80}"
                r"\b(?:\d+|thirty|sixty|ninety|one|two|three|six|twelve)\s*\(?\d*\)?\s*"
                r"(?:days?|weeks?|months?|years?)\b",
                3,
            ),
            (r"\bhow long\b", 2),
            (r"\bdelet(?:e|es|ed|ing|ion)\b|\berase\b|\berasure\b|\bdestr(?:oy|uction)\b", 2),
            (r"\bstor(?:e|es|ed|age)\b|\bkeep\b|\bkept\b", 1),
            (r"\blogs?\b|\bbackups?\b|\barchiv\w+", 1),
            (r"\bas long as (?:necessary|needed|reasonably)\b", 2),
            # "Customer retains all rights in Input" is ownership; "retain, use or disclose" is
            # the CCPA service-provider formula; breach definitions list "destruction".
            (
                r"\bretains? (?:all |any |its |their |your |our )?(?:\w+ )?(?:\w+ )?"
                r"(?:ownership|rights?|title|intellectual property)\b",
                -4,
            ),
            (r"\b(?:sell|retain)\w*,? us\w*,? (?:or |and )?disclos\w*", -3),
            (r"\bunauthori[sz]ed\b|\baccidental\b", -1),
        ),
        pull=(
            r"\bretention\b",
            r"\bretain",
            r"\bhow long\b",
            r"\bdeletion\b",
            r"\b(?:return|destruction) (?:and|or) (?:return|destruction|deletion)\b",
            r"\bdata lifecycle\b",
        ),
        context=(r"\bstorage\b", r"\bdata controls?\b", r"\btermination\b"),
    ),
    "ownership": ClauseRules(
        phrases=(
            (r"\byou own\b|\b(?:customer|user) owns\b|\bowns? all\b", 3),
            (r"\bas between (?:you|customer|the parties)\b", 3),
            (r"\bassigns? to (?:you|customer)\b[^.;]{0,40}\bright", 3),
            (r"\bright,? title,? and interest\b", 3),
            (
                r"\bretains? (?:all |any |its |their |your )?(?:\w+ ){0,2}"
                r"(?:ownership|rights?|title)\b",
                3,
            ),
            (r"\bremains? (?:yours|your property|the property of)\b", 3),
            (r"\b(?:does|do|will|shall) not (?:claim )?own(?:ership)?\b", 3),
            (r"\bowns? (?:all|any|the) (?:rights?|outputs?|inputs?|content|data)\b", 3),
            (r"\bownership\b|\b(?:you|customer|user|we|provider)s? own(?:s|ed)?\b", 2),
            (rf"\blicen[cs]e\b[^.;]{{0,80}}\b(?:your|customer|user)\b[^.;]{{0,20}}\b{_DATA}", 3),
            (rf"\b(?:your|customer|user)\b[^.;]{{0,20}}\b{_DATA}\b[^.;]{{0,80}}\blicen[cs]e", 2),
        ),
        pull=(r"\bownership\b", r"\binputs? and outputs?\b", r"\bpermission to use your content\b"),
        context=(
            r"\bintellectual property\b",
            r"\bIP rights?\b",
            r"\bcontent\b",
            r"\blicen[cs]e\b",
            r"\binputs?\b|\boutputs?\b",
        ),
    ),
    "audit": ClauseRules(
        phrases=(
            (r"\baudit(?:s|ed|ing|ors?)?\b", 3),
            (r"\bSOC ?[123]\b|\bISO(?:/IEC)? ?27\d{3}\b|\bCSA STAR\b", 3),
            (r"\binspect(?:ion|ions|s)?\b", 2),
            (r"\bcertifications?\b|\bcertified\b|\battestations?\b", 1),
            (r"\bthird[- ]party (?:assessments?|reports?|assessors?)\b", 2),
            (r"\bpenetration test\w*", 1),
            (r"\bdemonstrate compliance\b", 2),
            # Audit logs and auditors as recipients of data are not audit rights.
            (r"\baudit\w*\b(?: or event)?[^.;]{0,12}\b(?:logs?|logging|records?|trails?)\b", -4),
            (r"\b(?:accountants?|lawyers|attorneys|bailiffs|legal counsel|advisors?)\b", -3),
        ),
        pull=(r"\baudit", r"\binspection", r"\bcertification"),
        context=(r"\bcompliance\b", r"\bsecurity\b"),
    ),
    "subprocessors": ClauseRules(
        phrases=(
            (r"\bsub-?processors?\b|\bsub-?process(?:ing|ed)\b", 3),
            (r"\bthird[- ]part(?:y|ies)\b[^.;]{0,60}\bprocess\w*", 2),
            (r"\bprocess\w*\b[^.;]{0,60}\bthird[- ]part(?:y|ies)\b", 2),
            (r"\b(?:vendors?|service providers?|suppliers?|contractors?)\b", 2),
            (
                r"\b(?:disclose|share|provide|transfer)\w*\b[^.;]{0,60}\b(?:to|with)\b[^.;]{0,30}"
                r"\b(?:vendors?|service providers?)\b",
                2,
            ),
            (r"\bon (?:our|its) behalf\b", 1),
            (r"\bobject(?:ion)? to\b", 1),
        ),
        pull=(r"\bsub-?process",),
        context=(
            r"\bthird[- ]part",
            r"\bshar(?:e|ing)\b",
            r"\bdisclos",
            r"\brecipients?\b",
            r"\bvendors?\b",
        ),
    ),
    "changes": ClauseRules(
        phrases=(
            (
                # any provider as subject ("We", "Microsoft", "the Company") but not "you"
                r"(?<!\byou )(?<!\bcustomer )"
                rf"\b(?:may|will|can|reserves? the right to)\b[^.;]{{0,20}}"
                rf"\b(?:modify|update|change|amend|revise)\b[^.;]{{0,40}}\b{_TERMS}",
                3,
            ),
            (
                rf"\b(?:changes?|updates?|modifications?|amendments?|revisions?) (?:to|of) "
                rf"(?:these|this|the|our)\b[^.;]{{0,20}}\b{_TERMS}",
                3,
            ),
            (rf"\b{_TERMS}\b[^.;]{{0,40}}\b(?:modified|updated|changed|amended|revised)\b", 2),
            (r"\bcontinu(?:ed|e|es|ing) (?:use|to use|access|to access)\b", 2),
            (r"\beffective (?:date|as of|on|from|immediately)\b", 1),
            (r"\bbecomes? effective\b|\bto be effective\b|\btakes? effect\b", 2),
            (r"\b(?:notify|notice|inform)\b[^.;]{0,60}\b(?:changes?|updates?|modifications?)\b", 2),
            (r"\bmaterial(?:ly)? (?:changes?|adverse)\b", 1),
        ),
        pull=(
            rf"\b(?:changes?|updates?|modifications?|amendments?) (?:to|of) (?:these|this|the|our)"
            rf"\b[^.;]{{0,20}}\b{_TERMS}",
            r"^(?:\S+ )?(?:changes|amendments|modifications)\W*$",
        ),
        context=(r"\bgeneral\b", r"\bmiscellaneous\b", r"\bupdates?\b", r"\babout these terms\b"),
    ),
}

NEGATIVE_PHRASES: tuple[tuple[str, int], ...] = (
    (r"\bfees?\b|\binvoice\w*|\bpayments?\b|\bbilling\b|\btaxes\b|\brefunds?\b|\bprices?\b", 2),
    (r"\bgoverning law\b|\bgoverned by the laws?\b|\bjurisdiction\b|\bcourts? of\b", 3),
    (r"\barbitration\b|\bclass action\b", 3),
    (r"\bindemnif\w*|\bhold harmless\b", 3),
    (r"\bexport control\w*|\bsanctions?\b|\bembargo\w*", 3),
    (r"\b(?:at least|under(?: the age of)?|older than|younger than) \d{2}\b|\bminimum age\b", 3),
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
