"""Alert and digest emails within a size limit. Pure: no I/O.

One oversized change (an 18 MB rewrite) must neither make an 18 MB email, which servers
refuse (552), nor hold back the other changes merged with it. ``alert_messages`` renders
the changes of one recipient as one message when it fits ``limit`` bytes (text + HTML);
otherwise as several messages, changes packed in order, each subject numbered
"(part i of n)"; a change too large on its own is
shown *compact*: its summary and facts, every text cut short, and the ``tosmon diff``
command that shows it in full (the stored version keeps the whole text).
``digest_within`` does the same for one recipient's digest: its largest changes are
shown compact until it fits, and a digest too large even so (the hundreds of changes a
backfill adds) is sent in numbered parts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from .digest_view import render_digest
from .render import ChangeItem, DigestData, Rendered, render_alert, subject_line

COMPACT_CHARS = 300  # characters kept of each text of a compact change
COMPACT_ITEMS = 5  # entries kept of each list of a compact change


def size(message: Rendered) -> int:
    return len(message.subject.encode()) + len(message.text.encode()) + len(message.html.encode())


def compact(item: ChangeItem) -> ChangeItem:
    """``item`` with every summary text cut short, lists cut to a few entries, and the
    command that shows the whole change added to its summary line."""
    summary = dict(_cut(item.summary))
    note = f"This change is too large for email: `{item.diff_command}` shows it in full."
    summary["summary"] = f"{summary.get('summary') or ''} {note}".strip()
    return dataclasses.replace(item, summary=summary)


def _cut(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= COMPACT_CHARS else value[: COMPACT_CHARS - 1] + "…"
    if isinstance(value, Mapping):
        return {k: _cut(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_cut(v) for v in value[:COMPACT_ITEMS]]
    return value


def alert_messages(items: Sequence[ChangeItem], limit: int) -> list[Rendered]:
    """The alert emails for ``items`` (one recipient's changes), each within ``limit``."""
    whole = render_alert(items)
    if size(whole) <= limit:
        return [whole]
    messages: list[Rendered] = []
    group: list[ChangeItem] = []
    for item in items:
        if size(render_alert([item])) > limit:
            item = compact(item)
        if group and size(render_alert([*group, item])) > limit:
            messages.append(render_alert(group))
            group = []
        group.append(item)
    if group:
        messages.append(render_alert(group))
    return numbered(messages)


def numbered(messages: list[Rendered]) -> list[Rendered]:
    """Split messages with "(part i of n)" after the subject's tag, so a reader sees that
    they belong together (a single message keeps its subject)."""
    if len(messages) < 2:
        return messages
    tag = "[tos-monitor] "
    return [
        dataclasses.replace(
            m,
            subject=subject_line(
                f"{tag}(part {i} of {len(messages)}) {m.subject.removeprefix(tag)}"
            ),
        )
        for i, m in enumerate(messages, 1)
    ]


def digest_within(data: DigestData, limit: int) -> list[Rendered]:
    """The digest of ``data`` as messages within ``limit``: one, with its largest changes
    shown compact (the largest first) until it fits; when even every change compact is
    too much (a backfill's hundreds of changes), numbered parts, changes in order, the
    failures and the watched documents in the first."""
    message = render_digest(data)
    if size(message) <= limit:
        return [message]
    changes = list(data.changes)
    largest = sorted(
        range(len(changes)), key=lambda i: size(render_alert([changes[i]])), reverse=True
    )
    fits = _fewest_compact(data, largest, limit)
    if fits is not None:
        return [fits]
    short = [compact(c) for c in changes]
    return numbered([render_digest(part) for part in _split(data, short, limit)])


def _with_compact(data: DigestData, indexes: Sequence[int]) -> DigestData:
    chosen = set(indexes)
    changes = [compact(c) if i in chosen else c for i, c in enumerate(data.changes)]
    return dataclasses.replace(data, changes=changes)


def _fewest_compact(data: DigestData, largest: Sequence[int], limit: int) -> Rendered | None:
    """The digest with the fewest of its ``largest`` changes compact that fits ``limit``
    (a binary search: a few renders, not one per change), or ``None``."""
    low, high, found = 1, len(largest), None
    while low <= high:
        k = (low + high) // 2
        message = render_digest(_with_compact(data, largest[:k]))
        if size(message) <= limit:
            found, high = message, k - 1
        else:
            low = k + 1
    return found


def _split(data: DigestData, changes: Sequence[ChangeItem], limit: int) -> list[DigestData]:
    """``data`` cut into digests of consecutive ``changes`` that each fit ``limit`` (a
    part is halved until it fits or holds one change); only the first part keeps the
    failures, outages, re-readings and the list of unchanged documents."""
    first = dataclasses.replace(data, changes=changes)
    rest = dataclasses.replace(first, failures=(), episodes=(), readings=(), watched=())
    parts: list[DigestData] = []
    pending = [list(changes)]
    while pending:
        chunk = pending.pop(0)
        part = dataclasses.replace(rest if parts else first, changes=chunk)
        if len(chunk) > 1 and size(render_digest(part)) > limit:
            half = len(chunk) // 2
            pending[:0] = [chunk[:half], chunk[half:]]
            continue
        parts.append(part)
    return parts
