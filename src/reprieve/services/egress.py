"""Where the server may send a request to a URL someone else chose (a webhook endpoint).

Only globally routable addresses are allowed, unless the installation lists its own ranges in
``REPRIEVE_WEBHOOK_ALLOW_NETWORKS``. A URL is checked when it is registered (its host, parsed as
the operating system would, or its name resolved) and again each time a connection is opened:
the name is resolved once, every address it resolves to is checked, and the connection goes to
a checked address, never to the name again (a name that answers a public address at
registration and a private one later, DNS rebinding, is refused at delivery).

An IPv4 address inside an IPv6 one (IPv4-mapped ``::ffff:0:0/96``, IPv4-compatible ``::/96``,
NAT64 ``64:ff9b::/96`` and ``64:ff9b:1::/48``, 6to4 ``2002::/16``) must be allowed too. Hosts
are parsed as the C library's ``inet_aton`` parses them, so ``2130706433``, ``127.1`` and
``0x7f.1`` are ``127.0.0.1``; ``localhost`` and ``*.localhost`` are loopback without asking DNS.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from reprieve.config import EgressSettings
from reprieve.domain.errors import ValidationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``(host, port) -> the addresses it resolves to``: the system's by default, a table in tests.
Resolver = Callable[[str, int], Iterable[str]]

ALLOW_SETTING = "REPRIEVE_WEBHOOK_ALLOW_NETWORKS"
_LOOPBACK_NAMES = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_COMPATIBLE = ipaddress.ip_network("::/96")
#: Spaces, C0 controls and DEL: refused anywhere in a URL (a CR/LF would split a header line).
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
#: Top-level names reserved never to be delegated in public DNS (RFC 2606): not looked up at
#: registration (a name under them that resolves locally is checked at each delivery).
_NEVER_IN_DNS = frozenset({"example", "invalid", "test"})
_NUMBER = re.compile(r"(0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)


class AddressNotAllowed(Exception):
    """A destination resolved to an address outside what the installation allows."""


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses, and the networks the installation lists."""

    allow: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> AddressPolicy:
        networks = []
        for item in (text or "").split(","):
            if not item.strip():
                continue
            try:
                networks.append(ipaddress.ip_network(item.strip()))
            except ValueError as exc:
                raise ValidationError(f"{exc} (give CIDRs such as 10.0.0.0/8)", field=ALLOW_SETTING) from None
        return cls(tuple(networks))

    @classmethod
    def from_environment(cls) -> AddressPolicy:
        return cls.parse(EgressSettings().webhook_allow_networks)

    def allows(self, address: IPAddress) -> bool:
        forms: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            forms.append(address.ipv4_mapped)
        if any(form in network for form in forms for network in self.allow):
            return True
        return is_public(address)


def is_public(address: IPAddress) -> bool:
    """Globally routable, and so is any IPv4 address embedded in it. An IPv4-mapped or NAT64
    address is judged by its IPv4 address (an IPv6-only network with DNS64 reaches public
    IPv4 hosts that way); an IPv4-compatible one (deprecated) is refused."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if any(address in prefix for prefix in _NAT64):
            return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address in _COMPATIBLE or address.is_site_local or address.scope_id:
            return False
        if address in _SIX_TO_FOUR and not is_public(ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF)):
            return False
    return not (
        not address.is_global
        or address.is_private
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_loopback
        or address.is_link_local
    )


def _inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """``host`` as the C library's ``inet_aton`` reads it (``127.1``, ``2130706433``, ``0x7f.0.0.1``,
    ``0177.0.0.1``), or None if it does not read it as an address."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMBER.fullmatch(p) for p in parts):
        return None
    numbers = []
    for part in parts:
        if part[:2].lower() == "0x":
            digits = part[2:].lstrip("0")
            if len(part) == 2 or len(digits) > 8:
                return None
            numbers.append(int(digits or "0", 16))
        elif part.startswith("0") and len(part) > 1:
            digits = part.lstrip("0")
            if not set(digits) <= set("01234567") or len(digits) > 11:
                return None
            numbers.append(int(digits or "0", 8))
        elif len(part) > 10:
            return None
        else:
            numbers.append(int(part))
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = last
    for index, n in enumerate(leading):
        value |= n << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` (a URL's host, without brackets) names literally, in any spelling."""
    name = host[:-1] if host.endswith(".") else host
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return _inet_aton(name)


def _is_loopback_name(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system resolves ``host`` to (``socket.gaierror`` if none)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def resolve(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    """Every address ``host`` stands for, once each, in the resolver's order."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    if _is_loopback_name(host):
        return list(_LOOPBACK_NAMES)
    found: list[IPAddress] = []
    for text in resolver(host, port):
        address = ipaddress.ip_address(text)
        if address not in found:
            found.append(address)
    if not found:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    return found


def checked_addresses(host: str, port: int, *, policy: AddressPolicy, resolver: Resolver) -> list[IPAddress]:
    """The addresses to connect to for ``host``; AddressNotAllowed unless every one is allowed."""
    addresses = resolve(host, port, resolver)
    if not all(policy.allows(a) for a in addresses):
        raise AddressNotAllowed(host)
    return addresses


def unsafe_url(url: str) -> bool:
    """A space, control character or non-ASCII character: no URL to send a request to."""
    return bool(_UNSAFE.search(url)) or not url.isascii()


def default_port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def check_url(url: str, *, policy: AddressPolicy, resolver: Resolver | None, field: str = "url") -> SplitResult:
    """Refuse (ValidationError naming ``field``) a URL a server should not send to: not http(s),
    with credentials, spaces or control characters, or whose host is, or resolves to, an address
    the policy does not allow. A name that does not resolve now is accepted: it is checked again
    at each connection. ``resolver=None``: names are not resolved here."""
    if len(url) > 2000:
        raise ValidationError("at most 2,000 characters", field=field)
    if _UNSAFE.search(url):
        raise ValidationError("must not contain spaces or control characters", field=field)
    if not url.isascii():
        raise ValidationError(
            "must be ASCII: percent-encode other characters, and give a domain name in its xn-- form", field=field
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ValidationError("is not a URL", field=field) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("must be an http:// or https:// URL with a host", field=field)
    if parts.username is not None or parts.password is not None:
        raise ValidationError("must not carry credentials: the signature authenticates deliveries", field=field)
    host = parts.hostname
    hint = f"not a public address (an installation that delivers inside its own network lists it in {ALLOW_SETTING})"
    literal = literal_address(host)
    if literal is not None:
        if not policy.allows(literal):
            raise ValidationError(
                f"{host} is {literal}, {hint}" if str(literal) != host else f"{host} is {hint}", field=field
            )
        return parts
    last_label = host.rstrip(".").rsplit(".", 1)[-1]
    if _NUMBER.fullmatch(last_label):
        raise ValidationError("is not a valid address or host name", field=field)
    if _is_loopback_name(host):
        if not all(policy.allows(a) for a in _LOOPBACK_NAMES):
            raise ValidationError(f"{host} is {hint}", field=field)
        return parts
    if resolver is not None and host.rstrip(".").rsplit(".", 1)[-1] not in _NEVER_IN_DNS:
        try:
            addresses = resolve(host, default_port(parts), resolver)
        except (OSError, UnicodeError, ValueError):
            return parts  # not resolvable now: each delivery checks it again
        if not all(policy.allows(a) for a in addresses):
            raise ValidationError(f"{host} resolves to {hint}", field=field)
    return parts


def open_socket(addresses: Sequence[IPAddress], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that accepts one."""
    last: OSError | None = None
    for address in addresses:
        try:
            sock = socket.create_connection((str(address), port), timeout)
        except OSError as exc:
            last = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise last if last is not None else OSError("no address to connect to")


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Talks HTTP to ``host`` (its Host header) at addresses checked beforehand."""

    def __init__(self, host: str, port: int, *, addresses: Sequence[IPAddress], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.addresses = tuple(addresses)

    def connect(self) -> None:
        self.sock = open_socket(self.addresses, self.port, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to ``host`` (Host header, SNI and certificate name) at addresses checked beforehand."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        addresses: Sequence[IPAddress],
        timeout: float,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.addresses = tuple(addresses)
        self.tls = context

    def connect(self) -> None:
        sock = open_socket(self.addresses, self.port, self.timeout)
        try:
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def failure_class(exc: BaseException) -> str:
    """What went wrong, in a few words and never the words of the other side or of the OS."""
    if isinstance(exc, AddressNotAllowed):
        return "address not allowed"
    if isinstance(exc, socket.gaierror | UnicodeError):  # UnicodeError: a name IDNA cannot encode
        return "name not resolved"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return "TLS error"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.RemoteDisconnected | http.client.IncompleteRead | ConnectionError):
        return "no answer"
    if isinstance(exc, http.client.HTTPException):
        return "invalid answer"
    if isinstance(exc, OSError):
        return "connection failed"
    return "delivery failed"


FAILURE_CLASSES = frozenset(
    {
        "address not allowed",
        "name not resolved",
        "TLS error",
        "timeout",
        "connection refused",
        "no answer",
        "invalid answer",
        "connection failed",
        "delivery failed",
        "invalid URL",
    }
)
_HTTP_STATUS = re.compile(r"HTTP [1-5][0-9]{2}")
_LEGACY = (
    ("ConnectionRefused", "connection refused"),
    ("Timeout", "timeout"),
    ("timed out", "timeout"),
    ("RemoteDisconnected", "no answer"),
    ("ConnectionReset", "no answer"),
    ("BrokenPipe", "no answer"),
    ("connection closed", "no answer"),
    ("SSL", "TLS error"),
    ("Certificate", "TLS error"),
    ("gaierror", "name not resolved"),
    ("InvalidURL", "invalid URL"),
)


def shown_failure(recorded: str | None) -> str | None:
    """A recorded failure as it may be shown: one of the classes, or ``HTTP <status>``. Rows
    recorded before the classes existed held exception text: it is mapped to its class."""
    if recorded is None or recorded in FAILURE_CLASSES or _HTTP_STATUS.fullmatch(recorded):
        return recorded
    return next((cls for marker, cls in _LEGACY if marker in recorded), "delivery failed")
