"""SMS backends, chosen by class path in ``DESK_SMS_BACKEND`` like Django's e-mail backends.

``FileSmsBackend`` writes each message as a JSON line (demo and development),
``LocmemSmsBackend`` keeps them in memory (tests), ``HttpSmsBackend`` posts them to a
provider's endpoint (``DESK_SMS_HTTP_URL``, with ``DESK_SMS_HTTP_TOKEN`` as a bearer
token). A backend raises :class:`SmsError` when a message was not accepted; the
outbox then retries it later.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.module_loading import import_string


class SmsError(RuntimeError):
    """The provider did not accept the message."""


@dataclass(frozen=True)
class Sms:
    """One text message to one mobile number."""

    to: str
    body: str


class SmsBackend:
    """The interface every SMS backend implements."""

    def send(self, message: Sms) -> str:
        """Send one message; return the provider's message id (may be empty)."""
        raise NotImplementedError


class FileSmsBackend(SmsBackend):
    """Append each message to ``DESK_SMS_FILE_DIR/sms.jsonl``."""

    def send(self, message: Sms) -> str:
        folder = settings.DESK_SMS_FILE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        record = {"to": message.to, "body": message.body, "at": timezone.now().isoformat()}
        with (folder / "sms.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return ""


class LocmemSmsBackend(SmsBackend):
    """Keep messages in ``LocmemSmsBackend.outbox`` (tests)."""

    outbox: ClassVar[list[Sms]] = []

    def send(self, message: Sms) -> str:
        self.outbox.append(message)
        return str(len(self.outbox))


class FailingSmsBackend(SmsBackend):
    """Refuse every message: shows that a failed send loses nothing (tests)."""

    def send(self, message: Sms) -> str:
        raise SmsError("the provider refused the message")


class HttpSmsBackend(SmsBackend):
    """Post ``{"to", "text", "sender"}`` as JSON to the provider's endpoint.

    Providers differ in field names; an adapter for another one subclasses this
    and overrides :meth:`payload` and :meth:`message_id`.
    """

    timeout_seconds = 10

    def payload(self, message: Sms) -> dict[str, str]:
        return {"to": message.to, "text": message.body, "sender": settings.DESK_SMS_SENDER}

    def message_id(self, answer: dict[str, object]) -> str:
        return str(answer.get("id", ""))

    def send(self, message: Sms) -> str:
        url = settings.DESK_SMS_HTTP_URL
        if not url.startswith(("http://", "https://")):
            raise SmsError("DESK_SMS_HTTP_URL is not set to an http(s) address")
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            url,
            data=json.dumps(self.payload(message)).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.DESK_SMS_HTTP_TOKEN}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:  # noqa: S310
                body = response.read()
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SmsError(f"provider unreachable: {type(error).__name__}") from error
        try:
            answer = json.loads(body or b"{}")
        except ValueError as error:
            raise SmsError("provider answered with something other than JSON") from error
        return self.message_id(answer if isinstance(answer, dict) else {})


def sms_backend() -> SmsBackend:
    """An instance of the configured SMS backend."""
    backend: type[SmsBackend] = import_string(settings.DESK_SMS_BACKEND)
    return backend()


def send_email(*, to: str, subject: str, body: str) -> None:
    """Send one e-mail through Django's configured e-mail backend."""
    EmailMessage(subject=subject, body=body, to=[to]).send(fail_silently=False)


def deliver(*, channel: str, to: str, subject: str, body: str) -> None:
    """Send one message by ``"sms"`` (the configured backend) or ``"email"``.

    The outboxes of the desk, of production and of the status page all send through
    here; each records a failure and retries after `retry_delay`.
    """
    if channel == "sms":
        sms_backend().send(Sms(to=to, body=body))
    else:
        send_email(to=to, subject=subject, body=body)


def retry_delay(attempts: int) -> dt.timedelta:
    """How long an outbox waits after its ``attempts``-th failed send: 2, 4, 8 … minutes."""
    return dt.timedelta(minutes=2**attempts)
