"""What `tosmon check` tells cron and a reader when documents fail: `--fail-on errors`
exits 3, and network errors name the host that failed. Real servers on 127.0.0.1, a
real SQLite file; the DNS failure happens in a network namespace without a resolver."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from servers import LocalServer, Reply

from monitor.cli import main

GOOD = "<html><body><main><h1>Terms</h1><p>These terms apply to you.</p></main></body></html>"


def write_config(tmp_path: Path, urls: dict[str, str], timeout: float = 2.0) -> Path:
    docs = "".join(
        f'\n[providers.acme.documents.{doc}]\nurl = "{url}"\nselect = ["main"]\n'
        for doc, url in urls.items()
    )
    path = tmp_path / "sources.toml"
    path.write_text(
        f'[monitor]\ndatabase = "sqlite:///{tmp_path / "tos.db"}"\ntimeout = {timeout}\n'
        f'retries = 0\nbackoff = 0\n\n[providers.acme]\nname = "Acme"\n{docs}',
        encoding="utf-8",
    )
    return path


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def check(config: Path, *args: str) -> Result:
    return CliRunner().invoke(
        main, ["check", "--json", "--no-notify", "--config", str(config), *args]
    )


def errors(result: Result) -> dict[str, str]:
    report: dict[str, Any] = json.loads(result.stdout)
    return {r["document"]: r["error"] for r in report["errors"]}


def test_fail_on_errors_exits_3_when_a_document_failed(
    tmp_path: Path, http_server: LocalServer
) -> None:
    """With one document answering 500, `check` exits 0 (the run happened) and
    `check --fail-on errors` exits 3 naming it on stderr, its report printed all the same."""
    http_server.route("/good", Reply(body=GOOD))
    http_server.route("/broken", Reply(500))
    config = write_config(
        tmp_path, {"good": http_server.url("/good"), "broken": http_server.url("/broken")}
    )
    plain = check(config)
    assert plain.exit_code == 0 and set(errors(plain)) == {"broken"}
    strict = check(config, "--fail-on", "errors")
    assert strict.exit_code == 3
    assert errors(strict) == {"broken": "HTTP 500 Internal Server Error"}
    assert "1 document(s) failed: acme/broken" in strict.stderr


def test_fail_on_errors_exits_0_when_every_document_was_checked(
    tmp_path: Path, http_server: LocalServer
) -> None:
    """No document failing: `--fail-on errors` exits 0 and prints nothing on stderr."""
    http_server.route("/good", Reply(body=GOOD))
    config = write_config(tmp_path, {"good": http_server.url("/good")})
    result = check(config, "--fail-on", "errors")
    assert result.exit_code == 0 and result.stderr == "" and errors(result) == {}


def test_refused_connection_and_timeout_name_the_host(
    tmp_path: Path, http_server: LocalServer
) -> None:
    """A closed port and a server slower than the timeout are reported with the host
    (and port) that failed, in the JSON and in the table."""
    port = closed_port()
    http_server.route("/slow", Reply(body=GOOD, delay=3))
    config = write_config(
        tmp_path,
        {"closed": f"http://127.0.0.1:{port}/terms", "slow": http_server.url("/slow")},
        timeout=0.5,
    )
    found = errors(check(config))
    assert found["closed"].startswith(f"cannot connect to 127.0.0.1:{port}: ")
    assert found["slow"] == f"timed out after 0.5 s waiting for 127.0.0.1:{http_server.port}"
    table = CliRunner().invoke(
        main, ["check", "--no-notify", "--config", str(config)], env={"COLUMNS": "200"}
    )
    assert table.exit_code == 0 and f"cannot connect to 127.0.0.1:{port}" in table.stdout


def _no_network_namespace() -> bool:
    if shutil.which("unshare") is None:
        return True
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    return probe.returncode != 0


@pytest.mark.skipif(_no_network_namespace(), reason="needs `unshare -n` (root, Linux)")
def test_a_host_name_that_does_not_resolve_is_named(tmp_path: Path) -> None:
    """In a network namespace with no resolver reachable, a document on a host name is
    reported as a DNS failure naming that host, not as a bare errno."""
    config = write_config(tmp_path, {"terms": "https://terms.acme.example/legal"})
    env = {**os.environ, "TOSMON_DB": "", "TOSMON_CONFIG": ""}
    proc = subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "monitor", "check", "--json", "--no-notify"]
        + ["--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        cwd=tmp_path,  # the installed package, not the checkout's ./monitor
    )
    assert proc.returncode == 0, proc.stderr
    [report] = json.loads(proc.stdout)["errors"]
    assert report["error_kind"] == "connect"
    assert report["error"].startswith("cannot resolve terms.acme.example: ")
    assert "DNS" in report["error"]
