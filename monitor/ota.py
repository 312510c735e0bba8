"""Open Terms Archive service declarations → sources.toml documents. Pure: no I/O.

A declaration (``ChatGPT.json``) names a service and its documents by *terms type*::

    {"name": "ChatGPT", "documents": {"Terms of Service": {
        "fetch": "https://openai.com/policies/terms-of-use",
        "select": "main" | ["#terms", {"startBefore": "#a", "endBefore": "#b"}],
        "remove": ..., "filter": ["removeLinks"], "executeClientScripts": true}}}

Each terms type becomes one document of the provider named after the file; the tier is
set where the type's words say it (``Business Privacy Policy`` → business, ``Developer
Terms`` → api), left out otherwise. What sources.toml cannot express is reported per
document: range selectors (dropped; a region made only of ranges is not imported),
client scripts (tos-monitor runs none), named JavaScript filters, combined pages.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import soupsieve

from .urls import normalise_url, url_problem

# words of a terms type that say who it is for (checked in this order)
TIER_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("api", ("developer", "api")),
    (
        "business",
        (
            "business",
            "commercial",
            "enterprise",
            "seller",
            "partner",
            "data processor",
            "data processing",
            "service level",
        ),
    ),
)
RANGE_KEYS = ("startBefore", "startAfter", "endBefore", "endAfter")


class DeclarationError(ValueError):
    """The data is not an Open Terms Archive service declaration; says what is wrong."""


@dataclass(frozen=True)
class Imported:
    """One terms type, as a sources.toml document (with what could not be expressed)."""

    provider: str
    document: str
    name: str
    url: str
    select: tuple[str, ...]
    remove: tuple[str, ...] = ()
    tier: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Skipped:
    """A terms type that was not imported, and why."""

    provider: str
    document: str
    reason: str


@dataclass(frozen=True)
class Declaration:
    """A service declaration read: its provider and its documents, imported or skipped."""

    provider: str
    name: str
    documents: tuple[Imported, ...]
    skipped: tuple[Skipped, ...] = ()


def slug(text: str, fallback: str) -> str:
    """An id sources.toml accepts: lower case ASCII letters, digits and ``-``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    made = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return made or fallback


def tier_of(terms_type: str) -> str | None:
    """The tier a terms type's words name (``Business Privacy Policy`` → business)."""
    words = " ".join(re.findall(r"[a-z]+", terms_type.lower()))
    for tier, family in TIER_WORDS:
        if any(re.search(rf"\b{re.escape(w)}\b", words) for w in family):
            return tier
    return None


def read_declaration(stem: str, data: object) -> Declaration:
    """The provider (id from the file name ``stem``) and documents of one declaration."""
    if not isinstance(data, Mapping):
        raise DeclarationError("expected a JSON object with `name` and `documents`")
    documents = data.get("documents")
    if not isinstance(documents, Mapping) or not documents:
        raise DeclarationError("`documents` must be an object of terms types")
    name = data.get("name")
    provider = slug(stem, "provider")
    imported: list[Imported] = []
    skipped: list[Skipped] = []
    seen: dict[str, str] = {}
    for n, (terms_type, spec) in enumerate(documents.items(), 1):
        doc = read_document(provider, str(terms_type), spec, n)
        if isinstance(doc, Imported) and (first := seen.get(normalise_url(doc.url))):
            doc = Skipped(provider, doc.document, f"same URL as {provider}/{first}")
        if isinstance(doc, Imported):
            seen[normalise_url(doc.url)] = doc.document
            imported.append(doc)
        else:
            skipped.append(doc)
    shown = name.strip() if isinstance(name, str) and name.strip() else stem
    return Declaration(provider, shown, tuple(imported), tuple(skipped))


def read_document(provider: str, terms_type: str, spec: object, n: int) -> Imported | Skipped:
    """One terms type of a declaration, imported or skipped with the reason."""
    document = slug(terms_type, f"document-{n}")
    if not isinstance(spec, Mapping):
        return Skipped(provider, document, "its declaration is not an object")
    if "combine" in spec:
        return Skipped(
            provider, document, "it combines several pages (`combine`): declare each page"
        )
    url = spec.get("fetch")
    problem = url_problem(url) if isinstance(url, str) else "`fetch` (the URL) is missing"
    if problem is not None or not isinstance(url, str):
        return Skipped(provider, document, problem or "`fetch` is not a URL")
    notes: list[str] = []
    select = _selectors(spec.get("select"), "select", notes)
    remove = _selectors(spec.get("remove"), "remove", notes)
    if not select:
        return Skipped(
            provider,
            document,
            "its region has no CSS selector sources.toml can use"
            + (f" ({'; '.join(notes)})" if notes else "")
            + ": add the document with `select` by hand",
        )
    if spec.get("executeClientScripts"):
        notes.append(
            "the page needs client scripts (executeClientScripts): tos-monitor runs none, "
            "so check that `tosmon check` finds the text"
        )
    filters = spec.get("filter")
    if filters:
        names = ", ".join(map(str, filters)) if isinstance(filters, list) else str(filters)
        notes.append(
            f"JavaScript filters not applied ({names}): use `ignore` patterns if they "
            "removed changing text"
        )
    return Imported(
        provider, document, terms_type, url, select, remove, tier_of(terms_type), tuple(notes)
    )


def _selectors(value: object, key: str, notes: list[str]) -> tuple[str, ...]:
    """The CSS selectors of ``select``/``remove`` (a string, a range, or a list of them);
    a range or an invalid entry is dropped with a note."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    kept: list[str] = []
    for item in items:
        if isinstance(item, str) and item.strip():
            try:
                soupsieve.compile(item)
            except Exception as exc:  # soupsieve raises several types for bad syntax
                first = str(exc).splitlines()[0]
                notes.append(f"`{key}` {item!r} dropped: not a CSS selector here ({first})")
                continue
            kept.append(item)
        elif isinstance(item, Mapping) and any(k in item for k in RANGE_KEYS):
            notes.append(
                f"`{key}` range {describe_range(item)} dropped: ranges cannot be expressed"
            )
        else:
            notes.append(f"`{key}` entry {json.dumps(item)[:80]} dropped: not a CSS selector")
    return tuple(kept)


def describe_range(spec: Mapping[str, object]) -> str:
    """``from before '#a' to before '#b'`` for a range selector."""
    parts = [
        f"{'from' if key.startswith('start') else 'to'} "
        f"{'before' if key.endswith('Before') else 'after'} {str(spec[key])!r}"
        for key in RANGE_KEYS
        if key in spec
    ]
    return " ".join(parts)


# -- TOML ---------------------------------------------------------------------------------


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string: quotes, backslashes and every control character
    escaped (DEL too), a lone surrogate replaced."""
    safe = text.encode("utf-8", "replace").decode("utf-8")
    quoted = json.dumps(safe, ensure_ascii=False)
    return re.sub(r"[\x7f-\x9f\u2028\u2029]", lambda m: f"\\u{ord(m.group()):04x}", quoted)


def toml_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(toml_string(i) for i in items) + "]"


def to_toml(
    declarations: Iterable[tuple[str, Declaration]], known_providers: Iterable[str] = ()
) -> str:
    """sources.toml text for the imported documents, one block per declaration (``source``
    is the file it came from); a provider table is written unless already ``known``."""
    known = set(known_providers)
    blocks: list[str] = []
    for source, decl in declarations:
        if not decl.documents:
            continue
        lines = [f"# Imported from the Open Terms Archive declaration {source}"]
        if decl.provider not in known:
            lines += [f"[providers.{decl.provider}]", f"name = {toml_string(decl.name)}", ""]
            known.add(decl.provider)
        for doc in decl.documents:
            lines += _document_lines(doc)
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _document_lines(doc: Imported) -> list[str]:
    lines = [f"[providers.{doc.provider}.documents.{doc.document}]"]
    lines += [f"name = {toml_string(doc.name)}", f"url = {toml_string(doc.url)}"]
    if doc.tier:
        lines.append(f"tier = {toml_string(doc.tier)}")
    lines.append(f"select = {toml_list(doc.select)}")
    if doc.remove:
        lines.append(f"remove = {toml_list(doc.remove)}")
    lines += [f"# {_comment(note)}" for note in doc.notes]
    return [*lines, ""]


def _comment(text: str) -> str:
    """One line of TOML comment: no line break or control character."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", text)
