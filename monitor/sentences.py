"""A block's sentences, split once for every stage that reads them. Pure.

The clause finder and the position readers both read a document sentence by sentence
(``diff.split_sentences``, the legal sentence splitter); one capture's blocks are split
here once and the second reader gets the same sentences from the cache.
"""

from __future__ import annotations

from functools import lru_cache

from .diff import split_sentences

CACHED_TEXTS = 8192  # blocks remembered: a few documents' worth, bounded memory


@lru_cache(maxsize=CACHED_TEXTS)
def sentences(text: str) -> tuple[str, ...]:
    """``split_sentences(text)``, computed once per distinct text."""
    return tuple(split_sentences(text))
