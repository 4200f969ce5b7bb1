"""An article's content checked whole: title, Markdown, excerpt and tags,
and the card its Post carries."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from hubbub.blog.content import card_html, check_content, parse_tags
from tests.blog.test_markdown import _HTMLISH, assert_safe, audit

_ATTACK = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "javascript:alert(1)",
        "[x](javascript:alert(1))",
        "<!--more <script>-->",
        '<!--more"><b onclick=x>-->',
        "&lt;script&gt;",
    ]
)


@settings(max_examples=100)
@given(
    title=st.one_of(st.text(max_size=60), _ATTACK),
    source=st.one_of(_HTMLISH, _ATTACK, st.text(max_size=200)),
    excerpt=st.one_of(st.text(max_size=60), _ATTACK),
)
def test_everything_an_article_shows_is_safe_or_refused(title, source, excerpt):
    try:
        content = check_content(title=title, source=source, custom_excerpt=excerpt)
    except ValidationError:
        return
    card = card_html(
        title=content.title,
        excerpt=content.excerpt_html,
        more_label=content.more_label,
        username="alice",
        post_id=1,
        slug=content.slug,
    )
    for html in (content.html, content.excerpt_html):
        assert_safe(html)
    # The card adds only a span (a screen reader's title) to the allowlist.
    assert [p for p in audit(card).problems if p != "tag <span>"] == []
    assert "<script" not in card.lower()
    assert content.slug.isascii()
    assert "/" not in content.slug
    assert ".." not in content.slug


def test_the_more_label_is_escaped_in_the_card():
    content = check_content(
        title="T", source='Teaser <!--more "><b onclick=x>go-->\n\nRest.'
    )
    card = card_html(
        title=content.title,
        excerpt=content.excerpt_html,
        more_label=content.more_label,
        username="alice",
        post_id=1,
        slug=content.slug,
    )
    assert "<b onclick" not in card
    assert "&lt;b onclick=x&gt;go" in card


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("", {}),
        ("baking, #Bread  bread", {"baking": "baking", "bread": "Bread"}),
        ("café Café", {"café": "café"}),
    ],
)
def test_parse_tags(text, tags):
    assert parse_tags(text) == tags


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("../../etc", "invalid_tag"),
        ("a/b", "invalid_tag"),
        ("123", "invalid_tag"),
        ("x" * 101, "invalid_tag"),
        (" ".join(f"t{n}" for n in range(11)), "too_many_tags"),
        ("t " * 2000, "too_many_tags"),
    ],
)
def test_bad_tags_are_refused(text, code):
    with pytest.raises(ValidationError) as e:
        parse_tags(text)
    assert e.value.code == code


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": ""}, "blank"),
        ({"title": "\u200b "}, "blank"),
        ({"title": "x" * 1000}, "too_long"),
        ({"title": "a\u202eb"}, "invalid"),
        ({"source": "x\x00"}, "invalid"),
        ({"custom_excerpt": "x" * 1001}, "too_long"),
        ({"source": "x" * 1_000_001}, "too_long"),
        ({"source": "- item\n" * 100_000}, "too_complex"),
    ],
)
def test_bad_content_is_refused_with_a_reason(fields, code):
    with pytest.raises(ValidationError) as e:
        check_content(**{"title": "Title", "source": "Text.", **fields})
    assert e.value.code == code
