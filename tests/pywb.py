"""A stock pywb on 127.0.0.1, fed WARCs written here: the archive software no one here wrote.

    archive = Pywb(tmp_path, query_limit=20)
    archive.add("https://acme.example/terms", "20230101000000", "<main>...</main>")
    with archive:                       # writes the WARC, `wb-manager init/add`, `wayback`
        archive.base                    # http://127.0.0.1:PORT/coll  ([archive].wayback_url)

pywb and warcio are test dependencies; ``wayback`` and ``wb-manager`` are the scripts pywb
installs beside this Python.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

from smtp import free_port
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from monitor.archive import parse_timestamp

COLLECTION = "coll"


def script(name: str) -> str:
    """The path of one of pywb's console scripts (beside this interpreter, else on PATH)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise RuntimeError(f"pywb's `{name}` script is not installed (pip install pywb)")
    return found


def write_warc(path: Path, captures: Iterable[tuple[str, str, bytes, str]]) -> None:
    """A gzipped WARC of HTTP responses: (url, 14-digit timestamp, HTML body, status) each."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, timestamp, body, status in captures:
            headers = StatusAndHeaders(
                status,
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
                protocol="HTTP/1.1",
            )
            when = parse_timestamp(timestamp).strftime("%Y-%m-%dT%H:%M:%SZ")
            record = writer.create_warc_record(
                url,
                "response",
                payload=BytesIO(body),
                length=len(body),  # known: warcio buffers nothing (no temporary file)
                http_headers=headers,
                warc_headers_dict={"WARC-Date": when},
            )
            writer.write_record(record)


class Pywb:
    """One pywb collection in ``root`` served by ``wayback`` while in a ``with`` block."""

    def __init__(self, root: Path, query_limit: int | None = None) -> None:
        self.root = root
        self.query_limit = query_limit
        self.port = free_port()
        self._captures: list[tuple[str, str, bytes, str]] = []
        self._warcs: list[Path] = []
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/{COLLECTION}"

    def add(self, url: str, timestamp: str, html: str | bytes, status: str = "200 OK") -> None:
        body = html.encode() if isinstance(html, str) else html
        self._captures.append((url, timestamp, body, status))

    def add_warc(self, path: Path) -> None:
        """Serve the records of a WARC file written elsewhere (e.g. with ``write_warc``)."""
        self._warcs.append(path)

    def start(self) -> Pywb:
        self.root.mkdir(parents=True, exist_ok=True)
        warc = self.root / "captures.warc.gz"
        write_warc(warc, self._captures)
        config = "framed_replay: false\n"
        if self.query_limit is not None:
            config += f"query_limit: {self.query_limit}\n"
        (self.root / "config.yaml").write_text(config, encoding="utf-8")
        self._manager("init", COLLECTION)
        self._manager("add", COLLECTION, str(warc), *map(str, self._warcs))
        with (self.root / "wayback.log").open("wb") as log:  # the child keeps its own copy
            self._proc = subprocess.Popen(
                [script("wayback"), "-b", "127.0.0.1", "-p", str(self.port)],
                cwd=self.root,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self._wait_ready()
        return self

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def __enter__(self) -> Pywb:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _manager(self, *args: str) -> None:
        done = subprocess.run(
            [script("wb-manager"), *args], cwd=self.root, capture_output=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"wb-manager {' '.join(args)} failed: {done.stderr.decode()}")

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        probe = f"{self.base}/cdx?url=https://probe.invalid/&output=json"
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                log = (self.root / "wayback.log").read_text(errors="replace")
                raise RuntimeError(f"pywb exited ({self._proc.returncode}): {log[-2000:]}")
            try:
                with urllib.request.urlopen(probe, timeout=2):
                    return
            except urllib.error.HTTPError:  # answering, if not with 200
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"pywb did not answer on port {self.port} within {timeout} s")
