"""Behaviour of monitor.positions: the interface (all keys, evidence, JSON, stored text).

The sentences in these tests and in test_positions_training / test_positions_terms are
written the way other AI providers' terms, privacy policies and DPAs phrase the rules (none
is copied from a corpus page), so that they check families of phrasing, not one document.
"""

from __future__ import annotations

from position_helpers import read

from monitor.extract import blocks_from_text
from monitor.positions import (
    POSITION_KEYS,
    position_from_json,
    position_to_json,
    read_positions,
)


def test_every_key_is_present_and_unstated_positions_are_null() -> None:
    """A document that states nothing gives all 11 keys, each null with no evidence."""
    positions = read("# Acceptable use\nDo not use the service to send spam.")
    assert tuple(positions) == POSITION_KEYS
    assert len(POSITION_KEYS) == 11
    for key, p in positions.items():
        assert p.key == key
        assert (p.value, p.evidence, p.scope) == (None, (), None)


def test_positions_carry_the_sentences_that_justify_them() -> None:
    """Each stated position quotes the document's own sentence as evidence."""
    text = (
        "# Data\nWe will not use Customer Data to train our models. "
        "Logs are deleted within 30 days."
    )
    positions = read(text)
    assert positions["training_use"].evidence == (
        "We will not use Customer Data to train our models.",
    )
    assert positions["retention_days"].evidence == ("Logs are deleted within 30 days.",)


def test_json_round_trip_keeps_values_evidence_and_scope() -> None:
    """A position written as JSON and read back is the same position."""
    text = (
        "If you use our free services, we may use your prompts to train our models unless you "
        "opt out in settings. We retain logs for 2 years and backups for ninety (90) days."
    )
    for key, p in read(text).items():
        data = position_to_json(p)
        assert position_from_json(key, data) == p
    training = position_to_json(read(text)["training_use"])
    assert training["value"] == ["opt_out"]
    assert training["scope"] == ["free services"]
    assert position_to_json(read(text)["retention_days"])["value"] == [90, 730]


def test_stored_text_gives_the_same_positions_as_the_blocks() -> None:
    """Positions read from the normalized text are those read from its blocks."""
    text = "# Changes\n- We may amend these Terms upon thirty (30) days' prior written notice."
    blocks = blocks_from_text(text)
    joined = "\n".join(b.line() for b in blocks)
    assert read_positions(blocks, {}) == read(joined)
    assert read(text)["change_notice_days"].value == 30
