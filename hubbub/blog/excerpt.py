"""What an article shows on an index: its teaser, excerpt or first words.

The priority is WordPress's, with Ghost's explicit excerpt in the middle:

1. the text before the first ``<!--more-->`` marker, rendered;
2. else the author's custom excerpt, as plain text;
3. else about the first 50 words of the rendered article.

The marker follows WordPress's ``the_content``: ``<!--more-->`` or
``<!--more label-->``, no space after ``<!--``, the trimmed text after
``more`` being the label of the "Continue reading" link. As in WordPress,
``<!--moreover-->`` is a marker labelled "over". Unlike WordPress, which
splits the raw HTML, a marker inside a code span or code block is code the
author is showing, so it neither splits the article nor disappears. A
marker inside a link or emphasis splits there, as in WordPress, and the
teaser then shows that markup's opening as text.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from itertools import islice
from typing import Any

import nh3
import regex
from django.utils.html import escape, linebreaks
from markdown_it.token import Token

from hubbub.blog.markdown import check_source_size, parse_markdown, render_markdown

EXCERPT_WORDS = 50
# A label is one line, and at most this long, which keeps the search for
# markers linear: an unclosed "<!--more" looks at most this far ahead.
MAX_LABEL_CHARS = 200
# Without spaces (CJK text, one long word) "50 words" would be unbounded.
CHARS_PER_WORD = 10
ELLIPSIS = "\u2026"

_MARKER = regex.compile(rf"<!--more(.{{0,{MAX_LABEL_CHARS}}}?)-->")
# The marker's "more" is swapped for four private-use characters, keeping
# every offset and the marker's shape for markdown (letters and private-use
# characters are alike to emphasis rules): an opening and a closing sentinel
# around the marker's number in two base-6144 digits.
_OPEN, _CLOSE = "\ue000", "\ue001"
_DIGIT_BASE, _DIGITS = 0xE100, 0x1800
_SENTINEL = regex.compile(r"\ue000([\ue100-\uf8ff]{2})\ue001")
_PRIVATE_USE = regex.compile(r"[\ue000-\uf8ff]")
_BLOCK_EDGE = regex.compile(
    r"</?(?:p|h[1-6]|ul|ol|li|blockquote|pre|table|thead|tbody|tr|th|td)\b[^>]*>"
    r"|<(?:br|hr)\b[^>]*>"
)
_WORD = regex.compile(r"\S+")
_GRAPHEME = regex.compile(r"\X")
_SPACE = regex.compile(r"\s+")
_TRAILING = " ,;:\u2013\u2014-"


@dataclass(frozen=True, slots=True)
class _Markers:
    """The markers of a source that count, and its reference definitions."""

    found: list[regex.Match[str]]
    references: dict[str, Any] = field(default_factory=dict)


def _encode(index: int) -> str:
    high, low = divmod(index, _DIGITS)
    return _OPEN + chr(_DIGIT_BASE + high) + chr(_DIGIT_BASE + low) + _CLOSE


def _decode(digits: str) -> int:
    return (ord(digits[0]) - _DIGIT_BASE) * _DIGITS + ord(digits[1]) - _DIGIT_BASE


def _texts(tokens: list[Token]) -> Iterator[str]:
    """Yield the content of every text token, image alt text included."""
    for token in tokens:
        if token.type == "text":
            yield token.content
        if token.children:
            yield from _texts(token.children)


def _markers(source: str) -> _Markers:
    """Find the markers in ``source`` that are text, not code.

    markdown-it knows where code is, so a copy is parsed with each marker
    numbered; the numbers that come back in text tokens are the markers
    that count. Without any marker, nothing is parsed.
    """
    check_source_size(source)
    candidates = list(_MARKER.finditer(source))
    if not candidates:
        return _Markers([])
    # 6144² markers would need 270 MB of source; the cap is 1 MB.
    plain = _PRIVATE_USE.sub("x", source)
    parts: list[str] = []
    pos = 0
    for index, match in enumerate(candidates):
        at = match.start() + len("<!--")
        parts += [plain[pos:at], _encode(index)]
        pos = at + len("more")
    parts.append(plain[pos:])
    env: dict[str, Any] = {}
    tokens = parse_markdown("".join(parts), env)
    seen = {
        _decode(sentinel[1])
        for text in _texts(tokens)
        for sentinel in _SENTINEL.finditer(text)
    }
    found = [match for index, match in enumerate(candidates) if index in seen]
    return _Markers(found, env.get("references", {}))


def split_more(source: str) -> tuple[str, str | None, bool]:
    """Split ``source`` at its first ``<!--more-->`` marker, as WordPress does.

    Return the teaser (the source before the marker), the marker's label
    (None when it has none) and whether there was a marker; without one the
    teaser is the whole source. Raises ValidationError for a source that
    ``parse_markdown`` refuses.
    """
    found = _markers(source).found
    if not found:
        return source, None, False
    first = found[0]
    return source[: first.start()], first[1].strip() or None, True


def strip_more(source: str) -> str:
    """Return ``source`` without its markers, for the full article.

    A marker alone on its line goes with the line, so the paragraphs around
    it are left as they were; markers in code stay as the code shows them.
    Raises ValidationError for a source that ``parse_markdown`` refuses.
    """
    return _strip(source, _markers(source).found)


def _strip(source: str, found: list[regex.Match[str]]) -> str:
    parts: list[str] = []
    pos = 0
    for match in found:
        start, end = match.span()
        line_start = source.rfind("\n", 0, start) + 1
        line_end = source.find("\n", end)
        line_end = len(source) if line_end == -1 else line_end + 1
        alone = not (source[line_start:start] + source[end:line_end]).strip()
        if alone and line_start >= pos:
            start, end = line_start, line_end
        parts.append(source[pos:start])
        pos = end
    parts.append(source[pos:])
    return "".join(parts)


def html_to_text(html: str) -> str:
    """Return the words of sanitised article HTML, tags and code removed.

    Block edges become spaces so paragraphs do not run together; code
    blocks are dropped, as a flattened listing reads as noise in a teaser.
    """
    spaced = _BLOCK_EDGE.sub(lambda edge: f" {edge[0]} ", html)
    text = nh3.clean(spaced, tags=set(), clean_content_tags={"pre"})
    return _SPACE.sub(" ", unescape(text)).strip()


def auto_excerpt(text: str, words: int = EXCERPT_WORDS) -> str:
    """Cut plain ``text`` after about ``words`` words, adding an ellipsis.

    The cut falls between words. Text with few spaces (CJK, one very long
    word) is also cut at ``words * CHARS_PER_WORD`` characters, between
    grapheme clusters, at a space when one is near.
    """
    if words < 1:
        raise ValueError("words must be at least 1")
    found = [match[0] for match in islice(_WORD.finditer(text), words + 1)]
    cut = len(found) > words
    excerpt = " ".join(found[:words])
    limit = words * CHARS_PER_WORD
    if len(excerpt) > limit:
        clusters = list(islice(_GRAPHEME.finditer(excerpt), limit + 1))
        if len(clusters) > limit:
            excerpt = excerpt[: clusters[limit].start()]
            space = excerpt.rfind(" ")
            if space > len(excerpt) // 2:
                excerpt = excerpt[:space]
            cut = True
    return excerpt.rstrip(_TRAILING) + ELLIPSIS if cut else excerpt


def render_article(
    source: str, custom_excerpt: str | None = None
) -> tuple[str, str, str | None]:
    """Return an article's full HTML (markers gone), its excerpt and label.

    The same as ``render_markdown(strip_more(source))`` and then
    ``excerpt_html``, with the markers found once: a 1 MB article is
    parsed twice (markers, then the full text) instead of three times.
    Raises ValidationError for a source that ``parse_markdown`` refuses.
    """
    markers = _markers(source)
    html = render_markdown(_strip(source, markers.found))
    excerpt, label = _excerpt(source, custom_excerpt, markers, html)
    return html, excerpt, label


def excerpt_html(
    source: str, custom_excerpt: str | None = None, *, html: str | None = None
) -> tuple[str, str | None]:
    """Return an article's excerpt as sanitised HTML, and its link label.

    The excerpt is the teaser before ``<!--more-->``, else ``custom_excerpt``
    (plain text: escaped, blank lines making paragraphs), else the first
    ``EXCERPT_WORDS`` words of the article. A marker with nothing before it
    gives no teaser, but its label still applies. The label is None unless
    the marker has one; it is plain text, to be escaped where it is shown.
    ``html`` is the article's rendered HTML, if the caller has it, and
    saves rendering it again. Raises ValidationError for a source that
    ``parse_markdown`` refuses.
    """
    return _excerpt(source, custom_excerpt, _markers(source), html)


def _excerpt(
    source: str, custom_excerpt: str | None, markers: _Markers, html: str | None
) -> tuple[str, str | None]:
    label = None
    if markers.found:
        first = markers.found[0]
        label = first[1].strip() or None
        teaser = source[: first.start()]
        if teaser.strip():
            return render_markdown(teaser, references=markers.references), label
    if custom_excerpt and custom_excerpt.strip():
        return linebreaks(custom_excerpt.strip(), autoescape=True), label
    if html is None:
        html = render_markdown(_strip(source, markers.found))
    text = auto_excerpt(html_to_text(html))
    return (f"<p>{escape(text)}</p>" if text else ""), label
