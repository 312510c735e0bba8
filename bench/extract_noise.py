"""Measure extraction noise on the replay corpus: false alerts and missed changes.

For every replay document (``../shared/corpus/replay``), extract each archived capture with
the manifest's select/remove and compare its word sequence (lowercased, punctuation stripped,
as the change classifier compares) with the previous capture's:

* false alert: the words changed but ``truth_changed`` says the wording did not;
* missed: ``truth_changed`` says the wording changed but the words did not.

Captures that fail to extract (a selector that no longer matches after a redesign) are
counted as errors; the next good capture is compared with the last good one, expecting a
change when truth reports one anywhere in between.

Usage: ``python bench/extract_noise.py [CORPUS_DIR] [-v]``. Exits 1 when any count is non-zero.
"""

from __future__ import annotations

import json
import lzma
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from monitor.config import DocumentConfig
from monitor.diff import words  # the change classifier's own word tokens
from monitor.errors import ExtractError
from monitor.extract import extract

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@dataclass
class Noise:
    slug: str
    captures: int = 0
    truth_changes: int = 0
    false_alerts: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def replay_document(entry: dict[str, object], corpus: Path) -> Noise:
    """Extract every capture of one replay document and count disagreements with truth."""
    slug = str(entry["slug"])
    doc = DocumentConfig(
        provider="replay",
        id=slug,
        name=slug,
        provider_name=str(entry["provider"]),
        url=str(entry["url"]),
        select=tuple(entry["select"]),  # type: ignore[arg-type]
        remove=tuple(entry["remove"]),  # type: ignore[arg-type]
    )
    noise = Noise(slug)
    previous: tuple[str, ...] | None = None
    previous_text: str | None = None
    pending = False  # a truth change since the last capture that extracted
    with lzma.open(corpus / "replay" / str(entry["file"]), "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            capture = json.loads(line)
            noise.captures += 1
            truth = bool(capture["truth_changed"])
            noise.truth_changes += truth
            pending = pending or truth
            started = time.perf_counter()
            try:
                text = extract(capture["html"].encode(), "text/html", doc, previous_text).text
            except ExtractError as exc:
                noise.errors.append(f"{i}: {exc}")
                continue
            finally:
                noise.seconds += time.perf_counter() - started
            current = tuple(words(text))
            if previous is not None:
                changed = current != previous
                if changed and not pending:
                    noise.false_alerts.append(i)
                elif pending and not changed:
                    noise.missed.append(i)
            previous, previous_text, pending = current, text, False
    return noise


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("-")]
    corpus = Path(args[0]) if args else DEFAULT_CORPUS
    manifest = json.loads((corpus / "replay" / "manifest.json").read_text(encoding="utf-8"))
    total = 0
    print(f"{'document':26} {'caps':>5} {'truth':>5} {'false':>5} {'missed':>6} {'err':>4} ms/cap")
    for entry in manifest:
        n = replay_document(entry, corpus)
        bad = len(n.false_alerts) + len(n.missed) + len(n.errors)
        total += bad
        ms = 1000 * n.seconds / max(1, n.captures)
        print(
            f"{n.slug:26} {n.captures:5} {n.truth_changes:5} {len(n.false_alerts):5} "
            f"{len(n.missed):6} {len(n.errors):4} {ms:6.1f}"
        )
        if "-v" in argv and bad:
            print(f"    false alerts at {n.false_alerts}, missed at {n.missed}")
            for err in n.errors[:5]:
                print(f"    error {err}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
