"""A hostile world, content side: pages, texts and messages that once crashed a run or
raised a false alert, each served by a real HTTP server on 127.0.0.1 to a real `tosmon`."""

from __future__ import annotations

import json
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
