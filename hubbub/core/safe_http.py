"""Fetch a URL on a user's behalf without ever reaching an internal address.

Link previews, remote media and federation all fetch URLs that someone else
chose, so each fetch is a chance to make the server talk to itself, its
cloud's metadata service or the LAN (server-side request forgery, the
security notes' S3). ``fetch`` closes that door the one way that holds up:

1. the host is resolved once, by an injectable resolver;
2. every address it resolved to is checked, and one internal address
   refuses the whole host: private, loopback, link-local, multicast,
   reserved, unspecified and the special-purpose ranges listed below,
   with IPv4-mapped, IPv4-compatible and 6to4 forms unwrapped first;
3. the socket connects to that checked address, never to the name again,
   so a DNS answer that changes between check and connect (rebinding)
   cannot slip through; the name is still sent as Host and as TLS SNI, and
   certificates are verified as usual;
4. redirects are followed by hand, at most 3, and every hop goes through
   steps 1-3 again;
5. the body is capped at 1 MB *after* gzip/deflate decompression, so a
   small gzip bomb stops at 1 MB, and a total deadline covers the whole
   exchange, so a server trickling a byte at a time is cut off too.

Refusals raise ``FetchRefused`` before any socket is opened. Operators with
legitimate LAN peers pass their addresses in ``allow_addresses``.
"""

import contextlib
import functools
import http.client
import ipaddress
import os
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import quote, urljoin, urlsplit

# bytes, after decompression. A link preview needs the page's head; 1 MB
# holds any sane one and bounds a worker's memory.
MAX_BYTES = 1_000_000
# seconds to open the TCP connection to one address.
CONNECT_TIMEOUT = 5.0
# seconds for the whole exchange: DNS, every redirect hop, TLS, headers and
# body. Per-read timeouts alone let a trickling server hold a worker forever.
TOTAL_TIMEOUT = 30.0
# seconds for the system resolver; a slow DNS server is a failed fetch.
DNS_TIMEOUT = 5.0
# hops. Real sites need one or two (http to https, a trailing slash); more
# is a loop or an attempt to wear the fetcher down.
MAX_REDIRECTS = 3
# addresses per family taken from DNS: enough to survive one dead address
# without letting a hostile zone make the fetcher try hundreds.
MAX_ADDRESSES_PER_FAMILY = 2
# characters. Browsers and servers cope with 2,048; a longer "link" is almost
# always pasted junk or an attempt to smuggle data in the URL.
MAX_URL_LENGTH = 2048

USER_AGENT = "hubbub/0.1 (link preview)"
_READ_SIZE = 16_384
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~?"

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
type Resolver = Callable[[str, int], Iterable[str]]


class FetchError(Exception):
    """The fetch failed: the network, the server or a limit said no."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FetchRefused(FetchError):  # noqa: N818 - a refusal is a decision, not a fault
    """The fetch was refused before any connection: the URL or an address
    it resolved to is not something this server may fetch."""


# Addresses --------------------------------------------------------------------

# Checked before the ipaddress attributes so a refusal names the range. The
# list is the security notes' S3 set; the attributes catch anything IANA
# adds later that Python already knows about.
_BLOCKED_RANGES: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...]
_BLOCKED_RANGES = tuple(
    (ipaddress.ip_network(network), label)
    for network, label in (
        ("0.0.0.0/8", "a 'this network' address (0.0.0.0/8)"),
        ("10.0.0.0/8", "a private address (10.0.0.0/8)"),
        ("100.64.0.0/10", "a carrier-grade NAT address (100.64.0.0/10)"),
        ("127.0.0.0/8", "a loopback address (127.0.0.0/8)"),
        ("169.254.0.0/16", "a link-local address (169.254.0.0/16)"),
        ("172.16.0.0/12", "a private address (172.16.0.0/12)"),
        ("192.0.0.0/24", "an IETF protocol address (192.0.0.0/24)"),
        ("192.0.2.0/24", "a documentation address (192.0.2.0/24)"),
        ("192.88.99.0/24", "a 6to4 relay address (192.88.99.0/24)"),
        ("192.168.0.0/16", "a private address (192.168.0.0/16)"),
        ("198.18.0.0/15", "a benchmarking address (198.18.0.0/15)"),
        ("198.51.100.0/24", "a documentation address (198.51.100.0/24)"),
        ("203.0.113.0/24", "a documentation address (203.0.113.0/24)"),
        ("224.0.0.0/4", "a multicast address (224.0.0.0/4)"),
        ("255.255.255.255/32", "the broadcast address"),
        ("240.0.0.0/4", "a reserved address (240.0.0.0/4)"),
        ("::/128", "the unspecified address (::)"),
        ("::1/128", "the loopback address (::1)"),
        ("64:ff9b::/96", "a NAT64 address (64:ff9b::/96)"),
        ("64:ff9b:1::/48", "a local NAT64 address (64:ff9b:1::/48)"),
        ("100::/64", "a discard-only address (100::/64)"),
        ("2001:db8::/32", "a documentation address (2001:db8::/32)"),
        ("2001::/32", "a Teredo address (2001::/32)"),
        ("2001::/23", "an IETF protocol address (2001::/23)"),
        ("2002::/16", "a 6to4 address (2002::/16)"),
        ("3fff::/20", "a documentation address (3fff::/20)"),
        ("fc00::/7", "a unique local address (fc00::/7)"),
        ("fe80::/10", "a link-local address (fe80::/10)"),
        ("fec0::/10", "a site-local address (fec0::/10)"),
        ("ff00::/8", "a multicast address (ff00::/8)"),
    )
)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def unwrap_address(address: IPAddress) -> IPAddress:
    """Return the IPv4 address inside an IPv4-mapped (``::ffff:a.b.c.d``) or
    IPv4-compatible (``::a.b.c.d``) IPv6 address, else the address itself.

    A mapped address reaches the IPv4 host, and a compatible one (long
    deprecated) names it, so both are checked, and connected to, as it.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _IPV4_COMPATIBLE and int(address) > 1:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def refusal_reason(address: IPAddress) -> str | None:
    """Return why ``address`` must not be fetched, or None if it is public."""
    unwrapped = unwrap_address(address)
    shown = str(address)
    if unwrapped != address:
        shown = f"{address} (which is {unwrapped})"
    if isinstance(unwrapped, ipaddress.IPv6Address) and unwrapped.sixtofour:
        inner = refusal_reason(unwrapped.sixtofour)
        if inner is not None:
            return f"{shown} wraps {inner}"
    for network, label in _BLOCKED_RANGES:
        if unwrapped.version == network.version and unwrapped in network:
            return f"{shown} is {label}"
    checks = (
        (unwrapped.is_loopback, "a loopback address"),
        (unwrapped.is_private, "a private address"),
        (unwrapped.is_link_local, "a link-local address"),
        (unwrapped.is_multicast, "a multicast address"),
        (unwrapped.is_reserved, "a reserved address"),
        (unwrapped.is_unspecified, "an unspecified address"),
        (not unwrapped.is_global, "not a globally reachable address"),
    )
    for applies, label in checks:
        if applies:
            return f"{shown} is {label}"
    return None


def _parse_address(text: str) -> IPAddress:
    # getaddrinfo spells link-local IPv6 with a zone ("fe80::1%eth0").
    return ipaddress.ip_address(text.split("%", 1)[0])


_dns_pool: tuple[int, ThreadPoolExecutor] | None = None  # (pid, pool)
_dns_pool_lock = threading.Lock()


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` with the system resolver, within DNS_TIMEOUT.

    Returns at most MAX_ADDRESSES_PER_FAMILY addresses of each family.
    getaddrinfo cannot be cancelled, so it runs on a small pool and a slow
    answer is abandoned, not waited for.
    """
    global _dns_pool  # started on first use, then shared by the process
    with _dns_pool_lock:
        # A forked worker inherits the pool object but not its threads.
        if _dns_pool is None or _dns_pool[0] != os.getpid():
            pool = ThreadPoolExecutor(4, thread_name_prefix="safe-http-dns")
            _dns_pool = (os.getpid(), pool)
        pool = _dns_pool[1]
    future = pool.submit(
        socket.getaddrinfo,
        host,
        port,
        type=socket.SOCK_STREAM,
        proto=socket.IPPROTO_TCP,
    )
    try:
        infos = future.result(timeout=DNS_TIMEOUT)
    except FutureTimeoutError:
        message = f"resolving {host} took longer than {DNS_TIMEOUT:g} s"
        raise FetchError(message) from None
    taken: dict[int, list[str]] = {}
    for family, _, _, _, sockaddr in infos:
        found = taken.setdefault(family, [])
        address = str(sockaddr[0])
        if len(found) < MAX_ADDRESSES_PER_FAMILY and address not in found:
            found.append(address)
    return [address for found in taken.values() for address in found]


# URLs -------------------------------------------------------------------------

_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


@dataclass(frozen=True, slots=True)
class HttpUrl:
    """An absolute http(s) URL, split, with its host in one spelling.

    ``host`` is ASCII and lower-case: IDNA-encoded if it was Unicode,
    without a trailing dot, and an IPv6 literal without its brackets.
    ``port`` is None unless the URL gave one.
    """

    scheme: str
    host: str
    port: int | None
    path: str
    query: str

    @property
    def effective_port(self) -> int:
        return self.port or (443 if self.scheme == "https" else 80)


def parse_http_url(url: str) -> HttpUrl:
    """Split an absolute http(s) URL, refusing anything else.

    The one definition of an acceptable URL, shared by story links (which
    normalise what passes) and the fetcher (which refuses what fails).
    Raises ValueError, with a message fit to show a user, for: an empty or
    over-long URL, control characters, a scheme other than http or https,
    a user name or password, a missing or malformed host, a bad port.
    """
    if not url:
        raise ValueError("The URL is empty.")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if _CONTROL.search(url):
        raise ValueError("The URL contains control characters.")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError("The URL is not valid.") from None
    scheme = parts.scheme.lower()
    if scheme and scheme not in ("http", "https"):
        raise ValueError(f"Only http and https URLs are allowed, not {scheme}:.")
    if not scheme or not url[len(scheme) :].startswith("://"):
        raise ValueError("The URL must start with http:// or https://.")
    if "@" in parts.netloc:
        raise ValueError("The URL must not contain a user name or password.")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError("The URL's port is not a number from 1 to 65535.")
    host = _ascii_host(parts.netloc, parts.hostname)
    return HttpUrl(scheme, host, port, parts.path, parts.query)


def _ascii_host(netloc: str, hostname: str | None) -> str:
    if not hostname:
        raise ValueError("The URL has no host name.")
    if netloc.startswith("["):
        try:
            return ipaddress.IPv6Address(hostname).compressed
        except ValueError:
            raise ValueError("The URL's IPv6 address is not valid.") from None
    hostname = hostname.rstrip(".")
    if not hostname.isascii():
        try:
            # Python's codec is IDNA 2003 (nameprep lower-cases and maps
            # width variants); the few code points where IDNA 2008 differs,
            # such as "ß", are rare in hosts.
            hostname = hostname.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError("The URL's host name is not valid.") from None
    hostname = hostname.lower()
    labels = hostname.split(".")
    if len(hostname) > 253 or not all(_HOST_LABEL.match(x) for x in labels):
        raise ValueError("The URL's host name is not valid.")
    return hostname


# Requests ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    url: str
    scheme: str
    host: str  # for Host, SNI and resolving
    port: int
    path: str
    literal: IPAddress | None


def _check_url(url: str) -> _Target:
    try:
        parsed = parse_http_url(url)
    except ValueError as error:
        raise FetchRefused(str(error)) from None
    host = parsed.host
    if host == "localhost" or host.endswith(".localhost"):
        # RFC 6761: always loopback, whatever a resolver says.
        raise FetchRefused(f"{host} is a loopback name")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    # Spaces and non-ASCII in a redirect's Location are sent escaped, as
    # browsers do; existing escapes are kept.
    path = quote(parsed.path or "/", safe=_PATH_SAFE)
    if parsed.query:
        path += "?" + quote(parsed.query, safe=_PATH_SAFE)
    return _Target(url, parsed.scheme, host, parsed.effective_port, path, literal)


def _addresses_for(
    target: _Target, resolver: Resolver, allowed: frozenset[IPAddress]
) -> list[IPAddress]:
    if target.literal is not None:
        found = [target.literal]
    else:
        try:
            found = [_parse_address(a) for a in resolver(target.host, target.port)]
        except FetchError:
            raise
        except (OSError, ValueError, UnicodeError) as error:
            raise FetchError(f"could not resolve {target.host} ({error})") from None
    if not found:
        raise FetchError(f"{target.host} has no addresses")
    checked = []
    for address in found:
        unwrapped = unwrap_address(address)
        if address not in allowed and unwrapped not in allowed:
            reason = refusal_reason(address)
            if reason is not None:
                raise FetchRefused(f"{target.host} resolves to {reason}")
        checked.append(unwrapped)
    return checked


class _Watchdog:
    """Shut the current socket when the total deadline passes.

    Socket timeouts bound each read, not their sum; shutting the socket
    from another thread wakes whatever read is blocked, in any phase (TLS
    handshake, headers, body).
    """

    def __init__(self, total_timeout: float) -> None:
        self.total_timeout = total_timeout
        self.deadline = time.monotonic() + total_timeout
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, total_timeout), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self.fired:
                self._shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            if self._sock is not None:
                self._shut(self._sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        # The plain socket's shutdown, even on an SSLSocket: it acts on the
        # file descriptor without touching the TLS state that the reading
        # thread is using. OSError: already closed, nothing left to wake.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()

    def passed(self) -> bool:
        return self.fired or self.remaining() <= 0

    def error(self) -> FetchError:
        return FetchError(f"the fetch took longer than {self.total_timeout:g} s")


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP connection to a checked address, sending the name as Host."""

    def __init__(
        self,
        target: _Target,
        address: IPAddress,
        watchdog: _Watchdog,
        connect_timeout: float,
        context: ssl.SSLContext | None,
    ) -> None:
        super().__init__(target.host, target.port, timeout=connect_timeout)
        self._address = address
        self._watchdog = watchdog
        self._context = context
        # Host is "name:port" unless the port is the scheme's default.
        self.default_port = 443 if context is not None else 80

    def connect(self) -> None:
        timeout = min(self.timeout or CONNECT_TIMEOUT, self._watchdog.remaining())
        if timeout <= 0:
            raise TimeoutError("deadline passed before connecting")
        sock = socket.create_connection((str(self._address), self.port), timeout)
        self._watchdog.watch(sock)
        if self._context is not None:
            sock = self._context.wrap_socket(sock, server_hostname=self.host)
            self._watchdog.watch(sock)
        sock.settimeout(max(0.001, self._watchdog.remaining()))
        self.sock = sock


@functools.cache
def _default_tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


# Bodies -----------------------------------------------------------------------


class _Inflater:
    """Decompress a body incrementally, never producing more than asked.

    gzip (several members allowed), zlib-wrapped deflate, and the raw
    deflate some servers send as "deflate"; identity passes through.
    """

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._zlib: zlib._Decompress | None = None

    def _start(self, data: bytes) -> "zlib._Decompress":
        if self._encoding == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # A zlib header is 0x?8 then a byte making the pair a multiple of 31.
        wrapped = (
            len(data) >= 2
            and data[0] & 0x0F == 8
            and (data[0] << 8 | data[1]) % 31 == 0
        )
        return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def feed(self, data: bytes, limit: int) -> bytes:
        """Return up to ``limit`` decompressed bytes from ``data``."""
        if self._encoding == "identity":
            return data[:limit]
        out = bytearray()
        # Each pass consumes input or fills the output; the bound is a guard.
        for _ in range(1_000):
            if not data or len(out) >= limit:
                break
            if self._zlib is None:
                self._zlib = self._start(data)
            out += self._zlib.decompress(data, limit - len(out))
            if self._zlib.eof:
                data = self._zlib.unused_data
                self._zlib = None
                if not data.startswith(b"\x1f\x8b") or self._encoding != "gzip":
                    break  # trailing junk after the stream, as browsers ignore
            else:
                data = self._zlib.unconsumed_tail
        return bytes(out)


def _inflater_for(headers: http.client.HTTPMessage) -> _Inflater:
    encoding = (headers.get("Content-Encoding") or "identity").strip().lower()
    encoding = {"x-gzip": "gzip", "": "identity"}.get(encoding, encoding)
    if encoding not in ("gzip", "deflate", "identity"):
        raise FetchError(f"the response uses an unsupported encoding ({encoding})")
    return _Inflater(encoding)


# Responses --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FetchResponse:
    """What a fetch returns: the final URL, status, headers and body.

    ``headers`` has lower-case names (repeated headers joined by ", ").
    ``body`` is decompressed and at most ``max_bytes`` long; ``truncated``
    says the server had more. ``redirects`` are the URLs that redirected,
    in order.
    """

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    truncated: bool
    redirects: tuple[str, ...]

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def text(self) -> str:
        """Return the body as text, in its declared charset or else UTF-8."""
        match = re.search(
            r"charset=[\"']?([\w.:-]+)", self.headers.get("content-type", "")
        )
        charset = match.group(1) if match else "utf-8"
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


def _collect_headers(message: http.client.HTTPMessage) -> Mapping[str, str]:
    headers: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return MappingProxyType(headers)


def fetch(
    url: str,
    *,
    resolver: Resolver = system_resolver,
    max_bytes: int = MAX_BYTES,
    connect_timeout: float = CONNECT_TIMEOUT,
    total_timeout: float = TOTAL_TIMEOUT,
    max_redirects: int = MAX_REDIRECTS,
    allow_addresses: Iterable[str | IPAddress] = frozenset(),
    ssl_context: ssl.SSLContext | None = None,
) -> FetchResponse:
    """GET ``url`` safely and return the response (any status).

    Raises FetchRefused when the URL or an address it resolves to, at any
    hop, is not fetchable (no connection is made), and FetchError when the
    network, the server or a limit fails the fetch: more than
    ``max_redirects`` redirects, ``total_timeout`` seconds passing, an
    unsupported content encoding. ``allow_addresses`` exempts exact
    addresses from the check (an operator's LAN peers; a test's loopback
    server). ``ssl_context`` replaces the default verifying context, for a
    private CA; it is not a way to turn verification off.
    """
    allowed = frozenset(
        unwrap_address(ipaddress.ip_address(a) if isinstance(a, str) else a)
        for a in allow_addresses
    )
    if max_redirects < 0 or max_bytes < 0:
        raise ValueError("max_redirects and max_bytes cannot be negative")
    watchdog = _Watchdog(total_timeout)
    redirects: list[str] = []
    try:
        current = url
        for hop in range(max_redirects + 1):
            target = _check_url(current)
            addresses = _addresses_for(target, resolver, allowed)
            if watchdog.passed():
                raise watchdog.error()
            context = None
            if target.scheme == "https":
                context = ssl_context or _default_tls_context()
            response = _exchange(
                target,
                addresses,
                watchdog,
                connect_timeout=connect_timeout,
                context=context,
                max_bytes=max_bytes,
                redirects=tuple(redirects),
            )
            location = response.headers.get("location")
            if response.status not in _REDIRECTS or not location:
                return response
            if hop == max_redirects:
                raise FetchError(f"more than {max_redirects} redirects")
            redirects.append(current)
            current = urljoin(current, location)
        raise AssertionError("unreachable: the loop returns or raises")
    finally:
        watchdog.cancel()


def _exchange(
    target: _Target,
    addresses: list[IPAddress],
    watchdog: _Watchdog,
    *,
    connect_timeout: float,
    context: ssl.SSLContext | None,
    max_bytes: int,
    redirects: tuple[str, ...],
) -> FetchResponse:
    """Make one request to the first address that answers; read the reply."""
    failure: Exception | None = None
    for address in addresses:
        connection = _PinnedConnection(
            target, address, watchdog, connect_timeout, context
        )
        try:
            connection.connect()
        except (OSError, ValueError) as error:
            connection.close()
            failure = error
            if watchdog.passed():
                break
            continue
        try:
            return _request(connection, target, watchdog, max_bytes, redirects)
        except (OSError, http.client.HTTPException, ValueError, zlib.error) as error:
            if watchdog.passed():
                raise watchdog.error() from None
            if isinstance(error, zlib.error):
                raise FetchError("the response's compressed body is corrupt") from None
            raise FetchError(f"{target.host} failed mid-response ({error})") from None
        finally:
            connection.close()
    if watchdog.passed():
        raise watchdog.error()
    raise FetchError(f"could not connect to {target.host} ({failure})")


def _request(
    connection: _PinnedConnection,
    target: _Target,
    watchdog: _Watchdog,
    max_bytes: int,
    redirects: tuple[str, ...],
) -> FetchResponse:
    connection.request(
        "GET",
        target.path,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
            "Accept-Encoding": "gzip, deflate",
            "Connection": "close",
        },
    )
    reply = connection.getresponse()
    headers = _collect_headers(reply.headers)
    if reply.status in _REDIRECTS and headers.get("location"):
        # The body of a redirect is never read: it is not wanted, and
        # reading it would spend the deadline.
        return FetchResponse(target.url, reply.status, headers, b"", False, redirects)
    inflater = _inflater_for(reply.headers)
    body = bytearray()
    raw = 0
    truncated = False
    while True:
        # read1 returns after one socket read, so the loop sees the clock.
        chunk = reply.read1(_READ_SIZE)
        if watchdog.fired:
            raise watchdog.error()
        if not chunk:
            break
        raw += len(chunk)
        room = max_bytes - len(body)
        out = inflater.feed(chunk, room + 1)
        body += out[:room]
        # More than the cap decompressed, or more than the cap received (a
        # stream of empty deflate blocks decompresses to nothing forever).
        if len(out) > room or raw > max_bytes:
            truncated = True
            break
    return FetchResponse(
        target.url, reply.status, headers, bytes(body), truncated, redirects
    )
