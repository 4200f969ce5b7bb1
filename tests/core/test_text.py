"""The note text rule: what counts as a character, and what is refused."""

import pytest
import regex
from django.core.exceptions import ValidationError
from hypothesis import example, given
from hypothesis import strategies as st

from hubbub.core.text import check_note_text, count_characters, tokenize

LIMIT = 140
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦
FLAG_FR = "\U0001f1eb\U0001f1f7"  # 🇫🇷
GRIN = "\U0001f600"  # 😀
# 300 characters long, counted as 23 like every URL.
LONG_URL = "https://example.com/" + "a" * 280
assert len(LONG_URL) == 300

_GRAPHEME = regex.compile(r"\X")


# --- counting ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a" * LIMIT, LIMIT, id="ascii"),
        pytest.param(GRIN * 3, 3, id="emoji"),
        pytest.param(FAMILY, 1, id="zwj-family-is-one"),
        pytest.param(FLAG_FR, 1, id="flag-is-one"),
        pytest.param(FLAG_FR * 3, 3, id="three-flags"),
        pytest.param("e\u0301", 1, id="combining-mark"),
        pytest.param("a\r\nb", 3, id="crlf-is-one"),
        pytest.param(LONG_URL, 23, id="url-counts-23"),
        pytest.param("see " + LONG_URL + ".", 4 + 23 + 1, id="url-trailing-dot"),
        pytest.param("http://x.example", 23, id="short-url-counts-23-too"),
        pytest.param("www.example.com", 15, id="url-without-scheme-full-length"),
        pytest.param("@alice@very-long.example", 6, id="remote-mention-local-part"),
        pytest.param("@alice", 6, id="local-mention"),
        pytest.param("#hubbub", 7, id="hashtag-full-length"),
        pytest.param("", 0, id="empty"),
    ],
)
def test_count_characters(text, expected):
    assert count_characters(text) == expected


# --- the rule ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a" * LIMIT, id="140-ascii"),
        pytest.param(GRIN * LIMIT, id="140-emoji"),
        pytest.param(FAMILY * LIMIT, id="140-families"),
        pytest.param(FLAG_FR * LIMIT, id="140-flags"),
        pytest.param(LONG_URL + " " + "a" * 116, id="url-plus-117"),
        pytest.param("@alice@very-long.example " + "a" * 133, id="remote-mention"),
        pytest.param("a" * 69 + "\r\n" + "a" * 70, id="crlf-counts-one"),
        pytest.param("e" + "\u0301" * 998, id="combining-under-code-point-cap"),
    ],
)
def test_check_note_text_accepts(text):
    assert check_note_text(text) == text.replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        pytest.param("a" * (LIMIT + 1), "too_long", id="141-ascii"),
        pytest.param(GRIN * (LIMIT + 1), "too_long", id="141-emoji"),
        pytest.param(FAMILY * (LIMIT + 1), "too_long", id="141-families"),
        pytest.param(FLAG_FR * (LIMIT + 1), "too_long", id="141-flags"),
        pytest.param(LONG_URL + " " + "a" * 117, "too_long", id="url-plus-118"),
        pytest.param(
            "www.example.com/" + "a" * (LIMIT - 15), "too_long", id="no-scheme-url"
        ),
        pytest.param("", "blank", id="empty"),
        pytest.param("   ", "blank", id="spaces"),
        pytest.param("\u3000\u3000", "blank", id="ideographic-space"),
        pytest.param("\u200b", "blank", id="zero-width-space"),
        pytest.param(" \u200b\n\u3000\t", "blank", id="mixed-invisible"),
        pytest.param("a\x00b", "invalid", id="nul"),
        pytest.param("a\ud800b", "invalid", id="lone-surrogate"),
        pytest.param("\udfff", "invalid", id="lone-low-surrogate"),
        pytest.param("e" + "\u0301" * 2000, "too_many_code_points", id="zalgo"),
    ],
)
def test_check_note_text_rejects(text, code):
    with pytest.raises(ValidationError) as caught:
        check_note_text(text)

    assert caught.value.code == code


def test_too_long_error_names_the_limit():
    with pytest.raises(ValidationError) as caught:
        check_note_text("a" * (LIMIT + 1))

    message = caught.value.messages[0]
    assert "character limit of 140" in message
    assert "141" in message


def test_combining_stack_is_one_character_but_over_the_code_point_cap():
    zalgo = "e" + "\u0301" * 2000

    assert count_characters(zalgo) == 1
    with pytest.raises(ValidationError) as caught:
        check_note_text(zalgo)
    assert "1000 code points" in caught.value.messages[0]


def test_check_note_text_strips_and_normalises_line_ends():
    assert check_note_text("  hello\r\nworld \n") == "hello\nworld"


def test_limit_follows_the_setting(settings):
    settings.HUBBUB_MAX_CHARACTERS = 10

    assert check_note_text("a" * 10) == "a" * 10
    with pytest.raises(ValidationError, match="character limit of 10"):
        check_note_text("a" * 11)


def test_tokens_name_links_mentions_and_tags():
    tokens = tokenize("hi @bob@example.org see https://x.example/a). #Tag #1")

    kinds = [(t.kind, t.text) for t in tokens]
    assert kinds == [
        ("text", "hi "),
        ("mention", "@bob@example.org"),
        ("text", " see "),
        ("url", "https://x.example/a"),
        ("text", "). "),
        ("tag", "#Tag"),
        ("text", " #1"),
    ]
    assert tokens[1].value == "bob"
    assert tokens[1].domain == "example.org"
    assert tokens[5].value == "Tag"


def test_url_keeps_balanced_parentheses():
    url = "https://en.wikipedia.org/wiki/Pike_(fish)"

    assert [t.text for t in tokenize(f"({url})") if t.kind == "url"] == [url]


# --- properties --------------------------------------------------------------

# Pieces that meet the tokenizer's and the grapheme rules' corner cases, mixed
# with arbitrary text (surrogates and control characters included).
_PIECES = [
    "https://",
    "http://",
    "://",
    "www.",
    "example.com",
    "/path",
    ").",
    "(",
    "@",
    "@alice",
    "@very-long.example",
    "#",
    "#tag",
    "#1",
    " ",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "\u3000",
    "\u200b",
    "\u200d",
    "\u0301",
    "\u0600",  # Prepend: joins the next character into its cluster
    "\U0001f3fb",  # skin-tone modifier: extends the previous cluster
    "\U0001f1eb",
    FLAG_FR,
    FAMILY,
    GRIN,
    "e",
    "\x00",
    "\ud800",
]
_ANY_CHAR = st.characters(exclude_categories=())
any_text = st.one_of(
    st.text(_ANY_CHAR),
    st.lists(
        st.one_of(st.sampled_from(_PIECES), st.text(_ANY_CHAR, max_size=3)),
        max_size=30,
    ).map("".join),
)
_URLS = st.sampled_from(
    ["https://example.com", "http://x.y/z?q=1#f", LONG_URL, "https://a.b/(c)"]
)
_ENDS_IN_PREPEND = regex.compile(r"\p{Grapheme_Cluster_Break=Prepend}\Z")


@given(any_text)
def test_count_characters_never_raises(text):
    assert count_characters(text) >= 0


@given(any_text.filter(lambda t: "://" not in t and "@" not in t))
@example("\u0600#tag")
@example("#cafe\U0001f3fb")
def test_without_links_or_mentions_count_is_grapheme_clusters(text):
    assert count_characters(text) == len(_GRAPHEME.findall(text))


@given(any_text)
def test_tokens_join_back_to_the_text(text):
    assert "".join(t.text for t in tokenize(text)) == text


@given(any_text.filter(lambda t: not _ENDS_IN_PREPEND.search(t)), _URLS)
@example("", "https://example.com")
@example("#tag", LONG_URL)
def test_appending_a_url_adds_23_and_its_space(text, url):
    # A Prepend character (filtered out above) would take the space into its
    # own cluster, as Unicode says it should.
    assert count_characters(text + " " + url) == count_characters(text) + 1 + 23


@given(any_text)
def test_check_note_text_returns_text_or_raises_validation_error(text):
    # Any other exception escapes and fails the test.
    outcome: str | ValidationError
    try:
        outcome = check_note_text(text)
    except ValidationError as e:
        outcome = e

    if isinstance(outcome, ValidationError):
        assert outcome.code in {"invalid", "blank", "too_many_code_points", "too_long"}
    else:
        assert outcome.strip()
        assert len(outcome) <= 1000
        assert count_characters(outcome) <= LIMIT
