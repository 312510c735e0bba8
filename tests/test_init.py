"""`tosmon init` and a newcomer's first hour, through the installed `tosmon` command.

The shipped catalogue names the providers' real URLs; every backfill here reads a
Wayback-compatible archive on 127.0.0.1 (tests/wayback.py) given with `--archive`, so no
request leaves the machine: the real URLs only travel as the archive's lookup keys.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from wayback import FakeWayback

from monitor.cli import main
from monitor.cli_init import split_catalogue, starter_text
from monitor.config import Config, load_config

TOSMON = Path(sys.executable).with_name("tosmon")  # the console script of the installed package
SERVICES = "https://openai.com/policies/services-agreement/"
COMMERCIAL = "https://www.anthropic.com/legal/commercial-terms"
OWN = "As between you and us, you own all Input and Output."
NO_TRAINING = "We will not use Customer Content to develop or improve our services."
OPT_OUT = "We may use Customer Content to train our models unless you opt out."
NOTICE = "We may change these terms with 30 days notice."


def page(title: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><body><nav>Menu</nav><main><h1>{title}</h1><h2>Your content</h2>{body}"
        "</main><footer>Footer</footer></body></html>"
    )


@pytest.fixture
def archive() -> Iterator[FakeWayback]:
    """Three captures of OpenAI's services agreement (the training clause turns to
    opt-out in the last) and one of Anthropic's commercial terms."""
    with FakeWayback() as server:
        server.add(SERVICES, "20230105120000", page("Services Agreement", OWN, NO_TRAINING))
        server.add(SERVICES, "20231110090000", page("Services Agreement", OWN, NO_TRAINING, NOTICE))
        server.add(SERVICES, "20240601000000", page("Services Agreement", OWN, OPT_OUT, NOTICE))
        server.add(
            COMMERCIAL,
            "20230301000000",
            page("Commercial Terms", "Anthropic may not train models on Customer Content."),
        )
        yield server


def catalogue() -> Config:
    """The catalogue shipped in the package, as a configuration."""
    return load_config(Path(str(files("monitor").joinpath("catalogue.toml"))))


def init(tmp_path: Path, *args: str) -> Result:
    config = tmp_path / "sources.toml"
    return CliRunner().invoke(main, ["init", "--config", str(config), *args])


def user_env(tmp_path: Path) -> dict[str, str]:
    """A user's environment: no tosmon settings from the test run, 80 columns."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOSMON_")}
    return env | {"COLUMNS": "80", "HOME": str(tmp_path), "TERM": "xterm"}


def tosmon(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed `tosmon` in ``tmp_path`` as a user would; it must succeed."""
    done = subprocess.run(
        [str(TOSMON), *args],
        cwd=tmp_path,
        env=user_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"tosmon {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def test_init_writes_the_catalogue_with_a_comment_per_provider(
    tmp_path: Path, archive: FakeWayback
) -> None:
    """`tosmon init` writes every catalogue document into ./sources.toml, each provider
    introduced by a comment naming it; without a terminal it does not backfill and says
    `tosmon backfill` is the next step."""
    result = init(tmp_path, "--archive", archive.base)
    assert result.exit_code == 0, result.output
    shipped = catalogue()
    written = load_config(tmp_path / "sources.toml")
    assert [d.key for d in written.documents()] == [d.key for d in shipped.documents()]
    assert [d.url for d in written.documents()] == [d.url for d in shipped.documents()]
    assert written.archive.wayback_url == archive.base
    text = (tmp_path / "sources.toml").read_text(encoding="utf-8")
    for provider in shipped.providers:
        block = text.split(f"[providers.{provider.id}]\n")[0].rsplit("\n\n", 1)[-1]
        assert block.startswith("#") and provider.name in block, provider.id
    counts = f"{len(shipped.documents())} documents of {len(shipped.providers)} providers"
    assert f"Wrote {tmp_path / 'sources.toml'}: {counts}" in result.stdout
    assert "tosmon backfill --config" in result.stdout
    assert archive.requests == []
    assert not (tmp_path / "tosmon.db").exists()


def test_init_keeps_an_existing_file_unless_forced(tmp_path: Path) -> None:
    """An existing sources.toml is never overwritten silently: exit 2 naming --force, the
    file unchanged; with --force it is replaced by the catalogue."""
    config = tmp_path / "sources.toml"
    config.write_text("# my own settings\n", encoding="utf-8")
    refused = init(tmp_path)
    assert refused.exit_code == 2
    assert f"{config} already exists" in refused.output and "--force" in refused.output
    assert config.read_text(encoding="utf-8") == "# my own settings\n"
    forced = init(tmp_path, "--force")
    assert forced.exit_code == 0, forced.output
    assert len(load_config(config).documents()) == len(catalogue().documents())


def test_init_in_a_checkout_keeps_the_shipped_sources_toml(tmp_path: Path) -> None:
    """Run in a fresh checkout, whose ./sources.toml is the catalogue itself, `tosmon init`
    keeps that file (it is exactly what it would write) and goes on instead of refusing;
    the checkout's file is the one the package ships."""
    shipped = Path(__file__).resolve().parents[1] / "sources.toml"
    packaged = files("monitor").joinpath("catalogue.toml").read_text(encoding="utf-8")
    assert shipped.read_text(encoding="utf-8") == packaged
    config = tmp_path / "sources.toml"
    config.write_text(packaged, encoding="utf-8")
    kept = init(tmp_path, "--no-backfill")
    assert kept.exit_code == 0, kept.output
    assert f"Kept {config}: {len(catalogue().documents())} documents" in kept.stdout
    assert config.read_text(encoding="utf-8") == packaged
    refused = init(tmp_path, "-p", "openai")
    assert refused.exit_code == 2 and "already exists" in refused.output


def test_init_writes_only_the_chosen_providers(tmp_path: Path) -> None:
    """`-p` is repeatable and keeps only those providers; an unknown id exits 2 with a
    close match and the catalogue's ids, writing nothing."""
    wrong = init(tmp_path, "-p", "anthropic", "-p", "opnai")
    assert wrong.exit_code == 2
    assert "Did you mean 'openai'?" in wrong.output
    assert ", ".join(p.id for p in catalogue().providers) in wrong.output
    assert not (tmp_path / "sources.toml").exists()
    chosen = init(tmp_path, "-p", "anthropic", "-p", "google")
    assert chosen.exit_code == 0, chosen.output
    written = load_config(tmp_path / "sources.toml")
    assert [p.id for p in written.providers] == ["anthropic", "google"]
    expected = [d.key for d in catalogue().documents() if d.provider in ("anthropic", "google")]
    assert [d.key for d in written.documents()] == expected


def test_init_with_a_bad_archive_url_writes_nothing(tmp_path: Path) -> None:
    """An --archive that is not an http(s) URL is refused with the file and key named
    (exit 2), and no file (not even a temporary one) is left behind."""
    result = init(tmp_path, "--archive", "ftp://archive.example/")
    assert result.exit_code == 2
    assert f"{tmp_path / 'sources.toml'}:" in result.output
    assert "wayback_url" in result.output and "ftp://archive.example/" in result.output
    assert list(tmp_path.iterdir()) == []


def test_newcomer_first_hour(tmp_path: Path, archive: FakeWayback) -> None:
    """The walkthrough of README "Your first hour": the installed `tosmon`, `init
    --backfill` from the archive, then `history --clause training` shows when training
    turned to opt-out and `compare` shows each position with the date it holds since."""
    assert TOSMON.exists(), f"no installed `tosmon` next to {sys.executable}"
    version = tosmon(tmp_path, "--version")
    assert re.fullmatch(r"tosmon, version \d+\.\d+\.\d+\S*\n", version.stdout)

    first = tosmon(
        tmp_path,
        *("--log-level", "info", "init", "--backfill", "--archive", archive.base),
        *("--rate", "1000"),
    )
    assert f"Wrote sources.toml: {len(catalogue().documents())} documents" in first.stdout
    assert "Backfilled" in first.stdout
    notes = first.stderr
    assert "openai/services-agreement: 3 listed, 3 fetched, 0 skipped, 3 new version(s)" in notes
    assert "anthropic/commercial-terms: 1 listed, 1 fetched, 0 skipped" in notes
    assert "backfill: 4/4 captures (100 %)" in notes
    assert len(archive.capture_requests()) == 4

    training = tosmon(tmp_path, "history", "--clause", "training").stdout
    assert "training clause: 1 change(s), newest first" in training
    assert "2024-06-01" in training and "openai/services-agreement v3" in training
    assert f"-{NO_TRAINING}" in training and f"+{OPT_OUT}" in training

    compare = json.loads(tosmon(tmp_path, "compare", "--json").stdout)
    rows = {f"{d['provider']}/{d['document']}": d for d in compare["documents"]}
    services = rows["openai/services-agreement"]["positions"]
    assert services["training_use"]["value"] == ["opt_out"]
    assert services["training_use"]["since"].startswith("2024-06-01")
    assert services["change_notice_days"]["value"] == 30
    assert services["change_notice_days"]["since"].startswith("2023-11-10")
    commercial = rows["anthropic/commercial-terms"]["positions"]
    assert commercial["training_use"]["value"] == ["not_used"]
    table = tosmon(tmp_path, "compare").stdout
    assert "opt-out  (since 2024-06-01)" in table

    again = tosmon(tmp_path, "--log-level", "info", "backfill")
    assert "openai/services-agreement: 3 listed, 0 fetched, 3 skipped" in again.stderr
    assert len(archive.capture_requests()) == 4  # nothing fetched twice


def on_terminal(tmp_path: Path, args: list[str], answer: bytes) -> str:
    """Run the installed `tosmon` on a pseudo-terminal (stdin, stdout and stderr), type
    ``answer`` at the first question, and return everything it showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes `tosmon`
        os.chdir(tmp_path)
        os.execve(str(TOSMON), [str(TOSMON), *args], user_env(tmp_path))
    shown, answered, deadline = b"", False, time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            if not answered and b"[Y/n]" in shown:
                os.write(fd, answer)
                answered = True
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, shown.decode(errors="replace")
    return shown.decode(errors="replace")


def test_init_on_a_terminal_asks_and_backfills_with_a_progress_bar(
    tmp_path: Path, archive: FakeWayback
) -> None:
    """On a terminal, `tosmon init` asks whether to fill in past versions; a yes runs the
    backfill with a progress bar (counts, ETA) and the per-document listed/fetched/skipped
    lines; a no leaves `tosmon backfill` as the next step."""
    shown = on_terminal(tmp_path, ["init", "--archive", archive.base, "--rate", "1000"], b"y\n")
    assert f"Fill in past versions from {archive.base} now" in shown
    frames = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown).split("\r")
    bar = r"backfill [━╸╺]+ {}/4 captures \d:\d\d:\d\d ETA {} (openai|anthropic)/\S+"
    assert any(re.search(bar.format("[1-3]", r"\S+"), f) for f in frames)  # on the way
    assert any(re.search(bar.format("4", r"\d:\d\d:\d\d"), f) for f in frames)  # done
    assert "openai/services-agreement: 3 listed, 3 fetched, 0 skipped" in shown
    assert len(archive.capture_requests()) == 4
    declined = tmp_path / "declined"
    declined.mkdir()
    shown = on_terminal(declined, ["init", "--archive", archive.base], b"n\n")
    assert "tosmon backfill" in shown
    assert len(archive.capture_requests()) == 4 and not (declined / "tosmon.db").exists()


def test_init_backfill_from_a_day_fetches_only_later_captures(
    tmp_path: Path, archive: FakeWayback
) -> None:
    """`init --from DAY` backfills (no --backfill needed) only the captures from that day
    on, and says per document how many the archive listed and how many were fetched."""
    config = tmp_path / "sources.toml"
    args = ["--archive", archive.base, "--rate", "1000", "-p", "openai", "--from", "2023-06-01"]
    result = CliRunner().invoke(
        main, ["--log-level", "info", "init", "--config", str(config), *args]
    )
    assert result.exit_code == 0, result.output
    assert "openai/services-agreement: 2 listed, 2 fetched, 0 skipped" in result.stderr
    # fetched ahead concurrently: the order the archive sees them in is not fixed
    fetched = sorted(re.sub(r"^/web/(\d+).*", r"\1", p) for p in archive.capture_requests())
    assert fetched == ["20231110090000", "20240601000000"]


def test_a_command_without_sources_toml_points_to_init(tmp_path: Path) -> None:
    """A newcomer's first `tosmon check` in an empty folder says the file is missing and
    that `tosmon init` writes one (exit 2, nothing fetched)."""
    done = subprocess.run(
        [str(TOSMON), "check"],
        cwd=tmp_path,
        env=user_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "sources.toml: file not found" in done.stderr
    assert "`tosmon init` writes a starter one" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_starter_text_sets_archive_settings_the_catalogue_leaves_out(tmp_path: Path) -> None:
    """--archive and --rate apply whether the catalogue's [archive] table states them or
    not, and a provider's comment travels with its table."""
    text = (
        '[monitor]\ndatabase = "sqlite:///t.db"\n\n[archive]\nretries = 1\n\n'
        '# Acme: its pages\n[providers.acme]\nname = "Acme"\n\n'
        '[providers.acme.documents.terms]\nurl = "https://acme.example/terms"\n'
        'select = ["main"]\n'
    )
    catalogue = split_catalogue(text)
    assert list(catalogue.providers) == ["acme"]
    assert catalogue.providers["acme"].startswith("# Acme: its pages\n[providers.acme]\n")
    path = tmp_path / "sources.toml"
    path.write_text(starter_text(catalogue, (), "http://127.0.0.1:9/wb", 5.0), encoding="utf-8")
    config = load_config(path)
    assert (config.archive.wayback_url, config.archive.rate) == ("http://127.0.0.1:9/wb", 5.0)
    assert config.archive.retries == 1
