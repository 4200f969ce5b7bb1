"""HTML made from user text, sanitised once, when it is written."""

from collections.abc import Callable

import nh3
from django.utils.html import escape

from hubbub.core.text import Token, tokenize

# Mastodon's allowlist for status content; mention and hashtag markup comes
# only from this module, never from user input.
_TAGS = {"p", "br", "a", "span"}
_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "target", "translate"}, "span": set()}
_CLASSES = {
    "a": {"mention", "hashtag", "u-url"},
    "span": {"h-card", "invisible", "ellipsis"},
}
_URL_DISPLAY = 30

MentionResolver = Callable[[Token], str | None]


def sanitise(html: str) -> str:
    """Return ``html`` reduced to the status allowlist, links made safe."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        allowed_classes=_CLASSES,
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
    )


def _link(url: str) -> str:
    scheme, _, rest = url.partition("://")
    shown, hidden = rest[:_URL_DISPLAY], rest[_URL_DISPLAY:]
    ellipsis = " ellipsis" if hidden else ""
    return (
        f'<a href="{escape(url)}" target="_blank" translate="no">'
        f'<span class="invisible">{escape(scheme)}://</span>'
        f'<span class="{ellipsis.strip() or "visible"}">{escape(shown)}</span>'
        f'<span class="invisible">{escape(hidden)}</span></a>'
    )


def render_note(
    text: str,
    *,
    mention_url: MentionResolver,
    tag_url: Callable[[str], str] | None = None,
) -> str:
    """Render a note's text to sanitised HTML.

    ``mention_url`` returns the profile URL of a mentioned account, or None
    when there is no such account (the mention then stays plain text);
    ``tag_url`` links hashtags, which stay plain text without it.
    """
    parts: list[str] = []
    for token in tokenize(text):
        if token.kind == "url":
            parts.append(_link(token.value))
        elif token.kind == "mention" and (url := mention_url(token)):
            parts.append(
                f'<span class="h-card"><a href="{escape(url)}" '
                f'class="u-url mention">@<span>{escape(token.value)}</span></a></span>'
            )
        elif token.kind == "tag" and tag_url is not None:
            parts.append(
                f'<a href="{escape(tag_url(token.value))}" class="mention hashtag" '
                f'rel="tag">#<span>{escape(token.value)}</span></a>'
            )
        else:
            parts.append(escape(token.text))
    paragraphs = "".join(parts).split("\n\n")
    body = "".join(
        f"<p>{p.strip(chr(10)).replace(chr(10), '<br>')}</p>" for p in paragraphs
    )
    return sanitise(body)
