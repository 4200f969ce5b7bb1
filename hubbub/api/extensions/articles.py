"""``/api/hubbub/v1/articles``: writing, publishing and reading articles.

An article's id here is the article's own (a draft has no status yet);
a published article also carries its Status, whose id is the status id
Mastodon clients see.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from ninja import Router, Schema
from pydantic import Field

from hubbub.accounts.models import Account
from hubbub.api import schemas
from hubbub.api.auth import optional, requires, signed_in, viewer
from hubbub.api.http import json_response, not_found, path_id
from hubbub.api.serializers import Serializer, rfc3339
from hubbub.blog import actions
from hubbub.blog import queries as blog_queries
from hubbub.blog.content import (
    CUSTOM_EXCERPT_MAX_CHARS,
    TAGS_MAX_CHARS,
    ArticleContent,
    article_path,
    check_content,
)
from hubbub.blog.markdown import MAX_SOURCE_CHARS
from hubbub.blog.models import Article as ArticleRow
from hubbub.blog.models import State
from hubbub.blog.slugs import MAX_TITLE_CODE_POINTS
from hubbub.posts.queries import get_post_with_flags

router = Router(tags=["hubbub: articles"])
ERRORS = schemas.errors(400, 401, 403, 404, 422, 429)


class ArticleForm(Schema):
    """An article as its author writes it."""

    title: str = Field(max_length=MAX_TITLE_CODE_POINTS)
    source: str = Field(
        "",
        max_length=MAX_SOURCE_CHARS,
        description="Markdown; `<!--more-->` ends the excerpt shown on indexes.",
    )
    excerpt: str = Field(
        "",
        max_length=CUSTOM_EXCERPT_MAX_CHARS,
        description="Plain text shown on indexes when there is no marker.",
    )
    tags: list[str] = Field(default_factory=list, max_length=10)


class PublishForm(Schema):
    """When to publish."""

    publish_at: str | None = Field(
        None,
        max_length=40,
        description="An RFC 3339 time to schedule it, at most five years "
        "ahead; absent or null publishes now.",
    )


class Article(Schema):
    """An article, in any state; only its author sees drafts."""

    id: str
    title: str
    slug: str
    source: str
    excerpt: str
    excerpt_html: str
    html: str
    tags: list[str]
    state: str
    publish_at: str | None
    updated_at: str
    comments_closed: bool
    url: str | None
    status: schemas.Status | None


def _content(payload: ArticleForm) -> ArticleContent:
    tags = " ".join(payload.tags)
    if len(tags) > TAGS_MAX_CHARS:
        raise ValidationError("Too many tags.")
    return check_content(
        title=payload.title,
        source=payload.source,
        custom_excerpt=payload.excerpt,
        tags=tags,
    )


def _render(request: HttpRequest, me: Account | None, article: ArticleRow) -> Any:
    live = article.state == State.PUBLISHED and article.post_id is not None
    status = None
    url = None
    if live and article.post_id is not None:
        serializer = Serializer(request, me)
        status = serializer.status(get_post_with_flags(me, article.post_id))
        url = serializer.base + article_path(
            article.author.username, article.post_id, article.slug
        )
    return {
        "id": str(article.id),
        "title": article.title,
        "slug": article.slug,
        "source": article.source,
        "excerpt": article.custom_excerpt,
        "excerpt_html": article.excerpt_html,
        "html": article.html,
        "tags": article.tags.split(),
        "state": article.state,
        "publish_at": rfc3339(article.publish_at) if article.publish_at else None,
        "updated_at": rfc3339(article.updated_at),
        "comments_closed": article.comments_closed,
        "url": url,
        "status": status,
    }


@router.post("/api/hubbub/v1/articles", response={200: Article, **ERRORS})
@requires("write:statuses")
def create_article(request: HttpRequest, payload: ArticleForm) -> HttpResponse:
    """Save a new article as a draft."""
    me = signed_in(request)
    article = actions.save_draft(me, content=_content(payload))
    return json_response(_render(request, me, article))


@router.put("/api/hubbub/v1/articles/{id}", response={200: Article, **ERRORS})
@requires("write:statuses")
def update_article(request: HttpRequest, id: str, payload: ArticleForm) -> HttpResponse:
    """Replace one of the caller's articles' content, keeping its state."""
    me = signed_in(request)
    article = actions.edit_article(
        me, article_id=path_id(id), content=_content(payload)
    )
    return json_response(_render(request, me, article))


@router.post("/api/hubbub/v1/articles/{id}/publish", response={200: Article, **ERRORS})
@requires("write:statuses")
def publish(
    request: HttpRequest, id: str, payload: PublishForm | None = None
) -> HttpResponse:
    """Publish one of the caller's articles now, or schedule it."""
    me = signed_in(request)
    when = None
    if payload is not None and payload.publish_at:
        try:
            when = parse_datetime(payload.publish_at)
        except ValueError:
            # Well formed but not a real time, such as month 13.
            when = None
        if when is None:
            raise ValidationError("publish_at is not an RFC 3339 time.")
    article = actions.publish_article(me, article_id=path_id(id), publish_at=when)
    return json_response(_render(request, me, article))


@router.post(
    "/api/hubbub/v1/articles/{id}/unpublish", response={200: Article, **ERRORS}
)
@requires("write:statuses")
def unpublish(request: HttpRequest, id: str) -> HttpResponse:
    """Take one of the caller's articles back to a draft."""
    me = signed_in(request)
    article = actions.unpublish_article(me, article_id=path_id(id))
    return json_response(_render(request, me, article))


@router.get("/api/hubbub/v1/articles/{id}", response={200: Article, **ERRORS})
@optional("read:statuses")
def get_article(request: HttpRequest, id: str) -> HttpResponse:
    """Return an article: any of the caller's own, or a published one."""
    me = viewer(request)
    article_id = path_id(id)
    found = None
    if me is not None:
        found = blog_queries.own_articles(me).filter(id=article_id).first()
    if found is None:
        found = blog_queries.published_articles(me).filter(id=article_id).first()
    if found is None:
        raise not_found()
    return json_response(_render(request, me, found))
