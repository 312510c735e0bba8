"""Change detection between two normalized texts. Pure: no I/O.

Three granularities, coarse to fine, so that 100 KB documents diff fast:

* ``classify`` compares the *word sequences* of two texts: a change that leaves every
  word in place (whitespace, punctuation, curly vs straight quotes, dashes, letter case,
  block markers and line re-wrapping) is ``cosmetic`` and never alerted on.
* ``diff_sentences`` matches lines first, then sentences inside the changed line runs, and
  compares words only within the removed/added sentence pairs it calls *modified*.
* ``unified`` is the classic line diff shown by ``tosmon diff``.

Every comparison keys on ``words`` so that cosmetic noise never shows up as a change.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from . import align

ChangeKind = Literal["cosmetic", "substantive"]
OpTag = Literal["equal", "insert", "delete"]
WordOp = tuple[OpTag, str]

MODIFIED_RATIO = 0.5  # word-level difflib ratio from which a removed/added pair is "modified"
REWRITE_RATIO = 0.3  # ... when a run replaces as many sentences as it removes (in place)
PAIR_WINDOW = 40  # in large changed runs, only sentences this close in position are paired
LARGE_RUN = 2500  # removed x added sentence pairs above which the window applies


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORD = re.compile(r"[^\W_]+")
_MARKER = re.compile(r"^\s*(?:#{1,6}\s+|-\s+)")
# A sentence may end at . ! or ? (plus closing quotes/brackets) followed by whitespace and
# something that can start a sentence: a capital, a digit, an opening quote or bracket.
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
# Words that end with a period without ending the sentence ("e.g. OpenAI", "Inc. The").
ABBREVIATIONS = _names(
    "e.g i.e cf vs v viz al approx inc ltd llc co corp plc pbc gmbh sas bv nv sec secs art "
    "arts para paras cl ch fig vol ed eds mr mrs ms dr prof st jr sr dept est jan feb mar "
    "apr jun jul aug sep sept oct nov dec"
)

# Words that, after an initialism ("in the U.S. We ..."), start a new sentence.
SENTENCE_STARTERS = _names(
    "the we you this these those if in our it its they any all each when where to for please "
    "there however such as"
)

BEFORE_NUMBER = _names("no nos p pp")  # "No. 5", "p. 3": only before a number
# List numbering at the start of a block: "1.", "4.2.", "H.1.a.", "(a)", "iv."
_NUMBERING = re.compile(r"^\(?(?:\d+|[A-Za-z]|[ivxlc]+)(?:\.(?:\d+|[A-Za-z]))*[.)]$")


def words(text: str) -> list[str]:
    """Lower-cased word tokens of ``text``, punctuation stripped. Digits are words.

    Quotes, dashes, markup markers (``#``, ``-``, ``|``) and whitespace are not words, so
    two texts with the same ``words`` differ only cosmetically.
    """
    return _WORD.findall(text.casefold())


def classify(old: str, new: str) -> ChangeKind | None:
    """``None`` for identical texts, ``cosmetic`` when the words are the same, else
    ``substantive``: "30 days" → "90 days" is substantive, a curly quote is not."""
    if old == new:
        return None
    return "cosmetic" if words(old) == words(new) else "substantive"


def unified(old: str, new: str, from_label: str, to_label: str, context: int = 3) -> str:
    """Unified line diff of two normalized texts (one block per line), newline-terminated."""
    a, b = old.splitlines(), new.splitlines()
    if a != b and set(a).isdisjoint(b):  # no line in common (a reworded paragraph)
        return _replaced(a, b, from_label, to_label)
    lines = difflib.unified_diff(a, b, from_label, to_label, n=context, lineterm="")
    out = "\n".join(lines)
    return out + "\n" if out else ""


def _replaced(a: list[str], b: list[str], from_label: str, to_label: str) -> str:
    """``unified`` of texts with no line in common: difflib's one hunk replacing every line,
    written without its sequence matcher (a history lists thousands of such clause diffs)."""
    head = f"--- {from_label}\n+++ {to_label}\n@@ -{_range(len(a))} +{_range(len(b))} @@\n"
    return head + "".join(f"-{line}\n" for line in a) + "".join(f"+{line}\n" for line in b)


def _range(length: int) -> str:
    """A unified hunk's range of ``length`` lines from the first (difflib's format)."""
    return "1" if length == 1 else f"{1 if length else 0},{length}"


# -- sentences ---------------------------------------------------------------------------------


def split_sentences(text: str) -> list[str]:
    """Sentences of a normalized text: every line is split on its own, block markers
    (``#``, ``- ``) dropped, and abbreviations ("e.g.", "Inc.", "U.S.", "Sec. 3"),
    list numbers ("1.", "4.2.") and decimals ("1.5") never end a sentence."""
    out: list[str] = []
    for line in text.split("\n"):
        body = _MARKER.sub("", line).strip()
        if body:
            out.extend(_split_line(body))
    return out


def _split_line(line: str) -> list[str]:
    """One block's text → its sentences."""
    sentences: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(line):
        head = line[start : m.start() + 1]
        if _keeps_going(head, line[m.end() : m.end() + 40]):
            continue
        sentences.append(line[start : m.end()].strip())
        start = m.end()
    rest = line[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def _next_word(text: str) -> str:
    m = _WORD.match(text)
    return m.group(0) if m else ""


def _keeps_going(head: str, following_text: str) -> bool:
    """Whether the period ending ``head`` belongs to a word rather than ending a sentence."""
    if not head.endswith("."):
        return False
    last = head.rsplit(None, 1)  # its last word (a regex search for it backtracks: ~10 µs)
    token = last[-1].lstrip("\"'“‘([") if last else ""
    bare = token[:-1].casefold()
    if bare in ABBREVIATIONS or token.casefold() in ABBREVIATIONS:
        return True
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", bare):  # initialisms: U.S., E.U., e.g., i.e.
        return _next_word(following_text).casefold() not in SENTENCE_STARTERS
    if head.strip() == token and _NUMBERING.match(token):  # the block's own numbering
        return True
    return bare in BEFORE_NUMBER and following_text[:1].isdigit()


# -- sentence diff ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Modified:
    """A sentence whose words changed: ``ops`` run over the words, for highlighting.

    ``equal`` and ``insert`` texts joined give ``after``; ``equal`` texts are taken from
    ``after`` (tokens equal up to punctuation and case), ``delete`` texts from ``before``.
    """

    before: str
    after: str
    ops: list[WordOp]

    def as_dict(self) -> dict[str, object]:
        return {"before": self.before, "after": self.after, "ops": [list(op) for op in self.ops]}


@dataclass(frozen=True)
class SentenceDiff:
    """Sentences added, removed and modified between two texts (cosmetic ones omitted)."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    modified: list[Modified] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.modified)

    def as_dict(self) -> dict[str, object]:
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "modified": [m.as_dict() for m in self.modified],
        }


def _key(text: str) -> tuple[str, ...]:
    return tuple(words(text))


def diff_sentences(old: str, new: str) -> SentenceDiff:
    """Sentence-level diff: lines are matched first (cheap on long documents), then the
    sentences of each changed run of lines. Identical sentences are paired first, across
    the whole text, so a sentence that only moved (or sits in a changed line) is never shown
    removed and added; then a removed and an added sentence similar enough
    (``MODIFIED_RATIO``) are paired as *modified*. Re-wrapped or re-punctuated text whose
    words are unchanged produces nothing."""
    groups: list[tuple[list[str], list[str]]] = []
    old_lines, new_lines = old.split("\n"), new.split("\n")
    for tag, i1, i2, j1, j2 in _opcodes([_key(x) for x in old_lines], [_key(x) for x in new_lines]):
        if tag != "equal":
            groups.extend(_changed_groups("\n".join(old_lines[i1:i2]), "\n".join(new_lines[j1:j2])))
    moved = _moved([s for r, _ in groups for s in r], [s for _, a in groups for s in a])
    result = SentenceDiff()
    for removed, added in groups:
        _pair_group(_without(removed, moved), _without(added, moved), result)
    return result


def _opcodes(
    a: Sequence[tuple[str, ...]], b: Sequence[tuple[str, ...]]
) -> Sequence[tuple[str, int, int, int, int]]:
    """difflib opcodes without the autojunk heuristic (frequent lines such as "- Yes" are
    real), in bounded time: ``align.opcodes`` falls back to Myers, then to a coarse diff,
    where difflib would be super-linear (one long paragraph of common words)."""
    return align.opcodes(a, b)


def _changed_groups(old: str, new: str) -> list[tuple[list[str], list[str]]]:
    """(removed, added) sentences of one changed run of lines, one pair per changed stretch."""
    old_s, new_s = split_sentences(old), split_sentences(new)
    old_k, new_k = [_key(s) for s in old_s], [_key(s) for s in new_s]
    groups = []
    for tag, i1, i2, j1, j2 in _opcodes(old_k, new_k):
        if tag == "equal":
            continue
        if _flat(old_k[i1:i2]) == _flat(new_k[j1:j2]):
            continue  # same words, different sentence breaks: re-wrapping
        groups.append((old_s[i1:i2], new_s[j1:j2]))
    return groups


def _moved(removed: Sequence[str], added: Sequence[str]) -> Counter[tuple[str, ...]]:
    """Sentences (by words) both removed and added: as many of each as appear on both sides."""
    return Counter(_key(s) for s in removed) & Counter(_key(s) for s in added)


def _without(sentences: Sequence[str], moved: Counter[tuple[str, ...]]) -> list[str]:
    """``sentences`` minus those in ``moved`` (consumed: each cancels one occurrence per side)."""
    left = Counter(moved)
    out = []
    for s in sentences:
        key = _key(s)
        if left[key] > 0:
            left[key] -= 1
        else:
            out.append(s)
    return out


def cancel_moved(removed: Sequence[str], added: Sequence[str]) -> tuple[list[str], list[str]]:
    """``removed`` and ``added`` without the sentences found on both sides (unchanged
    sentences that only moved): for summaries stored before the diff paired them itself."""
    moved = _moved(removed, added)
    return _without(removed, moved), _without(added, moved)


def _pair_group(removed: list[str], added: list[str], result: SentenceDiff) -> None:
    """One stretch's removed and added sentences, paired into modified ones, into ``result``."""
    if not removed and not added:
        return
    pairs = _pair([_key(s) for s in removed], [_key(s) for s in added])
    paired_old = {i for i, _ in pairs}
    paired_new = {j for _, j in pairs}
    result.removed.extend(s for i, s in enumerate(removed) if i not in paired_old)
    result.added.extend(s for j, s in enumerate(added) if j not in paired_new)
    for i, j in pairs:
        result.modified.append(Modified(removed[i], added[j], word_ops(removed[i], added[j])))


def _flat(keys: list[tuple[str, ...]]) -> list[str]:
    """The words of several sentences in one list."""
    return [w for key in keys for w in key]


def _pair(old_k: list[tuple[str, ...]], new_k: list[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Removed/added sentence pairs similar enough to be one modified sentence.

    A pair needs ``MODIFIED_RATIO`` (``REWRITE_RATIO`` when the run swaps n sentences for
    n others: sentences rewritten in place). Best pairs first, each sentence used once, and
    pairs keep document order (no crossing), so a reordered paragraph is not read as a chain
    of rewrites. Returned in new-text order.
    """
    large = len(old_k) * len(new_k) > LARGE_RUN
    threshold = REWRITE_RATIO if len(old_k) == len(new_k) else MODIFIED_RATIO
    scored: list[tuple[float, int, int]] = []
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    for j, nk in enumerate(new_k):
        matcher.set_seq2(nk)
        for i, ok in enumerate(old_k):
            if large and abs(i * len(new_k) - j * len(old_k)) > PAIR_WINDOW * len(new_k):
                continue
            matcher.set_seq1(ok)
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue
            ratio = align.ratio(ok, nk) if align.costly(ok, nk) else matcher.ratio()
            if ratio >= threshold:
                scored.append((ratio, i, j))
    chosen: list[tuple[int, int]] = []
    for _, i, j in sorted(scored, key=lambda t: (-t[0], t[2], t[1])):
        if all((i - ci) * (j - cj) > 0 for ci, cj in chosen):
            chosen.append((i, j))
    return sorted(chosen, key=lambda p: p[1])


# -- word diff --------------------------------------------------------------------------------


def word_ops(before: str, after: str) -> list[WordOp]:
    """Word-level ops turning ``before`` into ``after``; tokens equal up to punctuation and
    case count as equal, so only real word changes are highlighted."""
    a, b = before.split(), after.split()
    ka, kb = [_key(t) for t in a], [_key(t) for t in b]
    ops: list[WordOp] = []
    for tag, i1, i2, j1, j2 in _opcodes(ka, kb):
        if tag == "equal":
            _push(ops, "equal", b[j1:j2])
            continue
        _push(ops, "delete", a[i1:i2])
        _push(ops, "insert", b[j1:j2])
    return ops


def _push(ops: list[WordOp], tag: OpTag, tokens: list[str]) -> None:
    """Append ``tokens`` as one op, merging with the previous op of the same tag."""
    if not tokens:
        return
    text = " ".join(tokens)
    if ops and ops[-1][0] == tag:
        ops[-1] = (tag, ops[-1][1] + " " + text)
    else:
        ops.append((tag, text))


def word_diff_segments(ops: Sequence[WordOp]) -> list[tuple[str, OpTag]]:
    """Ops → ``(text, tag)`` segments with the separating spaces in place, ready for a
    terminal to colour (``insert`` green, ``delete`` red, ``equal`` plain)."""
    segments: list[tuple[str, OpTag]] = []
    for n, (tag, text) in enumerate(ops):
        if n:
            segments.append((" ", "equal"))
        segments.append((text, tag))
    return segments


def render_word_diff(ops: Sequence[WordOp]) -> str:
    """Plain-text word diff in ``git --word-diff=plain`` style: ``[-old-]{+new+}``."""
    marks = {"equal": ("", ""), "delete": ("[-", "-]"), "insert": ("{+", "+}")}
    return "".join(marks[tag][0] + text + marks[tag][1] for text, tag in word_diff_segments(ops))
