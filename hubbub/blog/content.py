"""An article's content checked and rendered once, before anything is written.

``check_content`` is the one gate every path (web form, API, demo seed)
goes through; the actions take only what it returns.
"""

from dataclasses import dataclass

import regex
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from hubbub.blog.excerpt import html_to_text, render_article
from hubbub.blog.slugs import check_title, slugify_title
from hubbub.core.text import has_forbidden_characters
from hubbub.posts.rendering import TAG_MAX_LENGTH, tag_name

CUSTOM_EXCERPT_MAX_CHARS = 1_000
MAX_TAGS = 10
# The whole tags field, so a huge paste is refused before it is split.
TAGS_MAX_CHARS = MAX_TAGS * (TAG_MAX_LENGTH + 2)
CONTINUE_READING = "Continue reading"

# A tag is what a note's #tag is: word characters with at least one letter.
_TAG = regex.compile(r"\w*[^\W\d_]\w*")
_TAG_SEPARATORS = regex.compile(r"[\s,]+")


@dataclass(frozen=True, slots=True)
class ArticleContent:
    """What an author wrote, checked, with its HTML rendered."""

    title: str
    slug: str
    source: str
    custom_excerpt: str
    # Tag name (see ``tag_name``) -> the tag as written.
    tags: dict[str, str]
    html: str
    excerpt_html: str
    more_label: str

    @property
    def tags_text(self) -> str:
        """Return the tags as the form shows them, space-separated."""
        return " ".join(self.tags.values())


def parse_tags(text: str) -> dict[str, str]:
    """Return the tags in ``text`` (commas or spaces between, "#" optional).

    Raises ValidationError naming the first tag that is not one, or when
    there are more than ``MAX_TAGS``.
    """
    if len(text) > TAGS_MAX_CHARS:
        raise ValidationError(
            "At most %(limit)s tags.", code="too_many_tags", params={"limit": MAX_TAGS}
        )
    tags: dict[str, str] = {}
    for word in _TAG_SEPARATORS.split(text):
        shown = word.removeprefix("#")
        if not shown:
            continue
        if len(shown) > TAG_MAX_LENGTH or not _TAG.fullmatch(shown):
            raise ValidationError(
                "“%(tag)s” is not a tag: use letters, digits and underscores, "
                "with at least one letter, up to %(limit)s characters.",
                code="invalid_tag",
                params={"tag": word[:40], "limit": TAG_MAX_LENGTH},
            )
        tags.setdefault(tag_name(shown), shown)
    if len(tags) > MAX_TAGS:
        raise ValidationError(
            "At most %(limit)s tags.", code="too_many_tags", params={"limit": MAX_TAGS}
        )
    return tags


def check_content(
    *, title: str, source: str, custom_excerpt: str = "", tags: str = ""
) -> ArticleContent:
    """Return the article as written, checked and rendered, or raise
    ValidationError saying what is wrong.

    The title follows ``check_title``; the Markdown is at most
    ``MAX_SOURCE_CHARS`` and must render within the work budget; the
    custom excerpt is plain text of at most ``CUSTOM_EXCERPT_MAX_CHARS``;
    tags follow ``parse_tags``. No field may hold a NUL or lone surrogate.
    The source may be blank (a draft can start with a title);
    publishing checks it is not.
    """
    for name, value in (
        ("title", title),
        ("text", source),
        ("excerpt", custom_excerpt),
    ):
        if has_forbidden_characters(value):
            raise ValidationError(
                "The %(field)s contains characters that are not allowed.",
                code="invalid",
                params={"field": name},
            )
    if has_forbidden_characters(tags):
        raise ValidationError("Tags contain characters that are not allowed.")
    title = check_title(title)
    source = source.replace("\r\n", "\n")
    custom_excerpt = custom_excerpt.replace("\r\n", "\n").strip()
    if len(custom_excerpt) > CUSTOM_EXCERPT_MAX_CHARS:
        raise ValidationError(
            "An excerpt can be at most %(limit)s characters long.",
            code="too_long",
            params={"limit": f"{CUSTOM_EXCERPT_MAX_CHARS:,}"},
        )
    parsed_tags = parse_tags(tags)
    html, excerpt, label = render_article(source, custom_excerpt)
    return ArticleContent(
        title=title,
        slug=slugify_title(title),
        source=source,
        custom_excerpt=custom_excerpt,
        tags=parsed_tags,
        html=html,
        excerpt_html=excerpt,
        more_label=label or "",
    )


def article_path(username: str, post_id: int, slug: str) -> str:
    """Return a published article's page, relative to the site."""
    return reverse("web:article", args=[username, post_id, slug])


def card_html(
    *, title: str, excerpt: str, more_label: str, username: str, post_id: int, slug: str
) -> str:
    """Return the HTML an article's Post carries: title, excerpt, a link on.

    Timelines show it as the article's card and the Mastodon API sends it
    as the status's content, so its links are absolute. ``excerpt`` is
    sanitised HTML; the rest is escaped here.
    """
    url = escape(settings.HUBBUB_SITE_URL + article_path(username, post_id, slug))
    label = escape(more_label or CONTINUE_READING)
    return (
        f'<p class="article-title"><strong><a href="{url}">{escape(title)}</a>'
        f"</strong></p>{excerpt}"
        f'<p class="continue"><a href="{url}">{label}'
        f'<span class="visually-hidden"> “{escape(title)}”</span></a></p>'
    )


def card_text(title: str, excerpt: str) -> str:
    """Return the plain text an article's Post carries: title and excerpt.

    It is what search finds an article by.
    """
    return f"{title}\n\n{html_to_text(excerpt)}".strip()
