"""Excerpts: WordPress's <!--more--> rule, custom excerpts and the first words."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from hubbub.blog.excerpt import (
    ELLIPSIS,
    auto_excerpt,
    excerpt_html,
    html_to_text,
    render_article,
    split_more,
    strip_more,
)
from hubbub.blog.markdown import MAX_SOURCE_CHARS, render_markdown

FENCE = "```"

# (name, source, teaser, label, found, stripped)
SPLITS = [
    (
        "plain marker",
        "Intro.\n\n<!--more-->\n\nRest.",
        "Intro.\n\n",
        None,
        True,
        "Intro.\n\n\nRest.",
    ),
    (
        "labelled marker, label trimmed",
        "Intro. <!--more   Read the rest  --> Rest.",
        "Intro. ",
        "Read the rest",
        True,
        "Intro.  Rest.",
    ),
    (
        "space after <!-- is not a marker",
        "Intro. <!-- more --> Rest.",
        "Intro. <!-- more --> Rest.",
        None,
        False,
        "Intro. <!-- more --> Rest.",
    ),
    (
        "WordPress reads <!--moreover--> as labelled 'over'",
        "a<!--moreover-->b",
        "a",
        "over",
        True,
        "ab",
    ),
    (
        "marker in a fenced code block does not split",
        f"Intro.\n\n{FENCE}html\n<!--more-->\n{FENCE}\n\nRest.",
        f"Intro.\n\n{FENCE}html\n<!--more-->\n{FENCE}\n\nRest.",
        None,
        False,
        f"Intro.\n\n{FENCE}html\n<!--more-->\n{FENCE}\n\nRest.",
    ),
    (
        "marker in a tilde fence does not split",
        "~~~\n<!--more-->\n~~~\nRest.",
        "~~~\n<!--more-->\n~~~\nRest.",
        None,
        False,
        "~~~\n<!--more-->\n~~~\nRest.",
    ),
    (
        "marker in an indented code block does not split",
        "Intro.\n\n    <!--more-->\n\nRest.",
        "Intro.\n\n    <!--more-->\n\nRest.",
        None,
        False,
        "Intro.\n\n    <!--more-->\n\nRest.",
    ),
    (
        "marker in an inline code span does not split",
        "Type `<!--more-->` to split.",
        "Type `<!--more-->` to split.",
        None,
        False,
        "Type `<!--more-->` to split.",
    ),
    (
        "marker in a double-backtick span does not split",
        "Type ``a <!--more--> ` b`` here.",
        "Type ``a <!--more--> ` b`` here.",
        None,
        False,
        "Type ``a <!--more--> ` b`` here.",
    ),
    (
        "code marker first, real marker later",
        f"{FENCE}\n<!--more-->\n{FENCE}\n\nIntro `<!--more-->`.\n\n"
        "<!--more Go on-->\n\nRest.",
        f"{FENCE}\n<!--more-->\n{FENCE}\n\nIntro `<!--more-->`.\n\n",
        "Go on",
        True,
        f"{FENCE}\n<!--more-->\n{FENCE}\n\nIntro `<!--more-->`.\n\n\nRest.",
    ),
    (
        "only the first of two markers splits; both vanish in full",
        "One.\n<!--more First-->\nTwo.\n<!--more Second-->\nThree.",
        "One.\n",
        "First",
        True,
        "One.\nTwo.\nThree.",
    ),
    (
        "marker at the very start",
        "<!--more-->Everything.",
        "",
        None,
        True,
        "Everything.",
    ),
    (
        "marker at the very end",
        "Everything.<!--more-->",
        "Everything.",
        None,
        True,
        "Everything.",
    ),
    (
        "marker alone on a line leaves one paragraph",
        "Line one\n<!--more-->\nline two",
        "Line one\n",
        None,
        True,
        "Line one\nline two",
    ),
    (
        "marker in a blockquote splits",
        "> Quoted <!--more-->\n> on.",
        "> Quoted ",
        None,
        True,
        "> Quoted \n> on.",
    ),
    (
        "marker spanning lines is not a marker",
        "a <!--more\nlabel--> b",
        "a <!--more\nlabel--> b",
        None,
        False,
        "a <!--more\nlabel--> b",
    ),
    (
        "unclosed marker is text",
        "a <!--more b",
        "a <!--more b",
        None,
        False,
        "a <!--more b",
    ),
    (
        "private-use characters in the text change nothing",
        "\ue000\ue100\ue100\ue001 `<!--more-->` a<!--more-->b",
        "\ue000\ue100\ue100\ue001 `<!--more-->` a",
        None,
        True,
        "\ue000\ue100\ue100\ue001 `<!--more-->` ab",
    ),
    ("no marker", "Just text.", "Just text.", None, False, "Just text."),
]


@pytest.mark.parametrize(
    ("source", "teaser", "label", "found", "stripped"),
    [pytest.param(*case[1:], id=case[0]) for case in SPLITS],
)
def test_split_and_strip_more(source, teaser, label, found, stripped):
    assert split_more(source) == (teaser, label, found)
    assert strip_more(source) == stripped


def test_code_keeps_its_marker_when_rendered_in_full():
    html = render_markdown(strip_more("Type `<!--more-->`.\n\n<!--more-->\n\nRest."))
    assert html == "<p>Type <code>&lt;!--more--&gt;</code>.</p>\n<p>Rest.</p>\n"


FIFTY = " ".join(f"w{n}" for n in range(50))
SIXTY = " ".join(f"w{n}" for n in range(60))


# (name, source, custom excerpt, html, label)
EXCERPTS = [
    (
        "teaser wins over the custom excerpt",
        "**Intro** text.\n\n<!--more Keep reading-->\n\nRest.",
        "Custom.",
        "<p><strong>Intro</strong> text.</p>\n",
        "Keep reading",
    ),
    (
        "custom excerpt without a marker, escaped, in paragraphs",
        "Body text.",
        "  One <b>two</b>\nthree\n\nFour.  ",
        "<p>One &lt;b&gt;two&lt;/b&gt;<br>three</p>\n\n<p>Four.</p>",
        None,
    ),
    (
        "blank custom excerpt falls through to the first words",
        "Body *text*.",
        " \n ",
        "<p>Body text.</p>",
        None,
    ),
    (
        "neither: the first 50 words with an ellipsis",
        SIXTY,
        None,
        f"<p>{FIFTY}{ELLIPSIS}</p>",
        None,
    ),
    (
        "neither, short: the whole text, no ellipsis",
        "# Title\n\nShort & *sweet*.",
        None,
        "<p>Title Short &amp; sweet.</p>",
        None,
    ),
    (
        "marker at the start: no teaser, custom excerpt, marker's label",
        "<!--more Read it-->Body.",
        "Custom.",
        "<p>Custom.</p>",
        "Read it",
    ),
    (
        "marker at the start, no custom excerpt: first words, marker hidden",
        "<!--more-->Body text.",
        "",
        "<p>Body text.</p>",
        None,
    ),
    (
        "marker only in code: first words, code blocks left out",
        f"Intro words.\n\n{FENCE}\n<!--more-->\n{FENCE}\n\nMore words.",
        None,
        "<p>Intro words. More words.</p>",
        None,
    ),
    (
        "teaser keeps reference links defined after the marker",
        "See [the docs][d].\n\n<!--more-->\n\n[d]: https://example.org/docs",
        None,
        '<p>See <a href="https://example.org/docs" '
        'rel="nofollow noopener noreferrer">the docs</a>.</p>\n',
        None,
    ),
    (
        "teaser is sanitised like the article",
        "<script>alert(1)</script> [x](javascript:alert(1))\n<!--more-->",
        None,
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1))</p>\n",
        None,
    ),
    ("empty article", "", None, "", None),
]


@pytest.mark.parametrize(
    ("source", "custom", "html", "label"),
    [pytest.param(*case[1:], id=case[0]) for case in EXCERPTS],
)
def test_excerpt_priority(source, custom, html, label):
    assert excerpt_html(source, custom) == (html, label)


def test_oversize_source_is_refused_clearly():
    source = "<!--more-->" + "a" * MAX_SOURCE_CHARS
    for function in (split_more, strip_more, excerpt_html):
        with pytest.raises(ValidationError, match="at most 1,000,000 characters"):
            function(source)


def test_excerpt_reuses_rendered_html():
    assert excerpt_html("ignored", html="<p>Given</p>") == ("<p>Given</p>", None)


@pytest.mark.parametrize(
    ("text", "words", "expected"),
    [
        ("", 50, ""),
        ("  one   two\nthree ", 50, "one two three"),
        (FIFTY, 50, FIFTY),
        (SIXTY, 50, FIFTY + ELLIPSIS),
        ("one, two, three", 2, "one, two" + ELLIPSIS),
        ("one two\u2014 three", 2, "one two" + ELLIPSIS),
        ("a" * 8192, 50, "a" * 500 + ELLIPSIS),
        ("字" * 2000, 50, "字" * 500 + ELLIPSIS),
        ("abcdefghi " * 30 + "x" * 600, 50, ("abcdefghi " * 30).strip() + ELLIPSIS),
        ("👨‍👩‍👧" * 600, 50, "👨‍👩‍👧" * 500 + ELLIPSIS),
    ],
)
def test_auto_excerpt(text, words, expected):
    assert auto_excerpt(text, words) == expected


def test_auto_excerpt_needs_a_word():
    with pytest.raises(ValueError, match="at least 1"):
        auto_excerpt("text", 0)


def test_html_to_text_keeps_words_apart():
    html = (
        "<h2>Head</h2><p>a &amp; b<br>c</p><ul><li>one</li><li>two</li></ul>"
        "<pre><code>skipped()</code></pre><table><tr><td>x</td><td>y</td></tr>"
        "</table><p>&lt;script&gt;</p>"
    )
    assert html_to_text(html) == "Head a & b c one two x y <script>"


@settings(max_examples=150)
@given(st.text(alphabet=st.sampled_from("<!-more>` ~\n\tabc>#*[]()"), max_size=120))
def test_excerpt_functions_never_raise(source):
    teaser, _, found = split_more(source)
    assert source.startswith(teaser)
    assert found or teaser == source
    assert len(strip_more(source)) <= len(source)
    excerpt_html(source, None)


@pytest.mark.parametrize(
    "source", [pytest.param(case[1], id=case[0]) for case in SPLITS]
)
@pytest.mark.parametrize("custom", [None, "A custom excerpt."])
def test_render_article_is_the_full_text_and_the_excerpt_at_once(source, custom):
    html = render_markdown(strip_more(source))
    assert render_article(source, custom) == (
        html,
        *excerpt_html(source, custom, html=html),
    )
