"""Blog pages: writing, an author's blog, an article with its comments,
drafts and the queue of comments waiting for approval.

Every form works without JavaScript; the article's comment form is the
site's reply form, so htmx adds a comment in place as it adds a reply.
"""

from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from hubbub.accounts import queries as account_queries
from hubbub.accounts.models import Account
from hubbub.blog import actions as blog_actions
from hubbub.blog import queries as blog_queries
from hubbub.blog.content import ArticleContent, article_path, check_content
from hubbub.blog.models import Article, State
from hubbub.news import queries as news_queries
from hubbub.posts.queries import conversation
from hubbub.timelines.queries import page_of
from hubbub.web.compose import reply_form
from hubbub.web.forms import ArticleForm
from hubbub.web.views.common import (
    BadCursorError,
    page_bounds,
    safe_next,
    signed_in,
    viewer_of,
)
from hubbub.web.views.posts import thread_items

# What the editor's submit buttons ask for (the "action" field).
EDITOR_ACTIONS = {"draft", "preview", "publish", "update"}


def article_url(article: Article) -> str:
    """Return a published article's canonical page."""
    assert article.post_id is not None  # noqa: S101 (published articles only)
    return article_path(article.author.username, article.post_id, article.slug)


def _initial(article: Article) -> dict[str, object]:
    return {
        "title": article.title,
        "source": article.source,
        "custom_excerpt": article.custom_excerpt,
        "tags": article.tags,
        "publish_at": article.publish_at if article.state == State.SCHEDULED else None,
    }


@login_required
def new_article(request: HttpRequest) -> HttpResponse:
    """Write a new article: save it as a draft, preview it or publish it."""
    return _editor(request, signed_in(request), None)


@login_required
def edit_article(request: HttpRequest, article_id: int) -> HttpResponse:
    """Edit one of the viewer's articles (someone else's is a 404)."""
    author = signed_in(request)
    return _editor(request, author, blog_queries.get_own_article(author, article_id))


def _editor(
    request: HttpRequest, author: Account, article: Article | None
) -> HttpResponse:
    if request.method != "POST":
        form = ArticleForm(initial=_initial(article) if article else None)
        return _editor_page(request, form, article)
    form = ArticleForm(request.POST)
    action = request.POST.get("action", "draft")
    if action not in EDITOR_ACTIONS or not form.is_valid():
        return _editor_page(request, form, article, status=400)
    data = form.cleaned_data
    try:
        content = check_content(
            title=data["title"],
            source=data["source"],
            custom_excerpt=data["custom_excerpt"],
            tags=data["tags"],
        )
        if action == "preview":
            return _editor_page(request, form, article, preview=content)
        saved = _save(author, article, content, action, data["publish_at"])
    except ValidationError as e:
        field = "publish_at" if e.code in {"past", "too_far", "naive"} else None
        form.add_error(field, e)
        return _editor_page(request, form, article, status=400)
    if saved.state == State.PUBLISHED:
        return HttpResponseRedirect(article_url(saved))
    return HttpResponseRedirect(reverse("web:drafts") + f"#article-{saved.id}")


def _save(
    author: Account,
    article: Article | None,
    content: ArticleContent,
    action: str,
    publish_at: datetime | None,
) -> Article:
    """Do what the editor's button asked, through the blog's actions."""
    article_id = article.id if article is not None else None
    if action == "publish":
        return blog_actions.publish_article(
            author, article_id=article_id, publish_at=publish_at, content=content
        )
    if action == "update" and article_id is not None:
        return blog_actions.edit_article(author, article_id=article_id, content=content)
    return blog_actions.save_draft(author, content=content, article_id=article_id)


def _editor_page(
    request: HttpRequest,
    form: ArticleForm,
    article: Article | None,
    *,
    preview: ArticleContent | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "web/article_form.html",
        {"form": form, "article": article, "preview": preview},
        status=status,
    )


@require_GET
def blog_index(request: HttpRequest, username: str) -> HttpResponse:
    """Show an author's articles, newest first, each by its excerpt."""
    viewer = viewer_of(request)
    author = account_queries.get_account(username)
    try:
        bounds = page_bounds(request)
    except BadCursorError as e:
        return HttpResponseBadRequest(f"{e} must be an article id.")
    articles = page_of(
        blog_queries.blog_articles(viewer, author), bounds, key="post_id"
    )
    paged = bounds.max_id is not None or bounds.min_id is not None
    context = {
        "account": author,
        "articles": articles,
        "older_id": articles[-1].post_id if len(articles) == bounds.limit else None,
        "newer_id": articles[0].post_id if articles and paged else None,
        "index_url": reverse("web:blog", args=[author.username]),
    }
    return render(request, "web/blog.html", context)


@require_GET
def article(
    request: HttpRequest, username: str, post_id: int, slug: str = ""
) -> HttpResponse:
    """Show an article in full with its comments.

    The id finds it; a wrong author or slug in the URL (an old title, a
    hand-typed link) is answered with a permanent redirect to its page.
    """
    viewer = viewer_of(request)
    found = blog_queries.get_article(viewer, post_id)
    if username != found.author.username or slug != found.slug:
        return redirect(article_url(found), permanent=True)
    return article_page(request, viewer, found)


def article_page(
    request: HttpRequest, viewer: Account | None, found: Article, status: int = 200
) -> HttpResponse:
    """Render an article, its comments and, for a viewer, the comment form."""
    assert found.post is not None  # noqa: S101 (published articles only)
    thread = conversation(viewer, found.post)
    form = None
    if viewer is not None and not found.comments_closed:
        form = reply_form(thread.post, [])
        # reply_form labelled its bound field already; relabel both.
        form.fields["text"].label = form["text"].label = "Your comment"
    replies = thread_items(thread.descendants)
    shown = {item.node.id for item in replies}
    own = viewer is not None and viewer.pk == found.author_id
    waiting = blog_queries.held_comments(viewer).count() if viewer and own else 0
    context = {
        "article": found,
        "post": thread.post,
        "replies": replies,
        "held_ids": blog_queries.held_among(shown),
        "mentioned_in": blog_queries.mentioned_in(viewer, found.post),
        "stories": news_queries.stories_in_conversation(
            viewer, found.post.conversation_id
        ),
        "submit_to_news": reverse("web:submit_story")
        + "?"
        + urlencode(
            {
                "url": settings.HUBBUB_SITE_URL + article_url(found),
                "title": found.title,
            }
        ),
        "form": form,
        "reply_to": thread.post,
        "draft_used": 0,
        "next_url": article_url(found),
        "own": own,
        "waiting": waiting,
        "edited": (found.updated_at - found.post.created_at).total_seconds() > 60,
        "tags": found.tags.split(),
    }
    return render(request, "web/article.html", context, status=status)


@require_GET
@login_required
def drafts(request: HttpRequest) -> HttpResponse:
    """List the viewer's drafts and scheduled articles."""
    author = signed_in(request)
    return render(
        request,
        "web/drafts.html",
        {"articles": blog_queries.unpublished_articles(author)},
    )


@require_POST
@login_required
def post_unpublish(request: HttpRequest, article_id: int) -> HttpResponse:
    """Take one of the viewer's articles back to a draft."""
    author = signed_in(request)
    blog_actions.unpublish_article(author, article_id=article_id)
    return HttpResponseRedirect(reverse("web:drafts") + f"#article-{article_id}")


@require_POST
@login_required
def post_comments_setting(request: HttpRequest, article_id: int) -> HttpResponse:
    """Close or reopen comments on one of the viewer's articles."""
    author = signed_in(request)
    closed = request.POST.get("closed") == "1"
    found = blog_actions.set_comments_closed(
        author, article_id=article_id, closed=closed
    )
    if found.state != State.PUBLISHED:
        return HttpResponseRedirect(reverse("web:edit_article", args=[found.id]))
    return HttpResponseRedirect(safe_next(request, article_url(found)) + "#comments")


@require_GET
@login_required
def held_comments(request: HttpRequest) -> HttpResponse:
    """List the comments waiting for the viewer's approval."""
    author = signed_in(request)
    return render(
        request,
        "web/held_comments.html",
        {"holds": blog_queries.held_comments(author)},
    )


@require_POST
@login_required
def post_held_comment(request: HttpRequest, post_id: int, verb: str) -> HttpResponse:
    """Approve or reject a comment waiting on one of the viewer's articles."""
    author = signed_in(request)
    if verb == "approve":
        blog_actions.approve_comment(author, post_id=post_id)
    elif verb == "reject":
        blog_actions.reject_comment(author, post_id=post_id)
    else:
        return HttpResponseBadRequest("Approve or reject.")
    return HttpResponseRedirect(safe_next(request, reverse("web:held_comments")))
