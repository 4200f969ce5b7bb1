"""The safe fetcher: refused means no socket, limits hold, previews parse.

Every test here runs under ``connects``, which fails the test on any
connect() to a non-loopback address and records every attempt, so a refusal
can be shown to have opened nothing. The loopback server counts requests,
so "refused" is also shown to mean "zero requests arrived" (rows B-51…B-59
of the security notes).
"""

import contextlib
import http.server
import ipaddress
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubbub.core.previews import parse_preview
from hubbub.core.safe_http import (
    FetchError,
    FetchRefused,
    FetchResponse,
    fetch,
    refusal_reason,
    system_resolver,
)

PAGE = b"""<!doctype html><html><head>
<title>Fallback title</title>
<meta property="og:title" content="A story &amp; its title">
<meta property="og:description" content="What it is about.">
<meta property="og:site_name" content="Example News">
<meta property="og:image" content="/img/card.png">
</head><body><p>Hello</p></body></html>"""


# Guard: no connect() leaves the machine --------------------------------------


def _is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a name: connect() would resolve it itself
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


@pytest.fixture(autouse=True)
def connects(monkeypatch) -> list[str]:
    """Record every connect(); fail the test on one to a non-loopback host.

    pytest.fail raises an outcome exception that is not an Exception, so the
    fetcher's error handling cannot swallow it.
    """
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(address: object) -> None:
        if isinstance(address, tuple):
            host = str(address[0])
            attempts.append(host)
            if not _is_loopback(host):
                pytest.fail(f"connect() to a non-loopback address: {address}")

    def connect(self: socket.socket, address: object) -> None:
        check(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        check(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return attempts


# A loopback server that counts requests --------------------------------------


type Route = Callable[["_Handler"], None]


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    hits: list[tuple[str, str | None]]
    routes: dict[str, Route]
    sni: list[str | None]

    def handle_error(self, request, client_address) -> None:
        # The fetcher hangs up on purpose (caps, deadlines); the resulting
        # broken pipes are expected, not failures.
        pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.server.hits.append((self.path, self.headers.get("Host")))
        route = self.server.routes.get(urlsplit(self.path).path, _page)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route(self)

    def query(self, name: str) -> str:
        return parse_qs(urlsplit(self.path).query)[name][0]

    def reply(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _page(handler: _Handler) -> None:
    handler.reply(200, PAGE, Content_Type="text/html; charset=utf-8")


def _redirect(handler: _Handler) -> None:
    handler.reply(302, Location=handler.query("to"))


def _loop(handler: _Handler) -> None:
    handler.reply(302, Location="/loop")


def _big(handler: _Handler) -> None:
    # 10 MB in 64 KB writes; with "sized=0" no Content-Length, the end of
    # the body is the end of the connection (B-57's second case).
    sized = handler.query("sized") == "1"
    handler.send_response(200)
    if sized:
        handler.send_header("Content-Length", str(10 * 1024 * 1024))
    else:
        handler.send_header("Connection", "close")
        handler.close_connection = True
    handler.end_headers()
    block = b"x" * 65_536
    for _ in range(160):
        handler.wfile.write(block)


def _compressed(body: bytes, wbits: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return packer.compress(body) + packer.flush()


def _deflate(handler: _Handler) -> None:
    wbits = -zlib.MAX_WBITS if handler.query("raw") == "1" else zlib.MAX_WBITS
    handler.reply(200, _compressed(PAGE, wbits), Content_Encoding="deflate")


def _brotli(handler: _Handler) -> None:
    handler.reply(200, b"\x0b\x02\x80hello\x03", Content_Encoding="br")


def _trickle(handler: _Handler) -> None:
    # One byte every 50 ms of a 1,000-byte body: 50 s in all, far past a
    # 1 s deadline. Bounded so the thread ends even if nobody hangs up.
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    for _ in range(1000):
        handler.wfile.write(b"x")
        handler.wfile.flush()
        time.sleep(0.05)


def _trickle_headers(handler: _Handler) -> None:
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    for _ in range(1000):
        handler.wfile.write(b"y")
        handler.wfile.flush()
        time.sleep(0.05)


@dataclass
class LoopbackServer:
    server: _Server
    scheme: str = "http"
    bomb: bytes = field(default=b"", repr=False)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def hits(self) -> list[tuple[str, str | None]]:
        return self.server.hits

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"


def _start(context: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> _Server:
    server = _Server((host, 0), _Handler)
    server.hits = []
    server.sni = []
    server.routes = {
        "/redirect": _redirect,
        "/loop": _loop,
        "/big": _big,
        "/deflate": _deflate,
        "/brotli": _brotli,
        "/trickle": _trickle,
        "/trickle-headers": _trickle_headers,
    }
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    serve = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    serve.start()
    return server


@pytest.fixture(scope="module")
def _shared_server() -> Iterator[_Server]:
    httpd = _start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def server(_shared_server) -> LoopbackServer:
    """The loopback server, with its request count at zero."""
    _shared_server.hits.clear()
    _shared_server.routes.pop("/bomb", None)
    return LoopbackServer(_shared_server)


def resolver_for(table: dict[str, list[str]], calls: list[str] | None = None):
    """A fake resolver: names to addresses; any other name is NXDOMAIN."""

    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


NO_DNS = resolver_for({})
SERVER_ONLY = frozenset({"127.0.0.1"})


def get(server: LoopbackServer, path: str, **options) -> FetchResponse:
    """Fetch a path from the loopback server, allowed as if it were public."""
    return fetch(
        server.url(path), resolver=NO_DNS, allow_addresses=SERVER_ONLY, **options
    )


# Every refused range, through the fake resolver (B-52…B-54) -------------------

REFUSED = [
    "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
    "0.1.2.3",
    "10.0.0.1",
    "10.255.255.254",
    "100.64.0.1",
    "100.127.255.254",
    "127.0.0.1",
    "127.1.2.3",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.254",
    "192.0.0.8",
    "192.0.2.1",
    "192.88.99.1",
    "192.168.1.1",
    "198.18.0.1",
    "198.19.255.254",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
    "::ffff:0:127.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b:1::1",
    "100::1",
    "2001::1",
    "2001:db8::1",
    "2001:10::1",
    "2002:7f00:1::1",
    "2002:808:808::1",
    "3fff::1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fe80::1%eth0",
    "fec0::1",
    "ff02::1",
    "ff05::2",
]


@pytest.mark.parametrize("address", REFUSED)
def test_every_internal_range_is_refused_before_any_socket(address, server, connects):
    calls: list[str] = []
    resolve = resolver_for({"victim.example": [address]}, calls)

    with pytest.raises(FetchRefused, match=r"victim\.example resolves to"):
        fetch(server.url("/", host="victim.example"), resolver=resolve)

    assert calls == ["victim.example"]  # resolved once
    assert connects == []
    assert server.hits == []


@pytest.mark.parametrize("address", REFUSED)
def test_refusal_reason_names_the_range(address):
    parsed = ipaddress.ip_address(address.split("%")[0])

    reason = refusal_reason(parsed)

    assert reason is not None
    assert str(parsed) in reason


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address):
    assert refusal_reason(ipaddress.ip_address(address)) is None


def test_one_internal_address_among_public_ones_refuses_the_host(server, connects):
    resolve = resolver_for({"mixed.example": ["93.184.216.34", "10.0.0.7"]})

    with pytest.raises(FetchRefused, match=r"10\.0\.0\.7"):
        fetch("http://mixed.example/", resolver=resolve)

    assert connects == []


# Literal hosts and the allowlist (B-51, B-53) ---------------------------------


def test_loopback_server_is_refused_then_fetched_when_allowed(server, connects):
    with pytest.raises(FetchRefused, match="loopback"):
        fetch(server.url("/page"), resolver=NO_DNS)
    assert server.hits == []
    assert connects == []

    response = get(server, "/page")

    assert response.status == 200
    assert response.body == PAGE
    assert len(server.hits) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/",
        "http://localhost:{port}/",
        "http://api.localhost:{port}/",
        "http://0.0.0.0:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://[::ffff:7f00:1]:{port}/",
    ],
)
def test_internal_literal_hosts_are_refused_without_resolving(url, server, connects):
    calls: list[str] = []

    with pytest.raises(FetchRefused):
        fetch(url.format(port=server.port), resolver=resolver_for({}, calls))

    assert calls == []
    assert connects == []
    assert server.hits == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://news.example:70/1",
        "ftp://news.example/",
        "dict://news.example:11211/stat",
        "ldap://news.example/",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "news.example/page",
        "http://user:secret@news.example/",
        "http://news.example@10.0.0.1/",
        "http:///no-host",
        "http://news.example/\r\nX-Injected: 1",
    ],
)
def test_other_schemes_and_odd_urls_are_refused(url, server, connects):  # B-56
    calls: list[str] = []

    with pytest.raises(FetchRefused):
        fetch(url, resolver=resolver_for({"news.example": ["127.0.0.1"]}, calls))

    assert calls == []
    assert connects == []


def test_resolver_failure_is_an_error_not_a_refusal(connects):
    with pytest.raises(FetchError, match="could not resolve") as caught:
        fetch("http://nowhere.example/", resolver=NO_DNS)

    assert not isinstance(caught.value, FetchRefused)
    assert connects == []


def test_system_resolver_answers_numeric_hosts_without_dns():
    assert system_resolver("127.0.0.1", 80) == ["127.0.0.1"]


# Connecting to the checked address, under the name ----------------------------


@pytest.mark.parametrize("answer", ["127.0.0.1", "::ffff:127.0.0.1"])
def test_public_name_connects_to_the_checked_address_and_sends_the_name(
    answer, server, connects
):
    # The allowlist names 127.0.0.1; the mapped answer is the same host.
    resolve = resolver_for({"news.example": [answer]})

    response = fetch(
        server.url("/page", host="news.example"),
        resolver=resolve,
        allow_addresses=SERVER_ONLY,
    )

    assert response.status == 200
    assert response.url == server.url("/page", host="news.example")
    assert response.content_type == "text/html"
    assert server.hits == [("/page", f"news.example:{server.port}")]
    assert connects == ["127.0.0.1"]


# Redirects (B-55) -------------------------------------------------------------


@pytest.fixture
def public_server() -> Iterator[LoopbackServer]:
    """A second server on 127.0.0.2, standing in for a public host."""
    try:
        httpd = _start(host="127.0.0.2")
    except OSError:
        pytest.fail("this system cannot bind 127.0.0.2")
    yield LoopbackServer(httpd)
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/page",
        "http://[::ffff:127.0.0.1]:{port}/page",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/page",
        "http://localhost:{port}/page",
        "http://internal.example:{port}/page",
        "file:///etc/passwd",
    ],
)
def test_redirect_to_an_internal_address_is_refused_at_the_hop(
    target, server, public_server, connects
):
    # The public-looking name reaches public_server (allowed as if it were
    # public); it redirects to `server`, on a refused address, which must
    # see nothing.
    resolve = resolver_for(
        {"news.example": ["127.0.0.2"], "internal.example": ["10.1.2.3"]}
    )
    location = target.format(port=server.port)
    url = f"http://news.example:{public_server.port}/redirect?to={location}"

    with pytest.raises(FetchRefused):
        fetch(url, resolver=resolve, allow_addresses={"127.0.0.2"})

    assert len(public_server.hits) == 1
    assert server.hits == []
    assert connects == ["127.0.0.2"]


def test_redirect_within_the_site_is_followed(server):
    resolve = resolver_for({"news.example": ["127.0.0.1"]})

    response = fetch(
        server.url("/redirect?to=/page", host="news.example"),
        resolver=resolve,
        allow_addresses=SERVER_ONLY,
    )

    assert response.status == 200
    assert response.body == PAGE
    assert response.url == server.url("/page", host="news.example")
    assert response.redirects == (
        server.url("/redirect?to=/page", host="news.example"),
    )


def test_redirect_loop_stops_after_three_hops(server):
    with pytest.raises(FetchError, match="more than 3 redirects"):
        get(server, "/loop")

    assert len(server.hits) == 4  # the request and three followed redirects


# Size caps (B-57) -------------------------------------------------------------


@pytest.mark.parametrize("sized", ["1", "0"])
def test_a_10_mb_body_is_capped_at_1_mb(sized, server):
    response = get(server, f"/big?sized={sized}")

    assert len(response.body) == 1_000_000
    assert response.truncated


def test_a_body_exactly_at_the_cap_is_not_truncated(server):
    response = get(server, "/page", max_bytes=len(PAGE))

    assert response.body == PAGE
    assert not response.truncated


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """About 100 KB of gzip that inflates to 100 MB of zeros.

    One megabyte is compressed once and its blocks repeated: a full flush
    resets the compressor's window, so each copy decodes on its own.
    """
    megabyte = bytes(1024 * 1024)
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    blocks = packer.compress(megabyte) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(100):
        crc = zlib.crc32(megabyte, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = struct.pack("<II", crc, (100 * len(megabyte)) & 0xFFFFFFFF)
    bomb = header + blocks * 100 + packer.flush() + trailer
    assert len(bomb) < 200_000
    return bomb


def test_a_gzip_bomb_stops_at_1_mb_without_blowing_up_memory(server, gzip_bomb):
    server.server.routes["/bomb"] = lambda handler: handler.reply(
        200, gzip_bomb, Content_Encoding="gzip", Content_Type="text/html"
    )

    tracemalloc.start()
    try:
        response = get(server, "/bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(response.body) == 1_000_000
    assert response.truncated
    assert peak < 10_000_000


@pytest.mark.parametrize("raw", ["0", "1"])
def test_deflate_is_decompressed_in_both_spellings(raw, server):
    response = get(server, f"/deflate?raw={raw}")

    assert response.body == PAGE


def test_unsupported_encodings_fail_instead_of_returning_garbage(server):
    with pytest.raises(FetchError, match="unsupported encoding"):
        get(server, "/brotli")


# Deadlines (B-58) -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/trickle", "/trickle-headers"])
def test_a_trickling_server_is_cut_off_by_the_total_deadline(path, server):
    started = time.monotonic()

    with pytest.raises(FetchError, match="longer than 1 s"):
        get(server, path, total_timeout=1)

    assert time.monotonic() - started < 3


# TLS: SNI and verification ----------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        pytest.fail("openssl is not installed; the TLS tests need it")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-nodes", "-days", "1",
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-subj", "/CN=news.example",
            "-addext", "subjectAltName=DNS:news.example",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


@pytest.fixture
def tls_server(certificate) -> Iterator[LoopbackServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    httpd = _start(context)
    httpd.sni = names
    yield LoopbackServer(httpd, scheme="https")
    httpd.shutdown()
    httpd.server_close()


def test_https_sends_the_name_as_sni_and_verifies_the_certificate(
    tls_server, certificate, connects
):
    trusting = ssl.create_default_context(cafile=certificate[0])
    resolve = resolver_for({"news.example": ["127.0.0.1"]})

    response = fetch(
        tls_server.url("/page", host="news.example"),
        resolver=resolve,
        allow_addresses=SERVER_ONLY,
        ssl_context=trusting,
    )

    assert response.body == PAGE
    assert tls_server.server.sni == ["news.example"]
    assert tls_server.hits == [("/page", f"news.example:{tls_server.port}")]
    assert connects == ["127.0.0.1"]


def test_https_with_an_untrusted_certificate_fails(tls_server):
    resolve = resolver_for({"news.example": ["127.0.0.1"]})

    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch(
            tls_server.url("/page", host="news.example"),
            resolver=resolve,
            allow_addresses=SERVER_ONLY,
        )

    assert tls_server.hits == []


# Previews ---------------------------------------------------------------------


def test_preview_prefers_opengraph_and_resolves_the_image():
    preview = parse_preview(PAGE.decode(), "https://news.example/stories/1")

    assert preview.title == "A story & its title"
    assert preview.description == "What it is about."
    assert preview.site_name == "Example News"
    assert preview.image_url == "https://news.example/img/card.png"


def test_preview_falls_back_to_twitter_then_title():
    html = """<html><head><title>
      Plain   title </title>
      <meta name="twitter:description" content="From the card">
      <meta name="description" content="Plain description">
      <meta name="twitter:image" content="javascript:alert(1)">
      </head><body><meta property="og:title" content="Too late"></body>"""

    preview = parse_preview(html, "https://news.example/")

    assert preview.title == "Plain title"
    assert preview.description == "From the card"
    assert preview.site_name == ""
    assert preview.image_url is None


def test_preview_cuts_long_fields():
    html = f'<meta property="og:title" content="{"t" * 5000}"><title>x</title>'

    assert len(parse_preview(html, "https://news.example/").title) == 300


@given(st.text(max_size=2000))
def test_preview_never_raises_on_junk(html):
    parse_preview(html, "https://news.example/")


@given(st.text(alphabet="<>/=\"' !-abcdefghmt&#;[]", max_size=500))
def test_preview_never_raises_on_tag_soup(html):
    parse_preview(html, "https://news.example/")


def test_preview_image_on_an_internal_address_is_refused_when_fetched(connects):
    html = '<meta property="og:image" content="http://169.254.169.254/creds">'

    image = parse_preview(html, "https://news.example/").image_url

    assert image == "http://169.254.169.254/creds"
    with pytest.raises(FetchRefused):  # B-59: the same guard
        fetch(image, resolver=NO_DNS)
    assert connects == []
