"""A hostile world, content side: pages, texts and messages that once crashed a run or
raised a false alert, each served by a real HTTP server on 127.0.0.1 to a real `tosmon`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from servers import LocalServer, Reply

from monitor.cli import main

TERMS = [
    "These terms apply to your use of the services and form a contract with us.",
    "We retain API inputs and outputs for 30 days, then delete them.",
    "We do not train our models on your content unless you opt in.",
    "You own the outputs you generate, to the extent permitted by law.",
    "We may change these terms with thirty days notice by email.",
]


def page(*paragraphs: str, title: str = "Terms") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title></head><body><nav>menu</nav>"
        f"<main><h1>Terms of Use</h1>{body}</main></body></html>"
    )


@pytest.fixture
def project(tmp_path: Path, http_server: LocalServer) -> Path:
    """sources.toml watching /terms and /privacy on the local server, no retries."""
    config = tmp_path / "sources.toml"
    config.write_text(f"""
[monitor]
database = "sqlite:///tos.db"
timeout = 2.0
retries = 0
backoff = 0

[providers.acme]
name = "Acme"

[providers.acme.documents.terms]
url = "{http_server.url("/terms")}"
select = ["main"]

[providers.acme.documents.privacy]
url = "{http_server.url("/privacy")}"
select = ["main"]
""")
    http_server.route("/privacy", Reply(body=page("We collect your email address.")))
    return config


def tosmon(project: Path, *args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(main, [*args, "--config", str(project)], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return json.loads(result.stdout) if "--json" in args and code == 0 else result.output


def check(project: Path) -> dict[str, Any]:
    report: dict[str, Any] = tosmon(project, "check", "--json", "--no-notify")
    return report


def versions(project: Path, document: str = "terms") -> list[dict[str, Any]]:
    history: dict[str, Any] = tosmon(project, "history", "acme", document, "--json")
    return list(history["versions"])


# -- 1: deep nesting ---------------------------------------------------------------------------


def test_deeply_nested_page_is_read_and_stored(project: Path, http_server: LocalServer) -> None:
    """A page whose terms sit inside 5,000 nested <div>s is stored like any other, and the
    other document of the run is stored too."""
    depth = 5000
    nested = "<div>" * depth + f"<p>{TERMS[1]}</p>" + "</div>" * depth
    http_server.route("/terms", Reply(body=page(TERMS[0]).replace("</main>", nested + "</main>")))
    report = check(project)
    assert report["errors"] == [] and report["checked"] == 2
    assert len(versions(project)) == 1 and len(versions(project, "privacy")) == 1
    shown = tosmon(project, "show", "acme", "terms")
    assert TERMS[0] in shown and TERMS[1] in shown


# -- 4: truncated bodies -----------------------------------------------------------------------

LONG_TERMS = [
    f"{t} Section {n} applies to every account and workspace." for n, t in enumerate(TERMS * 4)
]


def full_page() -> str:
    return page(*LONG_TERMS)


def alerts_pending(project: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(project.parent / "tos.db")
    try:
        return int(
            conn.execute("select count(*) from changes where alert = 'pending'").fetchone()[0]
        )
    finally:
        conn.close()


def test_truncated_body_with_valid_length_is_held_not_a_version(
    project: Path, http_server: LocalServer
) -> None:
    """30 % of the page, sent with a matching Content-Length, is held as suspect (no version,
    no alert); when the full page returns nothing changed at all."""
    http_server.route("/terms", Reply(body=full_page()))
    check(project)
    cut = full_page()[: int(len(full_page()) * 0.3)]
    http_server.route("/terms", Reply(body=cut))
    report = check(project)
    assert report["changed"] == [] and report["errors"] == []
    [held] = report["suspect"]
    assert held["document"] == "terms" and "not closed" in held["warning"]
    assert len(versions(project)) == 1 and alerts_pending(project) == 0
    http_server.route("/terms", Reply(body=full_page()))
    assert check(project)["changed"] == []
    assert len(versions(project)) == 1 and alerts_pending(project) == 0


def test_large_loss_is_accepted_when_fetched_again(project: Path, http_server: LocalServer) -> None:
    """A well-formed page that lost half its text is held on the first fetch and recorded,
    as a normal change, when the second fetch shows the same text."""
    http_server.route("/terms", Reply(body=full_page()))
    check(project)
    http_server.route("/terms", Reply(body=page(*LONG_TERMS[:8])))
    [first] = check(project)["suspect"]
    assert "the text lost" in first["warning"] and "(seen 1)" in first["warning"]
    assert len(versions(project)) == 1
    second = check(project)
    assert [r["outcome"] for r in second["changed"]] == ["new_version"]
    assert "accepted after 2 fetches" in second["changed"][0]["warning"]
    history = versions(project)
    assert len(history) == 2 and history[1]["change"]["kind"] == "substantive"


def test_confirmations_are_configurable(project: Path, http_server: LocalServer) -> None:
    """With suspect_confirmations = 3 the shortened text needs three fetches in a row."""
    text = project.read_text().replace("backoff = 0\n", "backoff = 0\nsuspect_confirmations = 3\n")
    project.write_text(text)
    http_server.route("/terms", Reply(body=full_page()))
    check(project)
    http_server.route("/terms", Reply(body=page(*LONG_TERMS[:8])))
    check(project)
    table = tosmon(project, "check", "--no-notify")
    assert "acme/terms" in table and "suspect" in table and "held as" in table
    assert len(versions(project)) == 1
    check(project)
    assert len(versions(project)) == 2


def test_body_shorter_than_content_length_is_an_error(
    project: Path, http_server: LocalServer
) -> None:
    """A body that stops before its Content-Length is a fetch error, never a version."""
    http_server.route("/terms", Reply(body=full_page()))
    check(project)
    body = full_page()
    http_server.route("/terms", Reply(body=body[: len(body) // 3], declared_length=len(body)))
    report = check(project)
    assert [r["error_kind"] for r in report["errors"]] == ["protocol"]
    assert len(versions(project)) == 1 and alerts_pending(project) == 0


# -- 7: challenge pages judged by structure ------------------------------------------------------

SHORT_POLICY = """<html><head><title>Usage Policy</title></head><body><main>
<h1>Usage Policy</h1>
<p>You may not use the services to bypass a CAPTCHA, rate limit or any other access control
of a third party, or to help anyone else do so.</p>
<p>If we receive too many requests from your account we may slow down or suspend access
until the volume returns to what your plan allows.</p>
<p>We may update this policy from time to time and will post the new version on this page
with its effective date.</p>
</main></body></html>"""

CLOUDFLARE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="refresh" content="390"></head><body class="no-js">
<div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">acme.example</h1>
<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
<noscript><div id="challenge-error-title">Enable JavaScript and cookies to continue</div></noscript>
<div id="challenge-body-text" class="core-msg spacer">acme.example needs to review the
security of your connection before proceeding.</div>
<form id="challenge-form" action="/terms?__cf_chl_f_tk=abc" method="POST">
<input type="hidden" name="md" value="xyz"></form></div></div>
<script>(function(){window._cf_chl_opt={cvId: '2',cZone: 'acme.example',cType: 'managed'};
var a = document.createElement('script');
a.src = '/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray=8';
document.getElementsByTagName('head')[0].appendChild(a);}());</script>
<div class="footer" role="contentinfo"><div class="footer-inner">
<div class="text-center">Ray ID: <code>8a1b2c3d4e5f6a7b</code></div>
<div class="text-center">Performance &amp; security by Cloudflare</div></div></div>
</body></html>"""

AKAMAI = """<HTML><HEAD>
<TITLE>Access Denied</TITLE>
</HEAD><BODY>
<H1>Access Denied</H1>

You don't have permission to access "http&#58;&#47;&#47;acme&#46;example&#47;terms" on this
server.<P>
Reference&#32;&#35;18&#46;2f3d4e5f&#46;1700000000&#46;1a2b3c4d
<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;2f3d4e5f&#46;1700000000
</BODY>
</HTML>"""

DATADOME = """<html lang="en"><head><title>acme.example</title>
<style>#cmsg{animation: A 1.5s;}@keyframes A{0%{opacity:0;}99%{opacity:0;}100%{opacity:1;}}</style>
</head><body style="margin:0">
<p id="cmsg">Please enable JS and disable any ad blocker</p>
<script data-cfasync="false">var dd={'rt':'c','cid':'AHrlqAAAAAMA','t':'fe','s':45583,
'e':'b8ab','host':'geo.captcha-delivery.com'}</script>
<script data-cfasync="false" src="https://ct.captcha-delivery.com/c.js"></script>
<iframe src="https://geo.captcha-delivery.com/captcha/?initialCid=AHrlqAAAAAMA&amp;cid=x"
title="DataDome CAPTCHA" width="100%" height="100%" frameborder="0"></iframe>
</body></html>"""


def test_short_policy_mentioning_captchas_is_tracked(
    project: Path, http_server: LocalServer
) -> None:
    """A three-paragraph usage policy that mentions bypassing a CAPTCHA and too many requests
    is stored as the document's version, on the first check and on later ones."""
    http_server.route("/terms", Reply(body=SHORT_POLICY))
    report = check(project)
    assert report["errors"] == []
    assert "bypass a CAPTCHA" in tosmon(project, "show", "acme", "terms")
    http_server.route("/terms", Reply(body=SHORT_POLICY.replace("suspend", "block")))
    assert [r["outcome"] for r in check(project)["changed"]] == ["new_version"]


@pytest.mark.parametrize(
    ("body", "status"), [(CLOUDFLARE, 403), (CLOUDFLARE, 200), (AKAMAI, 200), (DATADOME, 200)]
)
def test_real_challenge_structures_stay_refused(
    project: Path, http_server: LocalServer, body: str, status: int
) -> None:
    """Cloudflare, Akamai and DataDome challenge pages served in place of the terms are
    reported as challenges (or HTTP errors) and never replace the stored version."""
    http_server.route("/terms", Reply(body=SHORT_POLICY))
    check(project)
    http_server.route("/terms", Reply(status, body=body))
    report = check(project)
    assert report["changed"] == []
    [error] = report["errors"]
    assert error["document"] == "terms"
    assert ("challenge" in error["error"]) if status == 200 else ("403" in error["error"])
    assert len(versions(project)) == 1
    assert "bypass a CAPTCHA" in tosmon(project, "show", "acme", "terms")


@pytest.mark.parametrize("body", [CLOUDFLARE, AKAMAI, DATADOME])
def test_challenge_inside_a_body_region_is_refused(body: str) -> None:
    """With `select = ["body"]` (the challenge fills the tracked region) it is still refused."""
    from monitor.config import DocumentConfig
    from monitor.errors import CollapsedError
    from monitor.extract import extract

    doc = DocumentConfig("acme", "terms", "Terms", "Acme", "https://acme.example/", ("body",))
    with pytest.raises(CollapsedError, match="challenge"):
        extract(body.encode(), "text/html", doc)


# -- 5: bounded diffs; readers never wait for a writer ----------------------------------------


def test_long_unpunctuated_paragraph_diffs_in_bounded_time(
    project: Path, http_server: LocalServer
) -> None:
    """A 40,000-word paragraph with 20 scattered word changes is recorded, and `tosmon diff
    --words` highlights exactly the changed words, in seconds (difflib took minutes)."""
    import random
    import time

    rng = random.Random(7)
    vocab = [
        "data",
        "service",
        "customer",
        "account",
        "content",
        "model",
        "output",
        "input",
        "retain",
        "share",
        "law",
    ]
    old = [rng.choice(vocab) for _ in range(40_000)]
    new = list(old)
    for k in range(0, 40_000, 2_000):
        new[k] = "revised"
    http_server.route("/terms", Reply(body=page(" ".join(old))))
    check(project)
    http_server.route("/terms", Reply(body=page(" ".join(new))))
    started = time.monotonic()
    report = check(project)
    assert [r["outcome"] for r in report["changed"]] == ["new_version"]
    shown = tosmon(project, "diff", "acme", "terms", "--words")
    assert time.monotonic() - started < 60
    assert shown.count("revised") == 20


def test_read_commands_read_while_a_check_holds_the_write_lock(
    project: Path, http_server: LocalServer
) -> None:
    """While another process holds SQLite's write lock (a check writing), `show`, `history`,
    `status`, `compare` and `export` answer at once from the last committed state instead
    of waiting."""
    import sqlite3
    import time

    http_server.route("/terms", Reply(body=page(*TERMS)))
    check(project)
    writer = sqlite3.connect(project.parent / "tos.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("update documents set url = url")
    try:
        started = time.monotonic()
        assert TERMS[1] in tosmon(project, "show", "acme", "terms")
        assert len(versions(project)) == 1
        status = tosmon(project, "status", "--json")
        assert "terms" in json.dumps(status)
        compared = tosmon(project, "compare", "--json")
        assert {d["document"] for d in compared["documents"]} == {"terms", "privacy"}
        exported = json.loads(tosmon(project, "export", "acme", "terms", "--format", "json"))
        assert exported["version"] == 1 and TERMS[1] in exported["text"]
        assert time.monotonic() - started < 20
    finally:
        writer.execute("ROLLBACK")
        writer.close()


# -- 10: database faults are one line -----------------------------------------------------------


def _one_error_line(result: Any, db: Path) -> str:
    """The output of a failed command: exactly one `Error:` line naming the database file."""
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert lines[0].startswith("Error: ") and str(db) in lines[0]
    assert "Traceback" not in result.output
    return str(lines[0])


@pytest.mark.parametrize("offset", [4096, 12288])
def test_corrupted_database_is_one_line_with_the_hint(
    project: Path, http_server: LocalServer, offset: int
) -> None:
    """A database file with garbage over some of its pages makes `check`, `status` and
    `show` print one line: the file, "corrupted", and "restore from backup or move it aside"."""
    http_server.route("/terms", Reply(body=page(*TERMS)))
    check(project)
    db = project.parent / "tos.db"
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with db.open("r+b") as fh:
        fh.seek(offset)
        fh.write(b"\xde\xad" * 2048)
    for args in (["check", "--no-notify"], ["status"], ["show", "acme", "terms"]):
        result = CliRunner().invoke(main, [*args, "--config", str(project)])
        line = _one_error_line(result, db)
        assert "corrupted" in line and "restore from backup or move it aside" in line


def test_disk_refusing_writes_is_one_line(project: Path, http_server: LocalServer) -> None:
    """When the disk refuses to grow the database's files (a file-size limit standing in for
    a full disk), `check` prints one line naming the file and the disk, and exits 1."""
    import resource
    import signal
    import subprocess
    import sys

    http_server.route("/terms", Reply(body=page(*TERMS)))
    check(project)
    db = project.parent / "tos.db"

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "check", "--no-notify", "--config", str(project)],
        cwd=project.parent,
        preexec_fn=small_disk,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("Error: ") and str(db) in lines[0] and "disk" in lines[0]
    assert "Traceback" not in proc.stderr
    assert len(versions(project)) == 1  # nothing stored was lost


def unprivileged(*args: str) -> list[str]:
    """``args`` as a command that file permissions apply to. As root (CI) that is root
    without the capabilities that override them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH),
    dropped by setpriv: chmod alone does not stop root. The interpreter stays readable,
    unlike running as user nobody when Python lives under /root."""
    if os.geteuid() != 0:
        return list(args)
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file permissions cannot apply")
    drop = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={drop}", f"--bounding-set={drop}", *args]


def _read_only_line(proc: subprocess.CompletedProcess[str], db: Path) -> None:
    """One `Error:` line naming the database, that it is read-only and what to make writable."""
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("Error: ") and str(db) in lines[0]
    assert "read-only" in lines[0] and "writable" in lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_read_only_database_is_one_line_and_loses_nothing(
    project: Path, http_server: LocalServer, read_only: str
) -> None:
    """With the database file read-only for the user running tos-monitor, `check` prints
    one line naming the file, "read-only" and what to make writable, and exits 1, while
    `status` and `history` still answer from it. With its folder read-only SQLite cannot
    even read it (WAL needs its -shm file): every command prints that one line. Nothing
    stored is lost."""
    tosmon_cmd = [sys.executable, "-m", "monitor", "--config", str(project)]

    def run(*args: str, privileged: bool = False) -> subprocess.CompletedProcess[str]:
        command = [*tosmon_cmd, *args]
        return subprocess.run(
            command if privileged else unprivileged(*command),
            cwd=project.parent,
            capture_output=True,
            text=True,
            timeout=120,
        )

    http_server.route("/terms", Reply(body=page(*TERMS)))
    # a process of its own: its exit closes the database cleanly (no -wal/-shm left over)
    assert run("check", "--no-notify", privileged=True).returncode == 0
    db = project.parent / "tos.db"
    http_server.route("/terms", Reply(body=page(*TERMS, "We may also share usage data.")))
    target, mode = (db, 0o444) if read_only == "file" else (project.parent, 0o555)
    before = target.stat().st_mode
    target.chmod(mode)
    try:
        _read_only_line(run("check", "--no-notify"), db)
        status = run("status", "--json")
        history = run("history", "acme", "terms", "--json")
        if read_only == "file":
            assert status.returncode == 0, status.stderr
            assert [d["state"] for d in json.loads(status.stdout)["documents"]] == ["ok", "ok"]
            assert history.returncode == 0 and len(json.loads(history.stdout)["versions"]) == 1
        else:
            _read_only_line(status, db)
            _read_only_line(history, db)
    finally:
        target.chmod(before)
    assert len(versions(project)) == 1


# -- 12: control characters never reach an output ------------------------------------------------

RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e", "\x08")


def _no_controls(text: str, where: str) -> None:
    found = [hex(ord(c)) for c in RAW_CONTROLS if c in text]
    assert not found, f"{where} carries raw control characters {found}"


def test_control_characters_from_a_page_reach_no_output(
    tmp_path: Path, project: Path, http_server: LocalServer
) -> None:
    """ESC, BEL, backspace, CSI (U+009B) and a bidi override in a page's terms are in no
    output: show, history --json, diff --words, the alert email (text and HTML) and the
    digest HTML; the JSON still carries them, escaped."""
    from smtp import SmtpServer, body_of

    hostile = "We keep data \x1b[2J30 days\x07 then\x08 delete \x9b31mit \u202eforever."
    with SmtpServer() as smtp:
        text = project.read_text() + (
            f'\n[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsecurity = "none"\n'
            'from = "monitor@example.test"\nto = ["legal@example.test"]\nalerts = "all"\n'
        )
        project.write_text(text)
        http_server.route("/terms", Reply(body=page(TERMS[0], hostile).encode()))
        tosmon(project, "check", "--json")
        http_server.route("/terms", Reply(body=page(TERMS[0], hostile.replace("30", "90"))))
        tosmon(project, "check", "--json")
        [mail] = smtp.received
    _no_controls(body_of(mail.message, "plain"), "the alert's text")
    _no_controls(body_of(mail.message, "html"), "the alert's HTML")
    assert "90 days" in body_of(mail.message, "plain")
    _no_controls(tosmon(project, "show", "acme", "terms"), "show")
    _no_controls(tosmon(project, "diff", "acme", "terms", "--words"), "diff --words")
    raw = CliRunner().invoke(main, ["history", "acme", "terms", "--json", "--config", str(project)])
    _no_controls(raw.stdout, "history --json")
    assert "\x9b31mit" in json.dumps(json.loads(raw.stdout), ensure_ascii=False)
    out = tmp_path / "digest.html"
    tosmon(project, "digest", "--since", "2000-01-01", "--output", str(out))
    _no_controls(out.read_text(encoding="utf-8"), "the digest HTML")
    assert "90 days" in out.read_text(encoding="utf-8")


def test_configured_names_are_shown_as_text_not_rich_markup(project: Path) -> None:
    """A document name holding rich markup is printed literally by `sources list`."""
    text = project.read_text().replace(
        "[providers.acme.documents.terms]\n",
        '[providers.acme.documents.terms]\nname = "[red]T[/red]"\n',
    )
    project.write_text(text)
    shown = tosmon(project, "sources", "list")
    assert "[red]T[/red]" in shown


# -- 3: oversized changes make bounded messages -------------------------------------------------


def test_oversized_change_is_stored_and_alerted_compactly_with_the_others(
    project: Path, http_server: LocalServer
) -> None:
    """A 600 kB paragraph added to one document is stored whole; its alert carries the
    summary and the `tosmon diff` command, every email stays under max_message_bytes (the
    server refuses bigger ones), and the other document's change arrives too."""
    from smtp import SmtpServer, body_of

    huge = " ".join(f"Clause {n} says the customer may audit the provider." for n in range(12_000))
    with SmtpServer(data_size_limit=150_000) as smtp:
        # Reading the huge page holds the event loop for seconds (parsing runs on it, see
        # issue 15): the other document's fetch must not time out meanwhile.
        project.write_text(
            project.read_text().replace("timeout = 2.0", "timeout = 60.0")
            + f'\n[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsecurity = "none"\n'
            'from = "monitor@example.test"\nto = ["legal@example.test"]\nalerts = "all"\n'
            "max_message_bytes = 100000\n"
        )
        http_server.route("/terms", Reply(body=page(*TERMS)))
        tosmon(project, "check", "--json")
        http_server.route("/terms", Reply(body=page(*TERMS, huge)))
        http_server.route("/privacy", Reply(body=page("We collect your postal address.")))
        report = tosmon(project, "check", "--json")
        assert len(report["changed"]) == 2
        received = list(smtp.received)
    assert received and all(len(m.raw) < 150_000 for m in received)
    texts = [body_of(m.message, "plain") for m in received]
    assert any("tosmon diff acme terms" in t for t in texts)
    assert any("{+postal+} address" in t for t in texts)
    assert huge in tosmon(project, "show", "acme", "terms")


def test_page_text_over_the_limit_is_an_error_and_loses_nothing(
    project: Path, http_server: LocalServer
) -> None:
    """A page whose text grows past `max_text_bytes` is that document's error naming the
    setting: the version stored before stays the latest, the other document's change is
    recorded in the same run, and raising the limit records the big text next time."""
    project.write_text(
        project.read_text().replace("backoff = 0", "backoff = 0\nmax_text_bytes = 20000")
    )
    http_server.route("/terms", Reply(body=page(*TERMS)))
    check(project)
    huge = [f"Clause {n}: the customer may audit the provider once a year." for n in range(600)]
    http_server.route("/terms", Reply(body=page(*TERMS, *huge)))
    http_server.route("/privacy", Reply(body=page("We collect your postal address.")))
    report = check(project)
    [error] = report["errors"]
    assert (error["document"], error["error_kind"]) == ("terms", "text_too_large")
    assert "over `max_text_bytes` = 20,000" in error["error"]
    assert [c["document"] for c in report["changed"]] == ["privacy"]
    assert len(versions(project)) == 1 and huge[0] not in tosmon(project, "show", "acme", "terms")
    status = tosmon(project, "status", "--json")
    [terms] = [d for d in status["documents"] if d["document"] == "terms"]
    assert terms["last_error"]["kind"] == "text_too_large"
    assert "max_text_bytes" in terms["last_error"]["message"]
    project.write_text(
        project.read_text().replace("max_text_bytes = 20000", "max_text_bytes = 100000")
    )
    assert [c["document"] for c in check(project)["changed"]] == ["terms"]
    assert huge[-1] in tosmon(project, "show", "acme", "terms")
