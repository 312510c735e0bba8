"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, with programmable misbehaviour.

``SmtpServer`` records every message it *accepts* (answered 250 to DATA) and can be
told to refuse RCPT or DATA with a code, or to drop the connection in the middle of
DATA (before answering). It can require STARTTLS and AUTH, or speak implicit TLS
(``ssl`` mode), with certificates from a throwaway ``trustme`` CA.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from monitor import store
from monitor.config import Config
from monitor.db import SessionFactory


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Received:
    """One accepted message: envelope and parsed content."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


def body_of(msg: EmailMessage, kind: str) -> str:
    """The text of ``msg``'s ``kind`` ("plain" or "html") body; fails the test when absent."""
    part = msg.get_body((kind,))
    assert part is not None, f"message has no text/{kind} body"
    content = part.get_content()
    assert isinstance(content, str)
    return content


@dataclass
class Handler:
    """aiosmtpd handler: records accepted messages; misbehaves on request."""

    received: list[Received] = field(default_factory=list)
    refuse_rcpt: str | None = None  # e.g. "550 5.1.1 no such user"
    refuse_data: str | None = None  # e.g. "554 5.7.1 rejected as spam"
    drop_data: int = 0  # drop the connection during the next N DATA commands

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        if self.drop_data > 0:
            self.drop_data -= 1
            transport = server.transport
            assert isinstance(transport, asyncio.Transport)
            transport.abort()
            return "451 dropped"  # never reaches the client
        if self.refuse_data:
            return self.refuse_data
        content = envelope.original_content or b""
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), content))
        return "250 Message accepted for delivery"


class Certificates:
    """A test CA with a certificate for 127.0.0.1; client and server contexts."""

    def __init__(self) -> None:
        self.ca = trustme.CA()
        self.cert = self.ca.issue_cert("127.0.0.1", "localhost")

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(ctx)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        self.ca.configure_trust(ctx)
        return ctx


def authenticator(login: str, password: str) -> Any:
    """An aiosmtpd authenticator accepting exactly ``login``/``password``."""

    def check(
        server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == login
            and data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    return check


class SmtpServer:
    """A started/stoppable aiosmtpd server on a fixed port (restartable: "back up")."""

    def __init__(self, port: int | None = None, **options: Any) -> None:
        self.port = port or free_port()
        self.handler = Handler()
        self.options = options
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> SmtpServer:
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, **self.options
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- configuration and stored changes for email tests --------------------------------------

CONFIG = """
[monitor]
database = "sqlite:///{db}"

[providers.openai]
name = "OpenAI"
[providers.openai.documents.terms]
name = "Services Agreement"
url = "https://openai.test/policies/services-agreement"
select = ["main"]
tier = "api"

[providers.anthropic]
name = "Anthropic"
[providers.anthropic.documents.privacy]
name = "Privacy Policy"
url = "https://anthropic.test/legal/privacy"
select = ["main"]
tier = "consumer"
"""

EMAIL = """
[email]
smtp_host = "127.0.0.1"
smtp_port = {port}
security = "{security}"
from = "tos-monitor <monitor@example.test>"
to = ["legal@example.test"]
alerts = "{alerts}"
timeout = 5
{extra}

[email.providers.openai]
to = ["openai-owner@example.test"]
"""


def write_config(
    folder: Path,
    port: int | None = None,
    *,
    security: str = "none",
    alerts: str = "high",
    extra: str = "",
) -> Path:
    """sources.toml with two providers, and an [email] section unless ``port`` is None."""
    text = CONFIG.format(db=folder / "tos.db")
    if port is not None:
        text += EMAIL.format(port=port, security=security, alerts=alerts, extra=extra)
    path = folder / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def summary(
    clauses: list[str] | None = None,
    severity: str | None = "high",
    text: str = "Training clause: stance changed from 'not used' to 'used'.",
    kind: str = "substantive",
    added: list[str] | None = None,
    removed: list[str] | None = None,
) -> dict[str, Any]:
    """A change summary in the contract of ``monitor.summary`` (hand-written)."""
    clauses = ["training"] if clauses is None else clauses
    modified = [
        {
            "before": "We do not use your content to train our models.",
            "after": "We may use your content to train our models.",
            "ops": [
                ["equal", "We"],
                ["delete", "do not"],
                ["insert", "may"],
                ["equal", "use your content to train our models."],
            ],
        }
    ]
    part = {"added": added or [], "removed": removed or [], "modified": modified}
    return {
        "kind": kind,
        "severity": severity if kind == "substantive" else None,
        "clauses": clauses,
        "summary": text,
        **part,
        "facts": [
            {"clause": c, "fact": "stance", "before": "not used", "after": "used"} for c in clauses
        ],
        "clause_diffs": {c: part for c in clauses},
    }


def add_change(
    sessions: SessionFactory,
    config: Config,
    provider: str,
    document: str,
    data: dict[str, Any],
    at: datetime,
    origin: str = "live",
    alert: str | None = None,
) -> int:
    """Store a new version of a configured document at ``at`` and the change leading to it
    (a baseline version is created first when the document has none)."""
    doc = config.document(provider, document)
    with sessions.begin() as s:
        row = store.ensure_document(s, doc)
        before = store.latest_version(s, row.id)
        if before is None:
            base = at - timedelta(days=30)
            snap = store.put_snapshot(s, row.id, b"<main>baseline</main>", "text/html")
            before = store.add_version(s, row.id, base, "baseline", snap, origin, [])
        text = f"version at {at.isoformat()}"
        snap = store.put_snapshot(s, row.id, text.encode(), "text/html")
        after = store.add_version(s, row.id, at, text, snap, origin, [])
        if alert is None:
            pending = origin == "live" and data["kind"] == "substantive"
            alert = "pending" if pending else "none"
        return store.add_change(s, row.id, before, after, data, [], alert).id
