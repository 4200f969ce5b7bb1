"""Titles and slugs: readable, inert and never empty."""

import pytest
import regex
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from hubbub.blog.slugs import MAX_SLUG_CHARS, check_title, slugify_title

SLUG = regex.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("../../etc/passwd", "etc-passwd"),
        ("..\\..\\windows\\win.ini", "windows-win-ini"),
        ("%2e%2e%2fetc", "2e-2e-2fetc"),
        ("/absolute/path/", "absolute-path"),
        ("..", "article"),
        ("", "article"),
        ("   \t ", "article"),
        ("🎉🚀", "article"),
        ("👨‍👩‍👧 Family news", "family-news"),
        ("日本語のタイトル", "article"),
        ("Café déjà vu", "cafe-deja-vu"),
        # Full-width "full width", mathematical bold "Bold", italic "math".
        ("\uff46\uff55\uff4c\uff4c \uff57\uff49\uff44\uff54\uff48", "full-width"),
        (
            "\U0001d401\U0001d428\U0001d425\U0001d41d "
            "\U0001d45a\U0001d44e\U0001d461\u210e",
            "bold-math",
        ),
        ("ﬁne ligature", "fine-ligature"),
        # A Cyrillic "a" is dropped, not passed off as a Latin one.
        ("p\u0430ypal", "pypal"),
        ("evil\u202etxt.exe", "eviltxt-exe"),
        ("zero\u200bwidth", "zerowidth"),
        ("Don't panic", "dont-panic"),
        ("v1.2: the release", "v1-2-the-release"),
        ("__init__", "init"),
        ("<script>alert(1)</script>", "script-alert-1-script"),
        ("a" * 1_000, "a" * MAX_SLUG_CHARS),
        ("word " * 200, ("word-" * 16).rstrip("-")),
        ("x" * 79 + " tail", "x" * 79),
    ],
)
def test_slugify_title(title, slug):
    assert slugify_title(title) == slug


@given(st.text(max_size=300))
def test_slugs_are_short_ascii_and_never_empty(title):
    slug = slugify_title(title)
    assert SLUG.fullmatch(slug)
    assert len(slug) <= MAX_SLUG_CHARS


@pytest.mark.parametrize(
    ("title", "stored"),
    [
        ("A title", "A title"),
        ("  Trimmed \n", "Trimmed"),
        ("x", "x"),
        ("é" * 200, "é" * 200),
        ("👨‍👩‍👧" * 100, "👨‍👩‍👧" * 100),  # a family is one character
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),  # escaped later
    ],
)
def test_check_title_accepts(title, stored):
    assert check_title(title) == stored


@pytest.mark.parametrize(
    ("title", "code", "message"),
    [
        ("", "blank", "A title can't be blank."),
        ("  \n\t ", "blank", "A title can't be blank."),
        ("\u200b\u200d\ufeff", "blank", "A title can't be blank."),
        (
            "a" * 201,
            "too_long",
            "A title can be at most 200 characters long; this one has 201.",
        ),
        (
            "a" * 1_000,
            "too_long",
            "A title can be at most 200 characters long; this one has 1000.",
        ),
        (
            "a" + "\u0301" * 1_000,
            "too_long",
            "A title can be at most 1,000 code points long.",
        ),
        (
            "nul\x00byte",
            "invalid",
            "A title can't contain control characters (found U+0000).",
        ),
        (
            "two\nlines",
            "invalid",
            "A title can't contain control characters (found U+000A).",
        ),
        (
            "bell\x07",
            "invalid",
            "A title can't contain control characters (found U+0007).",
        ),
        (
            "evil\u202etxt.exe",
            "invalid",
            "A title can't contain control characters (found U+202E).",
        ),
        (
            "isolate\u2066x",
            "invalid",
            "A title can't contain control characters (found U+2066).",
        ),
        (
            "line\u2028sep",
            "invalid",
            "A title can't contain control characters (found U+2028).",
        ),
        (
            "lone \ud800 surrogate",
            "invalid",
            "A title can't contain control characters (found U+D800).",
        ),
    ],
)
def test_check_title_refuses(title, code, message):
    with pytest.raises(ValidationError) as error:
        check_title(title)
    assert error.value.code == code
    assert error.value.messages == [message]
