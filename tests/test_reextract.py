"""A database written by release 0.1 (tests/fixtures/release-0.1.db, made by that release's
own ``tosmon check``, see make_release_db.py) upgraded in place and re-read by
``tosmon reextract``: real CLI processes, real SQLite, real Alembic migrations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from procs import query, run, write_config
from servers import LocalServer, Reply

from monitor.db import alembic_config
from monitor.positions import POSITION_KEYS

FIXTURE = Path(__file__).parent / "fixtures" / "release-0.1.db"
TERMS_IGNORE = 'ignore = ["^Was this page helpful\\\\?"]\n'


def release_db(tmp_path: Path, terms: str = "", privacy: str = '["main"]', url: str = "") -> Path:
    """A copy of the 0.1 database with a sources.toml for its three documents."""
    shutil.copy(FIXTURE, tmp_path / "tosmon.db")
    base = url or "http://127.0.0.1:9"
    config = tmp_path / "sources.toml"
    config.write_text(
        f'[monitor]\ndatabase = "sqlite:///{tmp_path / "tosmon.db"}"\nretries = 0\n\n'
        '[providers.acme]\nname = "Acme"\n\n'
        f'[providers.acme.documents.terms]\nurl = "{base}/terms"\nselect = ["main"]\n{terms}\n'
        f'[providers.acme.documents.dpa]\nurl = "{base}/dpa"\nselect = ["main"]\n\n'
        f'[providers.acme.documents.privacy]\nurl = "{base}/privacy"\nselect = {privacy}\n',
        encoding="utf-8",
    )
    return config


def cli_json(config: Path, *args: str) -> Any:
    proc = run(*args, "--json", config=config, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def snapshot_of_tables(config: Path) -> list[list[tuple[Any, ...]]]:
    """Every stored reading: versions, clause texts, positions, changes, re-extractions."""
    return [
        query(config, "SELECT id, text_sha256, captured_at FROM versions ORDER BY id"),
        query(config, "SELECT version_id, key, text_id, source FROM clause_texts ORDER BY id"),
        query(config, "SELECT version_id, positions FROM version_positions ORDER BY 1"),
        query(config, "SELECT id, kind, severity, summary, alert FROM changes ORDER BY id"),
        query(config, "SELECT change_id, key, before, after FROM clause_changes ORDER BY id"),
        query(config, "SELECT id, version_id, summary FROM reextractions ORDER BY id"),
    ]


def test_release_database_upgrades_in_place(tmp_path: Path) -> None:
    """The 0.1 file opens without loss: same versions and changes, every change now carries
    a ``positions`` list, and ``clauses --json`` has all 11 positions read from stored text."""
    config = release_db(tmp_path)
    history = cli_json(config, "history", "acme", "terms")
    kinds = [v["change"]["kind"] if v["change"] else None for v in history["versions"]]
    assert kinds == [None, "cosmetic", "substantive", "substantive", "substantive"]
    assert all(isinstance(v["change"]["positions"], list) for v in history["versions"][1:])
    assert history["reextractions"] == []
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert query(config, "SELECT version_num FROM alembic_version") == [(head,)]
    clauses = cli_json(config, "clauses", "acme", "dpa")
    assert list(clauses["positions"]) == list(POSITION_KEYS)
    notice = clauses["positions"]["subprocessor_notice_days"]
    assert notice["value"] == 14
    assert any("14 days" in sentence for sentence in notice["evidence"])
    assert all({"value", "evidence", "scope"} <= set(p) for p in clauses["positions"].values())


def test_reextract_fills_positions_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    """A re-read with unchanged rules stores positions for every version and recomputes the
    changes with position changes first; running it again writes nothing at all."""
    config = release_db(tmp_path)
    first = cli_json(config, "reextract")
    assert [d["document"] for d in first["documents"]] == ["terms", "dpa", "privacy"]
    assert query(config, "SELECT COUNT(*) FROM version_positions") == [(10,)]
    history = cli_json(config, "history", "acme", "terms")
    retention = history["versions"][2]["change"]
    assert retention["severity"] == "high"
    assert retention["summary"].startswith("Positions: retention 30 days → 90 days.")
    [moved] = [p for p in retention["positions"] if p["key"] == "retention_days"]
    assert (moved["before"], moved["after"]) == ([30], [90])
    dated = history["versions"][3]["change"]
    assert dated["severity"] == "low"
    assert "effective date 2025-06-17 → 2025-10-08" in dated["summary"]
    dpa = cli_json(config, "history", "acme", "dpa")["versions"][1]["change"]
    assert dpa["severity"] == "high"
    assert dpa["subprocessors"] == {
        "added": ["Fabrikam Analytics GmbH (support tooling, Germany)"],
        "removed": [],
    }
    before = snapshot_of_tables(config)
    second = cli_json(config, "reextract")
    assert all(d["improved"] == [] and d["changes_updated"] == 0 for d in second["documents"])
    assert snapshot_of_tables(config) == before


def test_reread_text_equal_to_its_neighbour_becomes_cosmetic(tmp_path: Path) -> None:
    """With a new ``ignore`` rule, version 5 (only a feedback widget added) reads as version
    4: it is kept with its number, its change becomes cosmetic and its pending alert is
    dropped, and ``history`` lists the re-extraction apart, as "reading improved"."""
    config = release_db(tmp_path, terms=TERMS_IGNORE)
    pending_before = query(config, "SELECT COUNT(*) FROM changes WHERE alert = 'pending'")
    report = cli_json(config, "reextract", "--document", "terms")
    [terms] = report["documents"]
    assert (terms["versions"], terms["improved"], terms["cosmetic"]) == (5, [5], [5])
    history = cli_json(config, "history", "acme", "terms")
    assert [v["version"] for v in history["versions"]] == [1, 2, 3, 4, 5]
    assert history["versions"][4]["change"]["kind"] == "cosmetic"
    assert history["versions"][4]["change"]["severity"] is None
    assert history["versions"][4]["change"]["summary"] == (
        "Same text as the previous version when read with the current rules."
    )
    [improved] = history["reextractions"]
    assert (improved["version"], improved["origin"]) == (5, "reextract")
    assert improved["summary"].startswith("Reading improved:")
    assert "Was this page helpful? 12 people said yes" in " ".join(improved["text"]["removed"])
    alerts = query(
        config,
        "SELECT c.alert FROM changes c JOIN versions v ON v.id = c.to_version_id "
        "ORDER BY v.captured_at DESC LIMIT 1",
    )
    assert alerts == [("none",)]
    pending_after = query(config, "SELECT COUNT(*) FROM changes WHERE alert = 'pending'")
    assert pending_after[0][0] == pending_before[0][0] - 1  # nothing new to alert
    shown = run("history", "acme", "terms", config=config, timeout=120)
    assert "Reading improved" in shown.stdout
    digest = run("digest", "--dry-run", "--since", "2020-01-01", config=config, timeout=120).stdout
    section = digest.split("######## Reading improved", 1)[1]
    assert "* Acme terms, version of " in section
    assert "text re-read (2 sentences removed)" in section


def test_unreadable_snapshot_is_reported_and_keeps_its_reading(tmp_path: Path) -> None:
    """A stricter ``select`` that version 1's page cannot satisfy is reported for that
    version (which keeps its text); the other version of the document is still re-read."""
    config = release_db(tmp_path, privacy='["main.policy"]')
    text_before = run(
        "show", "acme", "privacy", "--version", "1", config=config, timeout=120
    ).stdout
    report = cli_json(config, "reextract", "--provider", "acme", "--document", "privacy")
    [privacy] = report["documents"]
    assert [(e["version"], e["kind"]) for e in privacy["errors"]] == [(1, "selector")]
    assert "main.policy" in privacy["errors"][0]["error"]
    assert (
        run("show", "acme", "privacy", "--version", "1", config=config, timeout=120).stdout
        == text_before
    )
    assert query(config, "SELECT COUNT(*) FROM version_positions") == [(2,)]
    human = run("reextract", "--document", "privacy", config=config, timeout=120)
    assert human.returncode == 0
    assert "v1 kept its old reading (selector)" in human.stdout


def test_check_after_upgrade_records_positions_and_grades_by_them(tmp_path: Path) -> None:
    """A live check on the upgraded file re-reads the stored history, stores the new
    version's positions and grades the subprocessor notice going from 14 to 7 days high,
    with both evidence sentences."""
    with LocalServer() as server:
        config = release_db(tmp_path, url=server.url(""))
        page = (
            "<html><body><main><h1>Data Processing Addendum</h1><h2>1. Subprocessors</h2>"
            "<p>Acme uses the following subprocessors to provide the Services:</p><ul>"
            "<li>Northwind Hosting Ltd. (cloud hosting, United States)</li>"
            "<li>Contoso Mail Inc.</li>"
            "<li>Fabrikam Analytics GmbH (support tooling, Germany)</li></ul>"
            "<p>Acme will notify Customer at least 7 days before engaging a new "
            "subprocessor, and Customer may object to the new subprocessor.</p>"
            "<h2>2. Audits</h2><p>Customer may audit Acme's compliance with this Addendum "
            "once a year on 30 days' prior written notice, or rely on Acme's SOC 2 "
            "reports.</p></main></body></html>"
        )
        server.route("/dpa", Reply(body=page))
        cli_json(config, "check", "--document", "dpa", "--no-notify")
    diff = cli_json(config, "diff", "acme", "dpa")
    assert diff["severity"] == "high"
    [notice] = [p for p in diff["positions"] if p["key"] == "subprocessor_notice_days"]
    assert (notice["before"], notice["after"]) == (14, 7)
    assert any("14 days" in s for s in notice["evidence_before"])
    assert any("7 days" in s for s in notice["evidence_after"])
    stored = query(
        config,
        "SELECT COUNT(*) FROM version_positions p JOIN versions v ON v.id = p.version_id",
    )
    # the check re-read the 0.1 history with today's rules before comparing: every
    # version of the document now has its positions stored, the new one included
    versions = cli_json(config, "history", "acme", "dpa")["versions"]
    assert stored == [(len(versions),)] and len(versions) > 1


POLICY = (
    "<html><body><main><h1>Privacy Policy</h1>"
    '<div class="promo">Try the new Acme app today.</div>'
    "<p>We retain API inputs and outputs for {days} days, then delete them.</p>"
    "<p>We do not train our models on business data.</p></main></body></html>"
)


def watched(tmp_path: Path, url: str, remove: str = "") -> Path:
    """A sources.toml watching one page; ``remove`` is its document's remove setting."""
    return write_config(tmp_path, {"privacy": url}, document_settings=remove and remove + "\n")


def test_check_after_new_reading_rules_rereads_history_instead_of_alerting(
    tmp_path: Path,
) -> None:
    """When the rules that read a page changed since its history was stored (here: the
    user adds a `remove`; an upgrade of tos-monitor is the same case), the next check
    re-reads the stored versions first: an unchanged page is no new version and raises no
    alert, and a later real change is told without what the rules alone changed."""
    with LocalServer() as server:
        server.route("/privacy", Reply(body=POLICY.format(days=30)))
        config = watched(tmp_path, server.url("/privacy"))
        assert cli_json(config, "check", "--no-notify")["errors"] == []
        config = watched(tmp_path, server.url("/privacy"), 'remove = [".promo"]')
        second = cli_json(config, "check", "--no-notify")
        assert second["changed"] == [] and second["errors"] == []
        [report] = second["warnings"]
        assert report["outcome"] == "unchanged", report
        assert "re-read with the current rules" in report["warning"]
        history = cli_json(config, "history", "acme", "privacy")
        assert len(history["versions"]) == 1
        assert [r["version"] for r in history["reextractions"]] == [1]
        shown = run("show", "acme", "privacy", config=config)
        assert "30 days" in shown.stdout and "Acme app" not in shown.stdout
        server.route("/privacy", Reply(body=POLICY.format(days=90)))
        third = cli_json(config, "check", "--no-notify")
        assert [r["outcome"] for r in third["changed"]] == ["new_version"]
        assert third["warnings"] == []
    diff = cli_json(config, "diff", "acme", "privacy")
    assert "90 days" in json.dumps(diff) and "Acme app" not in json.dumps(diff)
    # one change, the real one, to alert
    assert query(config, "SELECT kind, alert FROM changes") == [("substantive", "pending")]
