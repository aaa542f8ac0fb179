"""Reminder channels beyond the inbox: email over SMTP (stdlib smtplib: STARTTLS/SSL, login)
and signed webhooks (HMAC-SHA256 over "timestamp.body", with a timeout)."""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate

from infra.settings import Settings

SIGNATURE_HEADER = "X-StarLedger-Signature"
TIMESTAMP_HEADER = "X-StarLedger-Timestamp"
KEY_HEADER = "Idempotency-Key"


def signature(secret: str, timestamp: str, payload: bytes) -> str:
    """What a receiver recomputes: sha256=HMAC(secret, timestamp + "." + body)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + payload, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.configured = bool(settings.smtp_host)

    def send(self, to: list[str], subject: str, body: str, message_id: str) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"] = s.mail_from
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{message_id}@starledger>"
        message.set_content(body)
        if s.smtp_security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=15, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=15)
        with client:
            if s.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                client.login(s.smtp_username, s.smtp_password)
            client.send_message(message)


class HttpWebhookPoster:
    def __init__(self, settings: Settings) -> None:
        self.secret = settings.webhook_secret
        self.timeout = settings.webhook_timeout

    def post(self, url: str, payload: bytes, idempotency_key: str) -> None:
        timestamp = str(int(time.time()))
        request = urllib.request.Request(
            url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signature(self.secret, timestamp, payload),
                KEY_HEADER: idempotency_key,
                "User-Agent": "StarLedger-webhook/1",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                if not 200 <= answer.status < 300:
                    raise OSError(f"webhook answered {answer.status}")
        except urllib.error.HTTPError as e:
            raise OSError(f"webhook answered {e.code}") from None
