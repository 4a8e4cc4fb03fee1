"""M1, L15, L14 and the webhook half of "no answer echoes what a destination said".

M1: webhooks could point at loopback, link-local and internal addresses (in any spelling), and
``last_error`` echoed the OS error text: a port scanner. L15: a URL with CR/LF was accepted.
L14: ``webhooks_verify.verify`` raised a bare ValueError on a malformed header, and accepted a
replay unless the caller brought a guard.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from api_support import World
from cli_support import Cli
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import update
from webhook_support import free_port

from reprieve.runtime import webhooks as delivery
from reprieve.services import egress, webhooks
from reprieve.services.callers import Caller
from reprieve.store import tables
from reprieve.webhooks_verify import ReplayGuard, WebhookVerificationError, sign, verify

ALLOW = "REPRIEVE_WEBHOOK_ALLOW_NETWORKS"
#: Registration refuses before anything is stored: one backend is enough.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

#: Every spelling the red team got a 201 for, and more of the same kind.
INTERNAL = [
    "http://127.0.0.1:8799/internal",
    "http://localhost:8799/x",
    "http://LOCALHOST./x",
    "http://api.localhost/x",
    "http://[::1]:8799/x",
    "http://2130706433:8799/x",
    "http://0.0.0.0:8799/x",
    "http://127.1:8799/x",
    "http://0x7f.1/x",
    "http://0177.0.0.1/x",
    "http://017700000001/x",
    "http://0/x",
    "http://127.0.0.1./x",
    "http://[::ffff:127.0.0.1]:8799/x",
    "http://[::ffff:7f00:1]/x",
    "http://[::127.0.0.1]/x",
    "http://[::]/x",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/x",
    "http://[fe80::1%25eth0]/x",
    "http://127.0.0.1:22/",
    "http://127.0.0.1:1/",
    "http://10.0.0.5/x",
    "http://172.16.0.1/x",
    "http://192.168.1.1/x",
    "http://100.64.0.1/x",
    "http://[fc00::1]/x",
    "http://[fd12:3456::1]/x",
    "http://[fec0::1]/x",
    "http://224.0.0.1/x",
    "http://[ff02::1]/x",
    "http://240.0.0.1/x",
    "http://255.255.255.255/x",
    "http://192.0.2.1/x",
    "http://[2001:db8::1]/x",
    "http://[64:ff9b::a00:5]/x",
    "http://[64:ff9b::7f00:1]/x",
    "http://[2002:7f00:1::1]/x",
    "http://[2002:a9fe:a9fe::1]/x",
    "http://1.2.3.4.5/x",
    "http://999.1.1.1/x",
]
#: Public destinations stay accepted (NAT64 and IPv4-mapped spellings of a public address too).
PUBLIC = [
    "https://8.8.8.8/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://[64:ff9b::808:808]/hook",
    "https://[::ffff:8.8.8.8]/hook",
    "https://[2002:808:808::1]/hook",
    "https://hooks.example.org/reprieve",
]


def table_resolver(table: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return table[host]

    return resolve


def register(world: World, url: str) -> Any:
    body = {"url": url, "event_types": ["sanction.imposed"]}
    return world.client.post("/v1/webhooks", json=body, headers=world.headers["admin"])


def deliver(world: World, sender: delivery.Sender) -> delivery.DeliveryReport:
    try:
        return asyncio.run(delivery.deliver_due(world.db, sender, now=world.clock, owner="test"))
    finally:
        sender.close()


def last_errors(world: World, hook_id: str) -> list[str | None]:
    items = world.client.get(f"/v1/webhooks/{hook_id}/deliveries", headers=world.headers["admin"]).json()["items"]
    return [item["last_error"] for item in items]


class Listener:
    """Counts the requests (and their Host headers) it gets; answers ``status`` with a chatty body."""

    def __init__(self, status: int = 204) -> None:
        self.hosts: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                listener.hosts.append(self.headers["Host"])
                body = b"internal admin panel v1.2 - secret stuff"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)) if status != 204 else "0")
                self.end_headers()
                if status != 204:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _no_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOW, raising=False)


# --- M1 and L15: registration --------------------------------------------------------------


@SQLITE_ONLY
def test_every_spelling_of_an_internal_address_is_refused_at_registration(world: World) -> None:
    world.client.app.state.webhook_resolver = table_resolver(
        {  # type: ignore[attr-defined]
            "metadata.internal.net": ["169.254.169.254"],
            "mixed.example.net": ["93.184.216.34", "10.0.0.7"],
            "good.example.net": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
        }
    )
    for url in INTERNAL:
        answer = register(world, url)
        assert answer.status_code == 422, (url, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in answer.json()["errors"]] == ["url"], answer.text
    for url in ("http://metadata.internal.net/latest", "https://mixed.example.net/hook"):  # names, resolved
        answer = register(world, url)
        assert answer.status_code == 422 and "not a public address" in answer.text, answer.text
        assert "10.0.0.7" not in answer.text and "169.254" not in answer.text  # what DNS said is not echoed
    # L15: spaces and control characters (CR/LF would split a header line), and non-ASCII
    for url in (
        "http://8.8.8.8:8799/a\r\nX-Injected: yes",
        "http://8.8.8.8/a\nb",
        "http://8.8.8.8/a b",
        "http://8.8.8.8/a\tb",
        "http://8.8.8.8/a\x7f",
        "http://8.8.8.8/caf\u00e9",
    ):
        answer = register(world, url)
        field = answer.json()["errors"][0]["field"]  # the schema's check of text, or the URL's own
        assert answer.status_code == 422 and field in ("url", "body.url"), (url, answer.text)
    assert world.client.get("/v1/webhooks", headers=world.headers["admin"]).json()["items"] == []
    for url in PUBLIC:
        assert register(world, url).status_code == 201, url
    assert register(world, "https://good.example.net/hook").status_code == 201
    assert register(world, "https://not-resolvable-now.example.net/hook").status_code == 201  # checked at delivery


@SQLITE_ONLY
def test_the_cli_refuses_in_one_line_and_the_allow_list_admits_local_receivers_only(
    world: World, database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(database_url, capsys)
    for url in ("http://127.1:8799/x", "http://[::ffff:127.0.0.1]/x", "http://8.8.8.8/a\r\nX: y"):
        err = cli.fails("webhook", "create", "--operator", "meta", "--url", url)
        assert "url" in err
    assert cli.json("webhook", "list")["items"] == []
    port = free_port()
    assert register(world, f"http://127.0.0.1:{port}/hooks/reprieve").status_code == 422
    monkeypatch.setenv(ALLOW, "127.0.0.1/32, 10.0.0.0/8")
    for refused in (
        f"http://127.0.0.2:{port}/x",
        f"http://[::1]:{port}/x",
        "http://192.168.1.1/x",
        f"http://localhost:{port}/x",
    ):  # localhost is ::1 as well, which the list leaves out
        assert register(world, refused).status_code == 422, refused
    assert register(world, "http://10.1.2.3/x").status_code == 201
    hook = register(world, f"http://2130706433:{port}/hooks/reprieve")  # the same address, spelt oddly
    assert hook.status_code == 201
    monkeypatch.setenv(ALLOW, "not-a-network")
    answer = register(world, "https://8.8.8.8/hook")
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == ALLOW


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="compares with glibc's inet_aton")
def test_numeric_hosts_are_read_as_the_c_library_reads_them() -> None:
    """The odd spellings are refused because they are read exactly as the OS would read them."""
    spellings = [
        "127.1",
        "2130706433",
        "0x7f.1",
        "0X7F.0.0.1",
        "0177.0.0.1",
        "017700000001",
        "0",
        "0x",
        "00000000000000000127.1",
        "0x00000007f.1",
        "1.2.65535",
        "1.2.65536",
        "1.16777215",
        "4294967295",
        "4294967296",
        "0400.1.1.1",
        "08",
        "0x1g",
        "1.2.3.4.5",
        "1..2",
        "9" * 5000,
    ]
    for host in spellings:
        try:
            expected: object = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            expected = None
        assert egress.literal_address(host) == expected, host


# --- M1: delivery ---------------------------------------------------------------------------


def test_dns_rebinding_is_refused_at_delivery(world: World, listener: Listener) -> None:
    """The name answered a public address when registered, and answers loopback now: the
    delivery is refused before any connection, and the listener behind loopback gets nothing."""
    world.client.app.state.webhook_resolver = table_resolver(
        {  # type: ignore[attr-defined]
            "hooks.rebinding.net": ["93.184.216.34"],
        }
    )
    hook = register(world, f"http://hooks.rebinding.net:{listener.port}/x").json()
    world.sanction("meta")
    for answer in (["127.0.0.1"], ["93.184.216.34", "127.0.0.1"], ["::ffff:127.0.0.1"], ["10.0.0.1"]):
        sender = delivery.Sender(2, 5.0, resolver=table_resolver({"hooks.rebinding.net": answer}))
        report = deliver(world, sender)
        assert report.retried == 1 and listener.hosts == []
        assert last_errors(world, hook["id"]) == ["address not allowed"]
        with world.db.engine.begin() as conn:  # due again at once
            conn.execute(update(tables.outbox).values(next_attempt_at=0))


def test_with_the_allow_list_a_real_delivery_goes_to_the_checked_address_not_to_the_name_again(
    world: World, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The allow-list admits 127.0.0.1 and a real delivery reaches a local listener. The name is
    resolved once and checked; the connection goes to that address (a second resolution would
    answer a forbidden one), and the Host header still names the host."""
    monkeypatch.setenv(ALLOW, "127.0.0.1/32")
    hook = webhooks.create_webhook(
        world.db,
        webhooks.CreateWebhook(
            operator="meta", url=f"http://receiver.rebind.test:{listener.port}/x", event_types=["sanction.imposed"]
        ),
        caller=Caller("test", now=world.clock()),
        resolver=None,
    )
    world.sanction("meta")
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    report = deliver(world, delivery.Sender(2, 5.0, resolver=rebinding))
    assert report.delivered == 1 and calls == ["receiver.rebind.test"]
    assert listener.hosts == [f"receiver.rebind.test:{listener.port}"]
    assert last_errors(world, hook.id) == [None]


def _self_signed(name: str, directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def test_over_tls_the_pinned_connection_still_names_the_host(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SNI and the certificate check use the URL's host, while the socket goes to the checked
    address: a certificate for the name verifies, one resolved elsewhere would not."""
    monkeypatch.setenv(ALLOW, "127.0.0.1/32")
    name = "hooks.tls-pinning.test"
    cert_file, key_file = _self_signed(name, tmp_path)
    listener = Listener()
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert_file, key_file)
    sni: list[str | None] = []

    def remember_sni(sock: ssl.SSLObject, server_name: str | None, context: ssl.SSLContext) -> None:
        sni.append(server_name)

    server_tls.sni_callback = remember_sni
    listener.server.socket = server_tls.wrap_socket(listener.server.socket, server_side=True)
    client_tls = ssl.create_default_context(cafile=str(cert_file))
    try:
        hook = webhooks.create_webhook(
            world.db,
            webhooks.CreateWebhook(
                operator="meta", url=f"https://{name}:{listener.port}/x", event_types=["sanction.imposed"]
            ),
            caller=Caller("test", now=world.clock()),
        )
        world.sanction("meta")
        resolver = table_resolver({name: ["127.0.0.1"]})
        report = deliver(world, delivery.Sender(2, 5.0, resolver=resolver, tls=client_tls))
    finally:
        listener.close()
    assert report.delivered == 1 and sni == [name] and listener.hosts == [f"{name}:{listener.port}"]
    assert last_errors(world, hook.id) == [None]


def test_an_endpoint_registered_before_is_refused_at_delivery_with_a_class(
    world: World, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ALLOW, "127.0.0.1/32")
    hook = register(world, f"http://127.0.0.1:{listener.port}/x").json()
    crlf = register(world, "http://8.8.8.8/y").json()
    with world.db.engine.begin() as conn:  # as stored before L15 was fixed
        conn.execute(
            update(tables.webhook_endpoints)
            .where(tables.webhook_endpoints.c.id == crlf["id"])
            .values(url=f"http://127.0.0.1:{listener.port}/a\r\nX-Injected: yes")
        )
    world.sanction("meta")
    monkeypatch.delenv(ALLOW)  # the installation no longer allows it
    report = deliver(world, delivery.Sender(2, 5.0))
    assert report.retried == 2 and listener.hosts == []
    assert last_errors(world, hook["id"]) == ["address not allowed"]
    assert last_errors(world, crlf["id"]) == ["invalid URL"]


# --- no answer echoes what a destination said ------------------------------------------------


def test_last_error_is_a_class_never_what_the_other_side_or_the_os_said(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ALLOW, "127.0.0.1/32")
    chatty = Listener(status=403)
    silent = socket.socket()  # accepts connections (the kernel does) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        urls = {
            "refused": f"http://127.0.0.1:{free_port()}/x",
            "forbidden": f"http://127.0.0.1:{chatty.port}/x",
            "tls": f"https://127.0.0.1:{chatty.port}/x",
            "silent": f"http://127.0.0.1:{silent.getsockname()[1]}/x",
        }
        hooks = {name: register(world, url).json()["id"] for name, url in urls.items()}
        world.sanction("meta")
        report = deliver(world, delivery.Sender(8, 0.3))
    finally:
        chatty.close()
        silent.close()
    assert report.retried == 4
    shown = {name: last_errors(world, hook_id) for name, hook_id in hooks.items()}
    assert shown == {
        "refused": ["connection refused"],
        "forbidden": ["HTTP 403"],
        "tls": ["TLS error"],
        "silent": ["timeout"],
    }
    page = world.client.get(f"/v1/webhooks/{hooks['forbidden']}/deliveries", headers=world.headers["auditor"])
    assert "secret stuff" not in page.text and "Errno" not in page.text
    # rows recorded before the classes existed hold exception text: shown as its class
    for recorded, shown_as in (
        ("ConnectionRefusedError: [Errno 111] Connection refused", "connection refused"),
        ("TimeoutError: timed out", "timeout"),
        ("RemoteDisconnected: Remote end closed connection without response", "no answer"),
        ("HTTP 401", "HTTP 401"),
        ("OSError: [Errno 113] No route to host", "delivery failed"),
    ):
        with world.db.engine.begin() as conn:
            conn.execute(
                update(tables.outbox).where(tables.outbox.c.target == hooks["refused"]).values(last_error=recorded)
            )
        assert last_errors(world, hooks["refused"]) == [shown_as]


# --- L14: the receiver's helper ---------------------------------------------------------------


def _signed(secret: str, stamp: int, body: bytes) -> dict[str, str]:
    return {"Reprieve-Timestamp": str(stamp), "Reprieve-Signature": sign(secret, stamp, body)}


def test_malformed_headers_raise_the_verification_error_only() -> None:
    secret, stamp, body = "whsec_l14", 1_790_000_000, b'{"delivery":{"id":"1","attempt":1},"event":{}}'
    good = _signed(secret, stamp, body)
    for headers in (
        {**good, "Reprieve-Timestamp": "9" * 5000},
        {**good, "Reprieve-Timestamp": "\u0661\u0667\u0669\u0660"},  # Arabic-Indic digits
        {**good, "Reprieve-Timestamp": "-5"},
        {**good, "Reprieve-Timestamp": ""},
        {**good, "Reprieve-Signature": "v1=\u00e9" + "0" * 63},
        {**good, "Reprieve-Signature": "\u2603"},
        {**good, "Reprieve-Signature": ""},
        {**good, "Reprieve-Signature": good["Reprieve-Signature"][3:]},  # without v1=
        {"Reprieve-Timestamp": str(stamp)},
        {"Reprieve-Signature": good["Reprieve-Signature"]},
        {},
    ):
        with pytest.raises(WebhookVerificationError):
            verify(body, headers, secret, now=stamp, guard=False)
    not_json = b"\xff\xfe not json"
    with pytest.raises(WebhookVerificationError):
        verify(not_json, _signed(secret, stamp, not_json), secret, now=stamp, guard=False)
    with pytest.raises(WebhookVerificationError):
        verify(b"[1]", _signed(secret, stamp, b"[1]"), secret, now=stamp, guard=False)


def test_replays_are_refused_by_default() -> None:
    secret, stamp = "whsec_l14_replay", 1_790_000_100
    body = b'{"delivery":{"id":"7","attempt":1},"event":{"seq":7}}'
    headers = _signed(secret, stamp, body)
    assert verify(body, headers, secret, now=stamp)["event"] == {"seq": 7}
    with pytest.raises(WebhookVerificationError, match="replay"):
        verify(body, headers, secret, now=stamp + 10)
    # a caller that de-duplicates by itself may opt out, explicitly
    assert verify(body, headers, secret, now=stamp + 10, guard=False)["event"] == {"seq": 7}
    # its own guard is used instead of the process's
    own = ReplayGuard()
    other = b'{"delivery":{"id":"8","attempt":1},"event":{"seq":8}}'
    verify(other, _signed(secret, stamp, other), secret, now=stamp, guard=own)
    with pytest.raises(WebhookVerificationError):
        verify(other, _signed(secret, stamp, other), secret, now=stamp, guard=own)
    assert len(own) == 1


def test_the_replay_guard_is_bounded_and_forgets_what_expired() -> None:
    guard = ReplayGuard(max_entries=3)
    for i in range(10):
        guard.check_and_remember(f"sig{i}", expires=1000 + i, now=500)
    assert len(guard) == 3
    with pytest.raises(WebhookVerificationError):
        guard.check_and_remember("sig9", expires=1009, now=600)
    guard.check_and_remember("late", expires=3000, now=2000)  # everything else expired
    assert len(guard) == 1
