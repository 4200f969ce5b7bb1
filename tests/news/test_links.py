"""Story links: canonical URLs, duplicate keys and refusals (rows B-69, B-70).

Decision: the canonical URL keeps the scheme the submitter gave, because
rewriting http to https breaks http-only sites and the reverse downgrades a
secure link. Duplicate detection compares ``duplicate_key``, which ignores
the scheme and a leading "www.", so http/https and www/bare variants of one
page lead to the same story.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubbub.news.links import domain_of, duplicate_key, normalise_url

CANONICAL = [
    # tracking parameters
    (
        "https://example.com/a?utm_source=x&utm_medium=y&id=3",
        "https://example.com/a?id=3",
    ),
    (
        "https://example.com/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ref=hn",
        "https://example.com/a",
    ),
    ("https://example.com/a?UTM_Campaign=x", "https://example.com/a"),
    ("https://example.com/a?b=2&a=1&c=3", "https://example.com/a?a=1&b=2&c=3"),
    ("https://example.com/a?tag=b&tag=a", "https://example.com/a?tag=b&tag=a"),
    ("https://example.com/a?", "https://example.com/a"),
    ("https://example.com/a?&&x=1&", "https://example.com/a?x=1"),
    # trailing slashes
    ("https://example.com/a/", "https://example.com/a"),
    ("https://example.com/a/b//", "https://example.com/a/b"),
    ("https://example.com/", "https://example.com/"),
    ("https://example.com", "https://example.com/"),
    # fragments
    ("https://example.com/a#comments", "https://example.com/a"),
    ("https://example.com/#", "https://example.com/"),
    # case
    ("HTTPS://Example.COM/Path", "https://example.com/Path"),
    ("https://EXAMPLE.com./a", "https://example.com/a"),
    # Unicode and punycode hosts
    ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ("https://BÜCHER.example/", "https://xn--bcher-kva.example/"),
    ("https://XN--BCHER-KVA.example/", "https://xn--bcher-kva.example/"),
    # ports
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("http://example.com:443/a", "http://example.com:443/a"),
    # escapes and dot segments
    ("https://example.com/%7euser/%e2%82%ac", "https://example.com/~user/%E2%82%AC"),
    ("https://example.com/a b/ü", "https://example.com/a%20b/%C3%BC"),
    ("https://example.com/100%", "https://example.com/100%25"),
    ("https://example.com/a/./b/../c", "https://example.com/a/c"),
    ("https://example.com/../../a", "https://example.com/a"),
    # addresses and surrounding whitespace
    ("http://[2001:DB8::0001]:8080/", "http://[2001:db8::1]:8080/"),
    ("  https://example.com/a \n", "https://example.com/a"),
]


@pytest.mark.parametrize(("given_url", "expected"), CANONICAL)
def test_normalise_url(given_url, expected):
    assert normalise_url(given_url) == expected


@pytest.mark.parametrize(("given_url", "expected"), CANONICAL)
def test_normalising_twice_changes_nothing(given_url, expected):
    assert normalise_url(expected) == expected


def test_http_and_https_stay_distinct_links_but_are_one_story():
    http, https = "http://example.com/a", "https://example.com/a"

    assert normalise_url(http) != normalise_url(https)
    assert duplicate_key(http) == duplicate_key(https)


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.com/story",
        "http://example.com/story",
        "https://www.example.com/story",
        "https://EXAMPLE.com/story/",
        "https://example.com:443/story#top",
        "https://example.com/story?utm_source=feed&fbclid=abc",
        "http://WWW.Example.com:80/story/?ref=hn#comments",
    ],
)
def test_variants_of_one_page_share_a_duplicate_key(variant):  # B-69
    assert duplicate_key(variant) == "//example.com/story"


def test_unicode_and_punycode_hosts_share_a_duplicate_key():
    assert duplicate_key("https://bücher.example/x") == duplicate_key(
        "http://xn--bcher-kva.example/x/"
    )


def test_different_pages_keep_different_keys():
    keys = {
        duplicate_key("https://example.com/a"),
        duplicate_key("https://example.com/b"),
        duplicate_key("https://example.com/a?id=1"),
        duplicate_key("https://blog.example.com/a"),
        duplicate_key("https://example.com:8080/a"),
    }

    assert len(keys) == 5


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "not javascript:"),
        ("JavaScript:alert(1)", "not javascript:"),
        ("data:text/html,<script>alert(1)</script>", "not data:"),
        ("file:///etc/passwd", "not file:"),
        ("ftp://example.com/file", "not ftp:"),
        ("example.com/a", "must start with http"),
        ("//example.com/a", "must start with http"),
        ("http:example.com", "must start with http"),
        ("https://user:secret@example.com/", "user name or password"),
        ("https://user@example.com/", "user name or password"),
        ("https://example.com@evil.example/", "user name or password"),
        ("https:///a", "no host"),
        ("https://", "no host"),
        ("", "empty"),
        ("   ", "empty"),
        ("https://exa mple.com/", "host name is not valid"),
        ("https://-bad-.example/", "host name is not valid"),
        ("https://example.com:0/", "port"),
        ("https://example.com:65536/", "port"),
        ("https://example.com:http/", "port"),
        ("https://[::1/", "not valid"),
        ("https://example.com/a\x00b", "control characters"),
        ("https://example.com/a\tb", "control characters"),
        ("https://example.com/a\u0085b", "control characters"),
        ("https://example.com/" + "a" * 2040, "longer than 2048"),
    ],
)
def test_bad_links_are_refused_with_a_reason(url, message):  # B-70
    with pytest.raises(ValueError, match=message):
        normalise_url(url)


def test_a_link_that_grows_past_the_limit_when_escaped_is_refused():
    with pytest.raises(ValueError, match="longer than 2048"):
        normalise_url("https://example.com/" + "ü" * 1000)


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://www.example.com/a", "example.com"),
        ("https://Example.com:8080/a", "example.com"),
        ("https://blog.example.co.uk/a", "blog.example.co.uk"),
        ("https://wwwexample.com/", "wwwexample.com"),
        ("https://bücher.example/", "xn--bcher-kva.example"),
    ],
)
def test_domain_of(url, domain):
    assert domain_of(url) == domain


_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_SEGMENT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")),
    max_size=12,
).map(lambda s: s.replace("/", "").replace("?", "").replace("#", ""))


@st.composite
def _urls(draw) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = ".".join(draw(st.lists(_LABEL, min_size=1, max_size=3)))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "/".join(draw(st.lists(_SEGMENT, max_size=4)))
    names = st.sampled_from(["a", "b", "utm_source", "ref", "Q", "x%20y"])
    pairs = draw(st.lists(st.tuples(names, _SEGMENT), max_size=4))
    query = "&".join(f"{k}={v}".replace("&", "").replace("#", "") for k, v in pairs)
    fragment = draw(st.sampled_from(["", "#", "#top"]))
    return f"{scheme}://{host}{port}/{path}?{query}{fragment}"


@given(_urls())
def test_normalising_is_idempotent(url):
    once = normalise_url(url)

    assert normalise_url(once) == once
    assert duplicate_key(once) == duplicate_key(url)
