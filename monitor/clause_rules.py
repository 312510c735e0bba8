"""The built-in default rules of the clause finder: readable data, no logic.

Each built-in clause key has

* ``phrases``: ``(regex, weight)`` pairs scored against one sentence of a paragraph or
  list item (a table row is one unit). A sentence belongs to the clause when its total score
  (plus heading context, plus ``NEIGHBOUR_BOOST`` when its block scores as a whole, minus
  negative phrases) reaches ``THRESHOLD``; its block's other sentences stay out. Weight 3
  decides on its own, 2 needs a supporting phrase or heading, 1 is a hint; a negative weight
  marks look-alike wording that belongs elsewhere ("Customer retains all rights" is not
  retention).
* ``pull``: regexes on heading text for sections that are *about* the clause
  ("Data retention", "Sub-processors"); the text directly under such a heading (down to the
  next heading of any level) is taken whole when short, and counts as context otherwise.
* ``context``: regexes on heading text for sections where the clause is often found
  ("Customer Content", "Security"); they add ``CONTEXT_BOOST`` to each block's score.

``clause_vocab.py`` holds the shared vocabulary and the negative topics that must not leak
into the built-in clauses (payment, governing law, age limits, export controls, ...).

All patterns are compiled case-insensitively. Written against general legal phrasing,
not against particular documents: the rules must work on documents they have never seen.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import clause_vocab as v

THRESHOLD = 3
CONTEXT_BOOST = 2  # a block under a heading that matches the clause's `pull` or `context`
PARENT_FACTOR = 0.5  # headings above the nearest one count half
NEGATIVE_HEADING_PENALTY = 3
NEIGHBOUR_BOOST = 1  # a sentence of a block that scores as a whole, short of it on its own
MAX_PULL_BLOCKS = 12  # a pulled section longer than this is scored block by block
MAX_PULL_SHARE = 0.25  # ... and so is one holding more than this share of the document
MAX_CLAUSE_SHARE = 0.4  # a clause above this share of a large document keeps strong blocks only
LARGE_DOCUMENT = 6000  # characters; below this a clause may legitimately be most of the text
LEAD_IN_ITEMS = 6  # a matching "...:" lead-in paragraph brings a list this short along whole
# (the items of a longer list are scored with the lead-in as context, like a heading)


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
            (rf"\btrain(?:s|ed|ing)? (?:on|with|using)\b[^.;]{{0,60}}\b{v.DATA}", 3),
            (r"\btraining (?:data|datasets?|purposes)\b", 3),
            (r"\bimprov\w*\b[^.;]{0,30}\b(?:models?|AI|machine learning)\b", 3),
            (
                rf"\b(?:use|uses|using|used)\b[^.;]{{0,60}}\b{v.DATA}\b[^.;]{{0,80}}"
                r"\b(?:develop|improv)\w*",
                2,
            ),
            (r"\bimprov\w* (?:and develop )?(?:our |the )?(?:services?|products?)\b", 2),
            (r"\bopt(?:s|ed)?[- ]?(?:out|in)\b", 2),
            (r"\bdo not train\b|\bnot (?:be )?used to train\b", 3),
            # Training controls: "turn off training", "if training is enabled".
            (
                r"\b(?:turn|switch)(?:s|ed|ing)? (?:off|on)\b[^.;]{0,20}\btraining\b"
                r"|\btraining (?:is |was )?(?:enabled|disabled|turned (?:off|on))\b"
                r"|\b(?:enable|disable)\w* (?:model )?training\b",
                3,
            ),
            # Purpose limitation of the customer's content: "will only use Customer Content to".
            (rf"\b(?:will|shall|may) (?:only|solely) use\b[^.;]{{0,40}}\b{v.DATA}", 3),
            (r"\bfeedback\b", 1),
            # A licence or permission over content whose purpose is improving/developing.
            (
                r"\b(?:licen[cs]e|permission|rights?)\b[^.;]{0,120}\b(?:improv|develop)\w*\b"
                r"[^.;]{0,40}\b(?:services?|products?|models?|technolog\w*)\b",
                3,
            ),
            (
                rf"\bfeedback\b[^.;]{{0,120}}\b(?:along with|together with|associated)"
                r"\b[^.;]{0,40}"
                rf"\b{v.DATA}",
                2,
            ),
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
                r"\b(?:keep|kept|store|stored|hold|held|delete[sd]?|deletion|purged?|preserve[sd]?)\b"
                r"[^.;]{0,80}"
                r"\b(?:\d+|thirty|sixty|ninety|one|two|three|six|twelve)\s*\(?\d*\)?\s*"
                r"(?:days?|weeks?|months?|years?)\b",
                3,
            ),
            (r"\bhow long\b", 2),
            (r"\bdelet(?:e|es|ed|ing|ion)\b|\berase\b|\berasure\b|\bdestr(?:oy|uction)\b", 2),
            (r"\bstor(?:e|es|ed|age)\b|\bkeep\b|\bkept\b", 1),
            (r"\blogs?\b|\bbackups?\b|\barchiv\w+", 1),
            (
                r"\b(?:backups?|logs?|copies|snapshots?)\b[^.;]{0,60}"
                r"\b(?:\d+[- ]?(?:days?|weeks?|months?|years?)\b|overwrit\w*)",
                2,
            ),
            (r"\bas long as\b|\bfor the duration of\b|\bthe duration is\b", 2),
            (r"\bpreserv(?:e|es|ed|ation)\b|\bno longer (?:be )?(?:accessible|available)\b", 2),
            # A period a thing lasts ("for 3 years from collection", "within thirty (30) days").
            (
                r"\b(?:for|within|after|up to|of|until)\b (?:a |an additional |the )?"
                r"(?:\d+|one|two|three|five|six|ten|twelve|thirty|sixty|ninety)\s*(?:\(\d+\)\s*)?"
                r"[- ]?(?:rolling |calendar |business )?(?:days?|weeks?|months?|years?)\b",
                2,
            ),
            # Deleting, erasing, exporting the data itself (not a card, a setting).
            (
                r"\b(?:preserv|delet|eras|destr|purg|remov|export)\w*\b[^.;]{0,40}\b(?:user data"
                r"|personal data|customer data|data|information|content|materials|outputs?|inputs?"
                r"|conversations?|chats?|account)\b",
                1,
            ),
            (r"\bnotice\b|\bnotify\b", -1),
            # Pointers to another policy, a consumer's right to withdraw, the user's own duty
            # to delete licensed material: not how long the provider keeps data.
            (r"\b(?:read|see|refer to|review)\b[^.;]{0,40}\bprivacy (?:policy|notice)", -3),
            (r"\bwithdraw\w* from\b|\bcancel\w*\b|\bcooling[- ]off\b", -2),
            (
                r"\b(?:you|customer|licensee) (?:must|shall|will|agrees? to) (?:permanently )?"
                r"(?:delete|destroy|erase)\b",
                -3,
            ),
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
        context=(r"\bstorage\b", r"\bdata controls?\b", r"\btermination\b", r"\bduration\b"),
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
            (rf"\blicen[cs]e\b[^.;]{{0,80}}\b(?:your|customer|user)\b[^.;]{{0,20}}\b{v.DATA}", 3),
            (rf"\b(?:your|customer|user)\b[^.;]{{0,20}}\b{v.DATA}\b[^.;]{{0,80}}\blicen[cs]e", 2),
            # Broad rights grants: who grants whom a licence, right or permission over content.
            (
                r"\b(?:you|customer|users?)\b[^.;]{0,30}"
                r"\b(?:grants?|gives?|agrees? to give|provides? [^.;]{0,20}\bwith)"
                r"\b[^.;]{0,60}\b(?:licen[cs]e|rights?|permission)\b",
                3,
            ),
            (rf"\b(?:licen[cs]e|rights?|permission)\b[^.;]{{0,80}}\b{v.HANDLING}\b", 3),
            (
                r"\bgrants?\b[^.;]{0,60}\b(?:licen[cs]e|rights?)\b[^.;]{0,60}"
                r"\b(?:content|materials|inputs?|outputs?|customer data)\b",
                3,
            ),
            (
                r"\b(?:IP|intellectual property) rights?\b[^.;]{0,60}"
                r"\b(?:content|inputs?|outputs?)\b",
                3,
            ),
            (
                r"\b(?:content|inputs?|outputs?)\b[^.;]{0,60}"
                r"\b(?:IP|intellectual property) rights?\b",
                3,
            ),
            (r"\bdisclaims?\b[^.;]{0,30}\brights?\b|\breserves? all (?:other )?rights\b(?! to)", 3),
            (r"\b(?:is|are|be) (?:not )?owned by\b|\bownership\b[^.;]{0,30}\b(?:over|of|in)\b", 3),
            (r"\bassign(?:s|ed|ment)?\b[^.;]{0,60}\b(?:outputs?|content|rights?)\b", 3),
            # What counts as an output, and outputs that are not unique to the user.
            (
                r"\b(?:not (?:be )?considered|do(?:es)? not constitute|does not include"
                r"|not be treated as)\b[^.;]{0,40}\boutputs?\b",
                3,
            ),
            (
                r"\b(?:similar|identical)\b[^.;]{0,30}\boutputs?\b|\boutputs?\b[^.;]{0,30}"
                r"\bnot be unique\b",
                3,
            ),
            (r"\boutputs?\b[^.;]{0,120}\blicen[cs]es?\b", 3),
            (r"\blicen[cs]e\b", 1),
            (
                r"\brights? in (?:and to )?(?:the |your |its |customer )?"
                r"(?:inputs?|outputs?|content)",
                3,
            ),
            (r"\b(?:gives?|grants?)\b[^.;]{0,30}\brights? to use\b", 3),
            # Feedback the provider may use freely.
            (r"\bfeedback\b", 1),
            (r"\b(?:use|exploit|act on|incorporat\w*)\b[^.;]{0,60}\bfeedback\b", 1),
            (
                r"\bfeedback\b[^.;]{0,200}"
                r"\b(?:without (?:any )?(?:obligation|compensation|restriction"
                r"|payment)|however (?:we|it) (?:choose|see fit)|in any manner|for any purpose)",
                3,
            ),
            (r"\b(?:may|can) use (?:your|customer(?:'s|’s)?) content\b", 2),
            # Boilerplate that looks like it: assigning the contract, change of control, and
            # restrictions on the user's copying of the services.
            (r"\bassign\w*\b[^.;]{0,60}\b(?:this agreement|these terms|obligations)\b", -4),
            (
                r"\bchange (?:of|in) (?:control|ownership)\b|\bmergers?\b|\bacquisitions?\b"
                r"|\bvoting\b|\bcommon control\b",
                -4,
            ),
            (
                r"\b(?:may not|will not|must not|shall not|won't|don't|do not)\b[^.;]{0,40}"
                r"\b(?:copy|modify|distribute|sell|lease|rent|reverse|decompile)\b",
                -3,
            ),
            # A data subject's rights (access, a copy, erasure, objection) are not ownership.
            (
                r"\bright(?:s)? (?:to|of) (?:request|access|obtain|object|erasure|rectif|restrict"
                r"|data portability|withdraw|lodge)"
                r"|\bexercise (?:the following |your |these )?rights\b",
                -4,
            ),
        ),
        pull=(r"\bownership\b", r"\binputs? and outputs?\b", r"\bpermission to use your content\b"),
        context=(
            r"\bintellectual property\b",
            r"\bIP rights?\b",
            r"\bcontent\b",
            r"\blicen[cs]e\b",
            r"\binputs?\b|\boutputs?\b",
            r"\bfeedback\b",
        ),
    ),
    "audit": ClauseRules(
        phrases=(
            (r"\baudit(?:s|ed|ing|ors?)?\b", 3),
            # The provider auditing its own vendors, and audit as one business purpose in a list.
            (
                r"\b(?:engag\w*|select\w*|onboard\w*)\b[^.;]{0,60}"
                r"\b(?:providers?|vendors?|suppliers?)"
                r"\b[^.;]{0,80}\baudit",
                -5,
            ),
            (
                r",\s*audit(?:s|ing)?\s*,|\bpurposes?,? (?:such as|including)\b[^.;]{0,200}\baudit",
                -4,
            ),
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
            (
                r"\bsub-?contract\w*|"
                r"\bthird[- ]party (?:contractors?|vendors?|providers?|processors?)\b",
                3,
            ),
            (
                rf"\b{v.PROCESSORS}\b[^.;]{{0,60}}\b(?:process|use|access|store|handle|host)\w*\b"
                rf"[^.;]{{0,40}}\b{v.PERSONAL}\b",
                2,
            ),
            (
                r"\b(?:disclose|share|provide|transfer)\w*\b[^.;]{0,80}\b(?:to|with|among)"
                r"\b[^.;]{0,30}\baffiliates?\b",
                2,
            ),
            (r"\b(?:on|based on|per|under) (?:our|its|their) (?:documented )?instructions\b", 2),
            (
                r"\b(?:engag\w+|select\w*|onboard\w*|list\w*|agreements?|contracts?)\b[^.;]{0,40}"
                r"\b(?:providers|vendors|sub-?processors|sub-?contractors|service providers)\b",
                2,
            ),
            (
                r"\b(?:providers|vendors|sub-?contractors|contractors)\b[^.;]{0,40}"
                r"\b(?:listed|list|agreements?|contracts?)\b",
                2,
            ),
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
                rf"\b(?:modify|update|change|amend|revise)\b[^.;]{{0,40}}\b{v.TERMS}",
                3,
            ),
            (
                rf"\b(?:changes?|updates?|modifications?|amendments?|revisions?) (?:to|of) "
                rf"(?:these|this|the|our)\b[^.;]{{0,20}}\b{v.TERMS}",
                3,
            ),
            (rf"\b{v.TERMS}\b[^.;]{{0,40}}\b(?:modified|updated|changed|amended|revised)\b", 2),
            (r"\bcontinu(?:ed|e|es|ing) (?:use|to use|access|to access)\b", 2),
            (r"\beffective (?:date|as of|on|from|immediately|upon)\b", 1),
            (r"\bbecomes? effective\b|\bto be effective\b|\btakes? effect\b", 2),
            (r"\b(?:notify|notice|inform)\b[^.;]{0,60}\b(?:changes?|updates?|modifications?)\b", 2),
            (r"\bmaterial(?:ly)? (?:changes?|adverse)\b", 1),
            (
                rf"\b(?:we|us)\b[^.;]{{0,10}}\b(?:have )?{v.CHANGE_VERB}[sd]?\b[^.;]{{0,30}}"
                rf"\b(?:our|these|this|the)\b[^.;]{{0,30}}\b{v.TERMS}",
                3,
            ),
            (
                rf"\b(?:may|will|can)\b[^.;]{{0,20}}\b{v.CHANGE_VERB}\b[^.;]{{0,60}}"
                r"\bfrom time to time\b",
                3,
            ),
            (
                rf"\b(?:do(?:es)?n[o']?t|not) agree\b[^.;]{{0,30}}\b(?:{v.CHANGE_NOUN}|new|modified"
                r"|revised|amended|updated)\b",
                3,
            ),
            (
                rf"\b{v.CHANGE_NOUN}\b[^.;]{{0,40}}\b(?:going forward|prospectively|retroactive\w*)"
                r"\b",
                3,
            ),
            (rf"\b{v.CHANGE_NOUN}\b[^.;]{{0,80}}\b(?:effective|come into force|apply)\b", 2),
            (rf"\b(?:any|all) {v.CHANGE_NOUN}\b", 2),
            # Changes to a list (of subprocessors, vendors) are not changes of the terms.
            (
                r"\b(?:sub-?processors?|vendors?|providers?) list\b"
                r"|\blist of (?:sub-?processors?|vendors?)",
                -3,
            ),
            (r"\bbound by\b|\bstop using\b", 1),
            (
                r"\b(?:terms|polic(?:y|ies)|agreement) (?:updates?|changes)\b"
                rf"|\b{v.TERMS}\b[^.;]{{0,60}}\bno longer appl",
                3,
            ),
        ),
        pull=(
            rf"\b(?:changes?|updates?|modifications?|amendments?) (?:to|of) (?:these|this|the|our)"
            rf"\b[^.;]{{0,20}}\b{v.TERMS}",
            r"^(?:\S+ )?(?:changes|amendments|modifications)\W*$",
        ),
        context=(r"\bgeneral\b", r"\bmiscellaneous\b", r"\bupdates?\b", r"\babout these terms\b"),
    ),
}
