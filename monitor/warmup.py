"""The reading stages' per-process tables, built before a process reads its first page.
Pure: no I/O.

The clause finder and the position readers compile their rules at first use, not at
import (a command that reads no page never builds them): the phrase index of the built-in
clause keys and the negative topics (``clause_scoring.index``), their heading patterns,
what each phrase reads outside its match (``Phrase.free``), and the readers' index of hints
and rules (``position_sentences``). In a check every worker process would pay this on its
first page (~1.3 G instructions); ``worker.Workers`` has the fork server import this
module before it forks the workers, so they inherit the tables built once. Importing it
builds them: import it only where pages are about to be read in several processes.
"""

from __future__ import annotations

from . import clause_scoring, position_sentences
from . import positions as _positions  # noqa: F401 - registers every reader's hints and rules


def warm() -> None:
    """Build the built-in clause rules' index and the readers' index in this process."""
    clause_scoring.warm()
    position_sentences.warm()


warm()
