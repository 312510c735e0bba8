"""The SMTP side of sending: MIME messages of outbox rows, connections, error wording.

``notify`` decides what to send and when (the outbox, backoff, states); this module
speaks to the server: ``build_message`` (multipart/alternative, text then HTML, UTF-8),
``connect`` per ``security`` (starttls, ssl, none; login when configured, the password
read from the variable ``password_env`` names), ``describe`` (one line per failure) and
``permanent`` (a 5xx to the message or to every recipient: never retried).
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from .errors import NotifyError
from .model import EmailSettings
from .models import OutboxMessage


def build_message(row: OutboxMessage, sender: str) -> EmailMessage:
    """The MIME message of an outbox row: multipart/alternative, text then HTML, UTF-8."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = ", ".join(json.loads(row.recipients))
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(row.created_at)
    msg["Message-ID"] = row.message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(row.text_body, charset="utf-8")
    msg.add_alternative(row.html_body, subtype="html", charset="utf-8")
    return msg


def password(settings: EmailSettings) -> str | None:
    """The SMTP password from the environment variable named by ``password_env``."""
    if settings.username is None:
        return None
    if not settings.password_env:
        raise NotifyError("[email] username is set but password_env (the variable) is not")
    value = os.environ.get(settings.password_env)
    if not value:
        raise NotifyError(
            f"the SMTP password variable {settings.password_env} (password_env) is not set"
        )
    return value


def connect(settings: EmailSettings, tls: ssl.SSLContext | None = None) -> smtplib.SMTP:
    """An SMTP connection per ``security`` (starttls, ssl, none), logged in if configured."""
    secret = password(settings)
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    context = tls or ssl.create_default_context()
    client: smtplib.SMTP | None = None
    try:
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=settings.timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout)
            if settings.security == "starttls":
                client.starttls(context=context)
        if settings.username is not None and secret is not None:
            client.login(settings.username, secret)
        return client
    except (smtplib.SMTPException, OSError) as exc:
        if client is not None:
            close(client)
        raise NotifyError(f"SMTP server {where}: {describe(exc)}") from None


def close(client: smtplib.SMTP) -> None:
    """QUIT politely; a broken connection is simply closed."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def describe(exc: BaseException) -> str:
    """An SMTP or network error as one line for logs, the CLI and ``last_error``."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "recipient refused: " + "; ".join(
            f"{addr} ({code} {_text(msg)})" for addr, (code, msg) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        what = {
            smtplib.SMTPSenderRefused: "sender refused",
            smtplib.SMTPDataError: "message refused",
            smtplib.SMTPAuthenticationError: "authentication failed",
        }.get(type(exc), "refused")
        return f"{what}: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"connection lost: {exc or 'server closed the connection'}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"not supported by the server: {exc}"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return f"TLS error: {exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "cannot connect: connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())


def permanent(exc: BaseException) -> bool:
    """Whether the server refused for good: a 5xx reply to the message or to every
    recipient. Connection failures and 4xx replies are transient (retried with backoff)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return False
