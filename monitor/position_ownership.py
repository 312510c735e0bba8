"""Readers of ``input_ownership`` and ``output_ownership``. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .position_sentences import Hints, Rule
from .position_units import APOS, NEG, PARTY, Reading, Unit, negated, rx

# -- ownership -------------------------------------------------------------------------------------

# "content you generate", "Assets you create with the Services": outputs, not inputs
_MADE = (
    r"\s+(?:that\s+|which\s+)?(?:you|users?|customers?)\s+(?:generate[sd]?\b"
    r"|(?:create|produce|make)[sd]?\s+(?:\w+\s+)?(?:with|using|through|via)\b)"
)
_INPUT = (
    rf"(?:inputs?|prompts?|(?:content|materials?)(?!{_MADE})|customer data|customer content"
    r"|user content|submissions|your data)"
)
_OUTPUT = (
    r"(?:outputs?|generated (?:content|outputs?|materials?|text|images?)|completions?"
    rf"|(?:content|assets?|images?|materials?|works?|media){_MADE})"
)
_CONJ = r"(?:(?:[\w-]+,?\s+){1,3}(?:(?:and|&)\s+)?(?:all |any |the |its |their |your )?)?"
_PROVIDER_SUBJECT = re.compile(
    rf"\b(?:[Ww]e|us)\b\s*(?:\w+\s*)?$|\b(?!(?i:{PARTY})\b)[A-Z][\w&.-]+(?: AI)?\s+(?:hereby\s+)?$"
)
_PARTY_RX = rx(rf"\b{PARTY}\b")
_PROVIDER_RX = re.compile(r"\b(?:[Ww]e|us)\b")
_DET = r"(?: all| any| the| its| their| your| such)*"
_RIGHTS = (
    r"(?:all |any |its |their |your )*"
    r"(?:ownership|rights?|right, title,? and interest|title|intellectual property)"
)


def _owns(obj: str) -> tuple[Rule, ...]:
    return (
        rx(rf"\b(?P<verb>owns?)\b{_DET}\s+{_CONJ}{obj}\b"),
        rx(rf"\b(?P<verb>is|are|shall be|will be|remains?) the (?:sole |exclusive )?owners? of"
           rf"{_DET}\s+{obj}\b"),
        rx(rf"\b(?P<verb>retains?|keeps?|holds?|maintains?|owns?)\b[^.;]{{0,10}}{_RIGHTS}\b"
           rf"[^.;]{{0,50}}?\b(?:in|to|of|over)\b(?: and to)?{_DET}\s+{obj}\b"),
    )  # fmt: skip


def _remains_yours(obj: str) -> Rule:
    """Your content remains yours / Customer's property; rights in Output vest in (pass to)
    Customer."""
    return rx(
        rf"\b{obj}\b[^.;]{{0,40}}\b(?:remains?|is|are|shall remain|will remain|stays?)\s+"
        r"(?:\w+\s+)?(?:yours|your (?:property|own)|the (?:sole |exclusive )?property of "
        rf"(?:you|customers?)|owned by (?:you|customers?)"
        rf"|(?:customer|user){APOS}s (?:sole |exclusive )?property)\b"
        rf"|\b{obj}\b[^.;]{{0,60}}\b(?:shall |will )?(?:vests?|remains? vested|pass(?:es)?"
        r"|transfers?) (?:solely )?(?:in|to) (?:you|customers?|users?|the customer)\b"
    )


# Made at import, as every rule of the readers is (a sentence is tested for them all at once).
_OWNS = {obj: _owns(obj) for obj in (_INPUT, _OUTPUT)}
_YOURS = {obj: _remains_yours(obj) for obj in (_INPUT, _OUTPUT)}
_CLAIM = rx(
    rf"(?:\bnot|\bnever|n{APOS}t)\s+(?:\w+\s+)?(?:claim|assert|take) (?:any )?(?:ownership|title)"
    r"(?: rights?)? (?:of|in|over|to)\s+"
    r"(?P<o>[^.;]{0,40})"
)
_ANAPHOR = rx(r"^(?:that|such|this|the) (?:content|material)|^(?:it|them)\b")
_GENERATED = rx(r"\bgenerat\w+|\bcreat\w+ (?:with|using)")


def _customer_owns(u: Unit, obj: str) -> bool:
    """``u`` says the customer owns (retains rights in) ``obj``, not negated."""
    text = u.text
    for pattern in _OWNS[obj]:
        for m in u.finditer(pattern):
            prefix = text[: m.start("verb")]
            if NEG.search(text[max(0, m.start("verb") - 25) : m.end()]):
                continue
            party = [p.end() for p in _PARTY_RX.finditer(prefix)]
            ours = [p.end() for p in _PROVIDER_RX.finditer(prefix)]
            if (
                party
                and (not ours or party[-1] > ours[-1])
                and not _PROVIDER_SUBJECT.search(prefix)
            ):
                return True
    yours = u.search(_YOURS[obj])
    return bool(yours and not NEG.search(yours.group(0)))


def _claims(u: Unit) -> str | None:
    """input / output when the provider says it does not claim ownership of it."""
    m = u.search(_CLAIM)
    if not m:
        return None
    obj = m.group("o")
    if re.search(rf"\b{_OUTPUT}\b", obj, re.I):
        return "output"
    if _ANAPHOR.search(obj):
        return "output" if _GENERATED.search(u.previous) else "input"
    return "input" if re.search(rf"\b{_INPUT}\b", obj, re.I) else None


_OWNERSHIP_HINTS = Hints(
    " own", "owns", "owned", "owner", "retain", "claim", "assign", "vest", "property", "title",
    "yours",
)  # fmt: skip


def input_ownership(us: Sequence[Unit]) -> list[Reading]:
    """customer when the customer or user owns (retains rights in) its inputs/content."""
    return [
        Reading("customer", u.text, u.scope())
        for u in us
        if not u.heading
        and u.mentions(_OWNERSHIP_HINTS)
        and (_customer_owns(u, _INPUT) or _claims(u) == "input")
    ]


_ASSIGNS = rx(
    rf"\bassigns?\b[^.;]{{0,20}}\bto (?:you|customers?|the customer|users?)\b"
    rf"[^.;]{{0,100}}?\b{_OUTPUT}\b"
    rf"|\b{_OUTPUT}\b[^.;]{{0,40}}\b(?:is|are|shall be|will be|hereby)\s+(?:\w+\s+)?assigned to "
    r"(?:you|customers?|the customer|users?)\b"
)
_WE_OWN = re.compile(  # the provider as subject: "we", "The Company", "Acme AI" (not a party)
    rf"(?:\b[Ww]e|(?:\b[Tt]he )?\b(?!(?i:{PARTY})\b)[A-Z][\w&.-]+(?: AI)?)\s+(?:\w+\s+)?"
    rf"(?i:(?:owns?\b{_DET}|retains?\b[^.;]{{0,10}}{_RIGHTS}\b[^.;]{{0,50}}?\b(?:in|to|of)\b"
    rf"(?: and to)?{_DET})\s+{_CONJ}{_OUTPUT})\b"
)
# Every match of _WE_OWN holds one of these words, after a space; the prefilter of a rule
# cannot tell it (its literals are under a scoped flag), so the sentence is tested for it.
_OWN_VERB = rx(r"\b(?:owns?|retains?)\b")
_OWNED_BY_US = rx(
    rf"\b{_OUTPUT}\b[^.;]{{0,40}}\b(?:belongs? to|(?:is|are) owned by|(?:is|are|remains?) "
    r"the (?:sole |exclusive )?property of) (?:us|we)\b"
)


def _provider_owns(u: Unit) -> bool:
    """The provider says it owns the outputs ("we own", "belongs to us"), not negated."""
    if u.search(_OWN_VERB) and (m := u.search(_WE_OWN)) and not negated(u.text, m):
        return True
    m = u.search(_OWNED_BY_US)
    return bool(m and not negated(u.text, m))


def output_ownership(us: Sequence[Unit]) -> list[Reading]:
    """customer when the customer owns outputs (or is assigned them), provider when the
    provider owns them; the customer's reading wins when both are stated."""
    customer, provider = [], []
    for u in us:
        if u.heading or not u.mentions(_OWNERSHIP_HINTS):
            continue
        m = u.search(_ASSIGNS)
        if _customer_owns(u, _OUTPUT) or (m and not negated(u.text, m)) or _claims(u) == "output":
            customer.append(Reading("customer", u.text, u.scope()))
        elif _provider_owns(u):
            provider.append(Reading("provider", u.text, u.scope()))
    return customer or provider
