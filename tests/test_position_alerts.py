"""Changes graded and described by positions, end to end: a live check of a real page
server, the real SQLite history, and the alert as a real SMTP server (127.0.0.1) gets it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from servers import LocalServer, Reply
from smtp import SmtpServer, body_of

from monitor.cli import main

TERMS = (
    "<html><body><main><h1>Terms</h1><h2>Retention</h2><p>We retain API inputs and outputs "
    "for 30 days.</p><p>Other text long enough to make this a real policy document body, "
    "about accounts and billing.</p></main></body></html>"
)
DPA = (
    "<html><body><main><h1>Data Processing Addendum</h1><h2>Subprocessors</h2><p>Acme uses "
    "the following subprocessors to provide the Services:</p><ul><li>Northwind Hosting Ltd. "
    "(cloud hosting, United States)</li><li>Contoso Mail Inc. (email delivery)</li>{more}"
    "</ul></main></body></html>"
)


def configure(tmp_path: Path, server: LocalServer, smtp: SmtpServer) -> Path:
    config = tmp_path / "sources.toml"
    config.write_text(
        f'[monitor]\ndatabase = "sqlite:///{tmp_path / "tos.db"}"\nretries = 0\n'
        '[providers.acme]\nname = "Acme"\n'
        f'[providers.acme.documents.terms]\nname = "Terms"\nurl = "{server.url("/terms")}"\n'
        'select = ["main"]\n'
        f'[providers.acme.documents.dpa]\nname = "DPA"\nurl = "{server.url("/dpa")}"\n'
        'select = ["main"]\n'
        f'[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsecurity = "none"\n'
        'from = "monitor@example.test"\nto = ["legal@example.test"]\n',
        encoding="utf-8",
    )
    return config


def check(config: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert result.exit_code == 0, result.output


def test_alerts_lead_with_position_changes_and_new_subprocessors(tmp_path: Path) -> None:
    """A retention period going from 30 to 90 days and a provider added to the list of
    subprocessors each send a HIGH alert; the retention alert shows the position before →
    after with the sentences behind it, the other names the new subprocessor."""
    with LocalServer() as server, SmtpServer() as smtp:
        config = configure(tmp_path, server, smtp)
        server.route("/terms", Reply(body=TERMS))
        server.route("/dpa", Reply(body=DPA.format(more="")))
        check(config)
        assert smtp.received == []  # baselines alert no one
        server.route("/terms", Reply(body=TERMS.replace("30 days", "90 days")))
        server.route("/dpa", Reply(body=DPA.format(more="<li>Fabrikam GmbH (analytics)</li>")))
        check(config)
    [alert] = smtp.received
    subject = str(alert.message["Subject"])
    assert subject.startswith("[tos-monitor] HIGH: 2 changes")
    text = body_of(alert.message, "plain").replace("\r\n", "\n")
    assert "Retention: 30 days (API) -> 90 days (API)" in text  # scoped: "API inputs"
    assert 'before: "We retain API inputs and outputs for 30 days."' in text
    assert 'after:  "We retain API inputs and outputs for 90 days."' in text
    assert "Summary: Subprocessors added: Fabrikam GmbH (analytics)." in text
    html = body_of(alert.message, "html")
    assert "Fabrikam GmbH (analytics)" in html and "90 days" in html
