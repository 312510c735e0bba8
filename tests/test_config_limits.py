"""sources.toml values that used to pass validation and crash or hang later (issue 12 §9):
each is refused by `tosmon sources validate` with exit 2, the file, the line and what is
allowed — before any network or database work."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import main

BASE = """[monitor]
timeout = 5

[email]
smtp_host = "mail.example.org"
from = "tos-monitor@example.org"
to = ["legal@example.org"]

[providers.acme]
name = "Acme"

[providers.acme.documents.terms]
url = "https://acme.example/terms"
select = ["main"]
"""
MONITOR_LINE = 1
EMAIL_LINE = 4
TERMS_LINE = 12


def validate(tmp_path: Path, text: str, encoding: str = "utf-8") -> Result:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding=encoding)
    return CliRunner().invoke(main, ["sources", "validate", "--config", str(path)])


def monitor(setting: str) -> str:
    return BASE.replace("timeout = 5", setting)


def email(setting: str) -> str:
    return BASE.replace(
        'smtp_host = "mail.example.org"', f'smtp_host = "mail.example.org"\n{setting}'
    )


CASES = {
    "max_bytes = inf": (
        monitor("max_bytes = inf"),
        MONITOR_LINE,
        "`max_bytes` must be a whole number from 1_024 to 2_000_000_000, got inf",
    ),
    "max_text_bytes = 0": (
        monitor("max_text_bytes = 0"),
        MONITOR_LINE,
        "`max_text_bytes` must be a whole number from 1_000 to 2_000_000_000, got 0",
    ),
    "retries = nan": (
        monitor("retries = nan"),
        MONITOR_LINE,
        "`retries` must be a whole number from 0 to 20, got nan",
    ),
    "timeout = nan": (
        monitor("timeout = nan"),
        MONITOR_LINE,
        "`timeout` must be a number from 0.1 to 3_600, got nan",
    ),
    "timeout = inf": (monitor("timeout = inf"), MONITOR_LINE, "`timeout` must be a number"),
    "timeout = 1e300": (
        monitor("timeout = 1e300"),
        MONITOR_LINE,
        "`timeout` must be a number from 0.1 to 3_600, got 1e+300",
    ),
    "backoff = inf": (
        monitor("backoff = inf"),
        MONITOR_LINE,
        "`backoff` must be a number from 0 to 3_600, got inf",
    ),
    "retries = 2.5": (
        monitor("retries = 2.5"),
        MONITOR_LINE,
        "`retries` must be a whole number from 0 to 20, got 2.5",
    ),
    "url port 99999": (
        BASE.replace("https://acme.example/terms", "https://acme.example:99999/terms"),
        TERMS_LINE,
        "`url` 'https://acme.example:99999/terms' has an invalid port",
    ),
    "url with a bad IDNA name": (
        BASE.replace("https://acme.example/terms", "https://xn--/terms"),
        TERMS_LINE,
        "has an invalid host name 'xn--'",
    ),
    "smtp_port = 70000": (
        email("smtp_port = 70000"),
        EMAIL_LINE,
        "`smtp_port` must be a whole number from 1 to 65_535, got 70000",
    ),
    "CR/LF in an address": (
        BASE.replace('"legal@example.org"', '"legal@example.org\\r\\nBcc: spy@evil.example"'),
        EMAIL_LINE,
        "`to`: 'legal@example.org\\r\\nBcc: spy@evil.example' contains a line break",
    ),
    "not an address": (
        BASE.replace('from = "tos-monitor@example.org"', 'from = "tos-monitor"'),
        EMAIL_LINE,
        "`from`: 'tos-monitor' is not an email address (user@domain)",
    ),
    "documents = 5": (
        BASE.split("[providers.acme.documents.terms]")[0].replace(
            'name = "Acme"', 'name = "Acme"\ndocuments = 5'
        ),
        9,
        "must be a table of documents, one [providers.acme.documents.DOC] table each; got 5",
    ),
    "[[providers.x.documents]]": (
        BASE.replace("[providers.acme.documents.terms]", "[[providers.acme.documents]]"),
        TERMS_LINE,
        "got an array of tables ([[...]])",
    ),
    "the same url by scheme case": (
        BASE + '\n[providers.acme.documents.copy]\nurl = "HTTPS://Acme.Example/terms"\n'
        'select = ["main"]\n',
        16,
        "is already watched by acme/terms",
    ),
    "the same url with a fragment and default port": (
        BASE + '\n[providers.acme.documents.copy]\nurl = "https://acme.example:443/terms#top"\n'
        'select = ["main"]\n',
        16,
        "compared without the #fragment",
    ),
    "allow_redirect_hosts with a URL": (
        monitor('allow_redirect_hosts = ["https://other.example/"]'),
        MONITOR_LINE,
        "`allow_redirect_hosts`: 'https://other.example/' is not",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_value_exits_2_naming_file_line_and_what_is_allowed(
    tmp_path: Path, case: str
) -> None:
    """Each value is refused at validation with the file, its table's line and the rule."""
    text, line, message = CASES[case]
    result = validate(tmp_path, text)
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'sources.toml'}:{line}: [" in result.output
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("text", ["", "\n# nothing yet\n", "[monitor]\ntimeout = 5\n"])
def test_a_file_without_documents_exits_2_saying_what_to_add(tmp_path: Path, text: str) -> None:
    """An empty file (or one without documents) is not "OK": exit 2, naming what to add."""
    result = validate(tmp_path, text)
    assert result.exit_code == 2
    assert "no documents configured" in result.output
    assert "[providers.ID.documents.DOC]" in result.output
    assert ("(the file is empty)" in result.output) == ("monitor" not in text)


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    """A file saved with a UTF-8 byte order mark (Windows editors) validates like any other."""
    result = validate(tmp_path, BASE, encoding="utf-8-sig")
    assert result.exit_code == 0, result.output
    assert "OK (1 documents, 1 providers)" in result.output


def test_plaintext_auth_over_the_network_is_warned_about(tmp_path: Path) -> None:
    """security = "none" with a username to a remote host warns that the password travels
    unencrypted; the file is still valid (some trusted relays want it)."""
    result = validate(tmp_path, email('security = "none"\nusername = "monitor"'))
    assert result.exit_code == 0, result.output
    assert 'security = "none" with a username sends the SMTP password unencrypted' in result.stderr
    assert "mail.example.org" in result.stderr


@pytest.mark.parametrize(
    "setting",
    [
        'security = "starttls"\nusername = "monitor"',
        'security = "none"',  # no AUTH, no password
    ],
)
def test_no_warning_without_plaintext_auth(tmp_path: Path, setting: str) -> None:
    """Encrypted AUTH, or no AUTH at all, gives no warning."""
    result = validate(tmp_path, email(setting))
    assert result.exit_code == 0, result.output
    assert "unencrypted" not in result.stderr


def test_no_warning_for_a_relay_on_this_machine(tmp_path: Path) -> None:
    """A relay on 127.0.0.1 / localhost is not reachable on the network: no warning."""
    text = email('security = "none"\nusername = "monitor"').replace("mail.example.org", "localhost")
    result = validate(tmp_path, text)
    assert result.exit_code == 0, result.output
    assert "unencrypted" not in result.stderr
