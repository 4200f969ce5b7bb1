"""Story links: one canonical spelling per URL, and the key duplicates share.

``normalise_url`` gives the URL a story stores and links to: the same page
spelled the same way, without tracking parameters, and refused outright when
it is not a plain http(s) link. It keeps the scheme the submitter gave:
rewriting http to https breaks sites that only speak http, and the reverse
would downgrade a secure link.

``duplicate_key`` is what duplicate detection compares. It also forgets the
scheme and a leading "www.", because ``http://www.example.com/a`` and
``https://example.com/a`` are the same story to a reader (security row
B-69). A second submission with the same key leads to the existing story.

This module only parses text; it never resolves or fetches. Whether the host
is safe to fetch is ``hubbub.core.safe_http``'s decision, made at fetch time
on the resolved address.
"""

import re
from urllib.parse import quote, unquote_plus, urlsplit

from hubbub.core.safe_http import MAX_URL_LENGTH, parse_http_url

# Query parameters that identify a click or a campaign, never the page:
# dropping them makes shared links match and stops tracking readers.
TRACKING_PREFIXES = ("utm_", "mc_")
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "gbraid",
        "wbraid",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "ref",
        "ref_src",
    }
)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
)
# RFC 3986 sub-delims plus ":" and "@" may stand unescaped in a path
# segment; "%" is kept because escapes are normalised separately.
_PATH_SAFE = "/!$&'()*+,;=:@%-._~"
_QUERY_SAFE = "/?!$'()*+,;=:@%-._~"


def normalise_url(url: str) -> str:
    """Return the canonical form of a story's http(s) URL.

    Lower-cases the scheme and host, IDNA-encodes a Unicode host (so the
    Unicode and punycode spellings match), drops the default port, the
    fragment, tracking parameters and a trailing slash on a non-root path,
    sorts the remaining query parameters by name and normalises
    percent-escapes. Raises ValueError, with a message fit to show the
    submitter, for anything but a plain http(s) URL: other schemes, user
    names or passwords, a missing or malformed host, control characters,
    more than MAX_URL_LENGTH characters (the rules of
    ``hubbub.core.safe_http.parse_http_url``, so any link a story accepts
    is one the fetcher will consider).
    """
    parsed = parse_http_url(url.strip())
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    if parsed.port not in (None, _DEFAULT_PORTS[parsed.scheme]):
        host = f"{host}:{parsed.port}"
    path = _normalise_path(parsed.path)
    query = _normalise_query(parsed.query)
    canonical = f"{parsed.scheme}://{host}{path}" + (f"?{query}" if query else "")
    if len(canonical) > MAX_URL_LENGTH:
        raise ValueError(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    return canonical


def duplicate_key(url: str) -> str:
    """Return what two submissions share when they are the same story.

    The canonical URL without its scheme and without a leading "www.", so
    http and https, and www and bare host, count as one story.
    """
    canonical = normalise_url(url)
    rest = canonical.split("://", 1)[1]
    return "//" + rest.removeprefix("www.")


def domain_of(url: str) -> str:
    """Return the site a story links to: its host without "www." or port.

    Registrable-ish: ``blog.example.com`` stays as it is, because telling
    ``example.co.uk`` from ``co.uk`` needs the Public Suffix List.
    """
    host = urlsplit(normalise_url(url)).hostname or ""
    return host.removeprefix("www.")


def _normalise_escapes(text: str, safe: str) -> str:
    # Escape a lone "%", escape what must be escaped (spaces, non-ASCII as
    # UTF-8), then spell every escape one way: unreserved characters
    # decoded, the rest in upper-case hex, so "%7e" and "~" match.
    text = quote(_LONE_PERCENT.sub("%25", text), safe=safe)

    def spell(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else match.group(0).upper()

    return _ESCAPE.sub(spell, text)


def _normalise_path(path: str) -> str:
    segments: list[str] = []
    for segment in path.split("/")[1:]:
        # Remove dot segments (RFC 3986 §5.2.4): "/a/./b/../c" is "/a/c".
        if segment == "..":
            if segments:
                segments.pop()
        elif segment != ".":
            segments.append(segment)
    path = "/" + "/".join(segments)
    path = _normalise_escapes(path, _PATH_SAFE).rstrip("/")
    return path or "/"


def _normalise_query(query: str) -> str:
    kept: list[tuple[str, str]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        name = unquote_plus(piece.split("=", 1)[0]).lower()
        if name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES):
            continue
        kept.append((name, _normalise_escapes(piece, _QUERY_SAFE)))
    # A stable sort by name: repeated names keep their order, which some
    # sites give meaning to ("?tag=a&tag=b").
    kept.sort(key=lambda item: item[0])
    return "&".join(piece for _, piece in kept)
