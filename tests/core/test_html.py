"""HTML made from user text: escaped, linked and sanitised."""

from html.parser import HTMLParser

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hubbub.core.html import render_note, sanitise

REL = "nofollow noopener noreferrer"


class _Tags(HTMLParser):
    """Every start tag in a fragment, with its attributes, as a browser reads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


def no_mentions(token):
    return None


def render(text: str) -> str:
    return render_note(text, mention_url=no_mentions)


# --- render_note -------------------------------------------------------------


def test_script_is_escaped_not_run():
    html = render("<script>alert(1)</script>")

    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert [tag for tag, _ in parse(html).tags] == ["p"]


def test_img_onerror_is_escaped():
    html = render('<img src=x onerror="alert(1)">')

    assert "<img" not in html
    assert "&lt;img" in html
    assert all("onerror" not in attrs for _, attrs in parse(html).tags)


def test_link_gets_href_and_safe_rel():
    html = render("read https://example.com/page?q=1&r=2 now")

    anchors = [attrs for tag, attrs in parse(html).tags if tag == "a"]
    assert len(anchors) == 1
    assert anchors[0]["href"] == "https://example.com/page?q=1&r=2"
    assert anchors[0]["rel"] == REL
    assert anchors[0]["target"] == "_blank"
    assert "".join(parse(html).text) == "read https://example.com/page?q=1&r=2 now"


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "JavaScript://%0aalert(1)",
        "data:text/html,<b>x</b>",
        "www.example.com",
    ],
)
def test_text_without_http_scheme_is_not_linked(text):
    html = render(text)

    assert all(tag != "a" for tag, _ in parse(html).tags)
    assert "href" not in html


def test_long_url_is_split_into_invisible_and_ellipsis_spans():
    url = "https://example.com/" + "a" * 100

    html = render(url)

    spans = [attrs.get("class", "") for tag, attrs in parse(html).tags if tag == "span"]
    assert spans == ["invisible", "ellipsis", "invisible"]
    assert '<span class="invisible">https://</span>' in html
    shown = "example.com/" + "a" * 18
    assert f'<span class="ellipsis">{shown}</span>' in html
    assert f'<span class="invisible">{"a" * 82}</span>' in html


def test_short_url_has_no_ellipsis():
    html = render("https://example.com/")

    spans = [attrs.get("class", "") for tag, attrs in parse(html).tags if tag == "span"]
    assert spans == ["invisible", "", "invisible"]
    assert ">example.com/</span>" in html


def test_newlines_become_line_breaks_and_paragraphs():
    html = render("one\ntwo\n\nthree")

    assert html == "<p>one<br>two</p><p>three</p>"


def test_mention_links_only_known_accounts():
    def resolve(token):
        return "/@bob" if token.value == "bob" else None

    html = render_note("hi @bob and @nobody", mention_url=resolve)

    assert (
        '<span class="h-card"><a href="/@bob" class="u-url mention" '
        f'rel="{REL}">@<span>bob</span></a></span>' in html
    )
    assert "and @nobody" in html


def test_hashtags_link_only_with_a_resolver():
    plain = render("#hubbub")
    linked = render_note(
        "#hubbub", mention_url=no_mentions, tag_url=lambda name: f"/tags/{name}"
    )

    assert plain == "<p>#hubbub</p>"
    assert 'href="/tags/hubbub"' in linked
    assert 'class="mention hashtag"' in linked


# --- sanitise ----------------------------------------------------------------


def test_sanitise_strips_disallowed_tags():
    html = sanitise(
        "<p>ok</p><script>alert(1)</script><iframe src=x></iframe>"
        "<div><b>bold</b></div><img src=x>"
    )

    assert [tag for tag, _ in parse(html).tags] == ["p"]
    assert "bold" in html
    assert "alert(1)" not in html


def test_sanitise_strips_disallowed_attributes():
    html = sanitise(
        '<p onclick="x()" style="color:red" id="p1">a</p>'
        '<a href="https://example.com" onmouseover="x()" id="a1">b</a>'
    )

    tags = parse(html).tags
    assert tags[0] == ("p", {})
    assert tags[1] == ("a", {"href": "https://example.com", "rel": REL})


def test_sanitise_keeps_only_allowed_classes():
    html = sanitise(
        '<span class="invisible evil">a</span><a class="mention hack" '
        'href="https://x.example">b</a><p class="invisible">c</p>'
    )

    tags = dict(parse(html).tags)
    assert tags["span"]["class"] == "invisible"
    assert tags["a"]["class"] == "mention"
    assert "class" not in tags["p"]


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "&#106;avascript:alert(1)",
        "java&#x09;script:alert(1)",
        "data:text/html,x",
        "vbscript:x",
    ],
)
def test_sanitise_drops_unsafe_hrefs(href):
    html = sanitise(f'<a href="{href}">x</a>')

    assert parse(html).tags == [("a", {"rel": REL})]


_MARKUP = [
    "<script>",
    "</script>",
    "<script src=//x.example/a.js>",
    "<SCRIPT>",
    "<scr<script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe srcdoc='<script>x</script>'>",
    "<p onclick='x'>",
    "<a href='javascript:alert(1)'>",
    '<a href="JaVaScRiPt:alert(1)">',
    '<a href="&#106;avascript:alert(1)">',
    '<a href="java\tscript:alert(1)">',
    "<a href=https://ok.example onfocus=x autofocus>",
    '<span class="invisible evil" style="x">',
    "<style>",
    "<!--",
    "-->",
    "<![CDATA[",
    "<math><mi xlink:href=javascript:x>",
    "</a>",
    "</p>",
    "<br/>",
    "<",
    ">",
    "=",
    '"',
    "'",
    " on",
    "click=",
    "javascript:",
    "&#",
    "&lt;",
]
any_markup = st.lists(
    st.one_of(st.sampled_from(_MARKUP), st.text(max_size=4)), max_size=25
).map("".join)


def _is_unsafe_href(value: str) -> bool:
    squeezed = "".join(ch for ch in value if ch.isprintable() and not ch.isspace())
    return not squeezed.lower().startswith(("http://", "https://"))


@given(any_markup)
@example('<a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)>')
@example("<scr<script>ipt>alert(1)</script>")
def test_sanitise_output_is_always_safe(markup):
    html = sanitise(markup)

    assert "<script" not in html.lower()
    for tag, attrs in parse(html).tags:
        assert tag in {"p", "br", "a", "span"}
        assert not [name for name in attrs if name.startswith("on")]
        if "href" in attrs:
            assert not _is_unsafe_href(attrs["href"])
        assert "javascript:" not in attrs.get("href", "").lower()


@given(any_markup)
def test_render_note_output_is_always_safe(text):
    html = render(text)

    assert "<script" not in html.lower()
    for tag, attrs in parse(html).tags:
        assert tag in {"p", "br", "a", "span"}
        assert not [name for name in attrs if name.startswith("on")]
        if tag == "a":
            assert not _is_unsafe_href(attrs["href"])
