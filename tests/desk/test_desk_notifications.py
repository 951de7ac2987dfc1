"""SMS backends: the file backend of the demo, the HTTP adapter against a loopback server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from amargah.desk.notifications import FileSmsBackend, HttpSmsBackend, Sms, SmsError, sms_backend


class Provider(BaseHTTPRequestHandler):
    """A fake SMS provider: records what it receives, answers with an id or an error."""

    received: ClassVar[list[dict[str, Any]]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Provider.received.append(
            {"body": json.loads(self.rfile.read(length)), "auth": self.headers["Authorization"]}
        )
        self.send_response(Provider.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "msg-42"}')

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def provider() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Provider.received.clear()
    Provider.status = 200
    yield f"http://127.0.0.1:{server.server_address[1]}/send"
    server.shutdown()
    server.server_close()


def test_http_backend_posts_to_the_configured_endpoint(provider: str, settings: Any) -> None:
    settings.DESK_SMS_BACKEND = "amargah.desk.notifications.HttpSmsBackend"
    settings.DESK_SMS_HTTP_URL = provider
    settings.DESK_SMS_HTTP_TOKEN = "token-1"
    settings.DESK_SMS_SENDER = "3000"
    backend = sms_backend()
    assert isinstance(backend, HttpSmsBackend)
    assert backend.send(Sms(to="09121234567", body="کد رهگیری ۱۲۳")) == "msg-42"
    assert Provider.received == [
        {
            "body": {"to": "09121234567", "text": "کد رهگیری ۱۲۳", "sender": "3000"},
            "auth": "Bearer token-1",
        }
    ]


def test_http_backend_reports_a_refusal_or_an_unreachable_provider(
    provider: str, settings: Any
) -> None:
    settings.DESK_SMS_HTTP_URL = provider
    Provider.status = 503
    with pytest.raises(SmsError):
        HttpSmsBackend().send(Sms(to="09121234567", body="x"))
    settings.DESK_SMS_HTTP_URL = "http://127.0.0.1:9/closed"
    with pytest.raises(SmsError, match="unreachable"):
        HttpSmsBackend().send(Sms(to="09121234567", body="x"))
    settings.DESK_SMS_HTTP_URL = "file:///etc/passwd"
    with pytest.raises(SmsError, match="http"):
        HttpSmsBackend().send(Sms(to="09121234567", body="x"))


def test_file_backend_appends_json_lines(settings: Any, tmp_path: Path) -> None:
    settings.DESK_SMS_FILE_DIR = tmp_path / "sms"
    FileSmsBackend().send(Sms(to="09121234567", body="یک"))
    FileSmsBackend().send(Sms(to="09350000000", body="دو"))
    lines = (tmp_path / "sms" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["body"] for line in lines] == ["یک", "دو"]
