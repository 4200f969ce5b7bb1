"""The one reading of a note's text: its links, mentions, tags and length.

Every path that accepts a note (web form, API, demo seed) validates it with
``check_note_text`` and renders it from the same tokens, so the counter and
the renderer can never disagree about what is a link.
"""

from dataclasses import dataclass
from typing import Literal

import regex
from django.conf import settings
from django.core.exceptions import ValidationError

# A URL needs its scheme (Mastodon: ``extract_url_without_protocol: false``).
# Trailing punctuation is trimmed afterwards, keeping balanced parentheses.
_URL = r"https?://[^\s<>\"'\p{Cc}]+"
# A local mention is @user; a remote one @user@domain counts as @user.
_MENTION = (
    r"(?<![\w@/])@(?P<user>[A-Za-z0-9_]{1,30})"
    r"(?:@(?P<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+))?"
)
# A tag needs a letter, so "#1" stays text; Unicode letters are welcome.
_TAG = r"(?<![\w#&/])#(?P<tagname>\w*[^\W\d_]\w*)"
_TOKENS = regex.compile(f"(?P<url>{_URL})|(?P<mention>{_MENTION})|(?P<tag>{_TAG})")
_TRAILING = ".,:;!?'\"…"
_INVISIBLE_SPACE = regex.compile(r"^[\s\u200b-\u200d\u2060\ufeff]*$")
_GRAPHEME = regex.compile(r"\X")


@dataclass(frozen=True, slots=True)
class Token:
    """One run of a note's text: plain text, a link, a mention or a tag."""

    kind: Literal["text", "url", "mention", "tag"]
    text: str
    # For a mention: the username; for a tag: the name without "#".
    value: str = ""
    # For a remote mention: its domain.
    domain: str = ""


def _trim_url(url: str) -> str:
    while url and url[-1] in _TRAILING + ")]}":
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, in order; joined they give ``text`` back."""
    tokens: list[Token] = []
    pos = 0
    for match in _TOKENS.finditer(text):
        start, end = match.span()
        if start < pos:
            continue
        kind = match.lastgroup
        found = match.group()
        if kind == "url":
            found = _trim_url(found)
            if "://" not in found or found.endswith("://"):
                continue
            end = start + len(found)
        if start > pos:
            tokens.append(Token("text", text[pos:start]))
        if kind == "url":
            tokens.append(Token("url", found, value=found))
        elif kind == "mention":
            tokens.append(
                Token(
                    "mention", found, value=match["user"], domain=match["domain"] or ""
                )
            )
        else:
            tokens.append(Token("tag", found, value=match["tagname"]))
        pos = end
    if pos < len(text):
        tokens.append(Token("text", text[pos:]))
    return tokens


def count_characters(text: str) -> int:
    """Count ``text`` as a reader sees it.

    Characters are extended grapheme clusters (a family emoji is one), every
    URL counts as ``HUBBUB_CHARACTERS_PER_URL`` and a remote mention counts
    as its local part.
    """
    per_url = settings.HUBBUB_CHARACTERS_PER_URL
    total = 0
    # Text and tags are counted as one run: a tag's edge can fall inside a
    # cluster (U+0600 before "#", a skin-tone modifier after its last letter).
    run = ""
    for token in tokenize(text):
        if token.kind in ("text", "tag"):
            run += token.text
            continue
        total += len(_GRAPHEME.findall(run))
        run = ""
        total += per_url if token.kind == "url" else 1 + len(token.value)
    return total + len(_GRAPHEME.findall(run))


def has_forbidden_characters(text: str) -> bool:
    """Return whether ``text`` holds a NUL or a lone surrogate.

    PostgreSQL cannot store the one and UTF-8 cannot encode the other, so
    every stored user string is checked for both.
    """
    return any(ch == "\x00" or "\ud800" <= ch <= "\udfff" for ch in text)


def check_note_text(text: str) -> str:
    """Return ``text`` ready to store, or raise ValidationError saying why.

    The rule is the server's, for every path: not blank, no NUL or lone
    surrogate, at most ``HUBBUB_MAX_CODE_POINTS`` code points and at most
    ``HUBBUB_MAX_CHARACTERS`` characters as ``count_characters`` counts them.
    """
    if has_forbidden_characters(text):
        raise ValidationError(
            "Text contains characters that are not allowed.", code="invalid"
        )
    text = text.replace("\r\n", "\n").strip()
    if _INVISIBLE_SPACE.match(text):
        raise ValidationError("Text can't be blank.", code="blank")
    max_code_points = settings.HUBBUB_MAX_CODE_POINTS
    if len(text) > max_code_points:
        raise ValidationError(
            f"Text is too long: at most {max_code_points} code points.",
            code="too_many_code_points",
        )
    limit = settings.HUBBUB_MAX_CHARACTERS
    length = count_characters(text)
    if length > limit:
        raise ValidationError(
            f"Text character limit of {limit} exceeded ({length} characters).",
            code="too_long",
        )
    return text
