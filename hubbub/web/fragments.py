"""Rendered notes (and the composer), reused while nothing they show changes.

A timeline page shows twenty notes, and rendering ``post.html`` for each is
most of the page's cost. Most notes look the same to every reader and from
one request to the next, so each rendering is kept in the process's
memory under everything it shows: the note's text, its author's
name, its counters, the time as the page words it ("5 minutes ago"), the
few facts about the viewer its buttons depend on (signed in, favourited,
boosted, their own note) and where its forms return to. When any of these
changes the key does too, so an edit, a delete, a favourite or a new
display name is never shown stale, and nothing needs invalidating; old
entries simply age out. Because an entry is a pure function of its key,
each process keeps its own, with nothing to share. The empty composer
above a timeline is kept the same way, under where its form returns to,
and so is every page's header, under who is signed in and which page it is.

A home timeline page goes further: its notes come as SQL rows
(``timelines.queries.TimelineRow``), and each rendering is kept under its
whole row, so a page whose renderings are all kept never builds a model
instance, and nothing it shows can be left out of the key.

The forms' CSRF token differs per request, so a stand-in is rendered in
its place and swapped for the page's token on the way out.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import cast

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import Context
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from hubbub.accounts.models import Account
from hubbub.core.kept import Kept
from hubbub.core.kept_responses import keep
from hubbub.core.prepared import Rows
from hubbub.posts.models import Post
from hubbub.posts.queries import promotion_collapsed
from hubbub.timelines.queries import TimelineRow
from hubbub.web.compose import ComposeForm
from hubbub.web.templatetags.hubbub import ago, ago_changes_at

POST_TEMPLATE = "web/partials/post.html"
COMPOSE_TEMPLATE = "web/partials/compose.html"
HEADER_TEMPLATE = "web/partials/site_header.html"
# Where render_row keeps what a page's rows share, for one rendering.
_PAGE_KEY = "hubbub.web.fragments.page"


@cache
def _token_stand_in(secret: str) -> str:
    # Derived from the secret key, so user text can never contain it, and
    # the same in every process sharing a cache.
    return salted_hmac(
        "hubbub.web.fragments", "csrf", secret=secret, algorithm="sha256"
    ).hexdigest()


def fingerprint(
    post: Post, *, viewer_id: int | None, next_url: str, collapsed: bool
) -> tuple[object, ...]:
    """Return everything ``post.html`` shows for ``post`` in a timeline.

    A value ``post.html`` (or a partial it includes) shows, or decides
    something on, must be here, or the page could show it stale.
    """
    note = post.reblog_of or post
    parent = post.in_reply_to if note is post else None
    return (
        post.id,
        post.author.username if note is not post else None,
        post.author.name if note is not post else None,
        note.id,
        note.author_id,
        note.author.username,
        note.author.name,
        note.created_at,
        ago(note.created_at),
        note.visibility,
        note.html,
        note.replies_count,
        note.favourites_count,
        note.reblogs_count,
        post.in_reply_to_id if note is post else None,
        parent.deleted_at is not None if parent else None,
        parent.author.username if parent else None,
        viewer_id is not None,
        viewer_id == note.author_id,
        bool(post.favourited),  # type: ignore[attr-defined]
        bool(post.boosted),  # type: ignore[attr-defined]
        next_url,
        # The promotional label, and whether this viewer gets it collapsed.
        note.promotional_source,
        note.promotional_reason,
        collapsed,
    )


def render_post(context: Context, post: Post) -> SafeString:
    """Render ``post.html`` for one post of a timeline, as ``{% include %}``
    would in ``context``, reusing an identical earlier rendering."""
    user = context.get("user")
    viewer_id = user.pk if user is not None and user.is_authenticated else None
    next_url = _next_url(context)
    collapsed = promotion_collapsed(post, user if isinstance(user, Account) else None)
    key = fingerprint(post, viewer_id=viewer_id, next_url=next_url, collapsed=collapsed)
    return _render(
        context, POST_TEMPLATE, key, lambda: {"post": post, "next_url": next_url}
    )


def render_row(context: Context, row: TimelineRow) -> SafeString:
    """Render ``post.html`` for one post of a home timeline page, reusing
    an earlier rendering of the same row for the same viewer.

    The row holds every column the rendering can show, so it stands in for
    the fingerprint; the viewer (whose choices and own notes change the
    buttons and the promotional label), the "ago" wording and where the
    forms return to complete the key. The page's model instances are
    built only if a rendering is missing.
    """
    # What every row of the page shares, worked out for the first.
    shared = context.render_context.get(_PAGE_KEY)
    if shared is None or shared.page is not row.page:
        shared = context.render_context[_PAGE_KEY] = _RowsShared(
            row.page, context["user"], _next_url(context)
        )
    next_url = shared.next_url
    return _render(
        context,
        POST_TEMPLATE,
        shared.key(row.row),
        lambda: {"post": row.post, "next_url": next_url},
    )


class _RowsShared:
    """What the keys of one home timeline page's rows share: the viewer's
    choices, where the forms return to, the language and the readers of
    the columns the "ago" wording comes from."""

    def __init__(self, page: Rows[Post], viewer: Account, next_url: str) -> None:
        self.page = page
        self.next_url = next_url
        self._shared = (viewer.pk, viewer.promotional_posts, next_url, get_language())
        self._boosted = page.column("reblog_of_id")
        self._original_at = page.column("reblog_of", "created_at")
        self._created_at = page.column("created_at")

    def moment(self, raw: tuple[object, ...]) -> datetime:
        """Return the time row ``raw`` shows as "ago": its note's."""
        boosted = self._boosted(raw) is not None
        return cast(datetime, (self._original_at if boosted else self._created_at)(raw))

    def key(self, raw: tuple[object, ...]) -> tuple[object, ...]:
        """Return everything the rendering of row ``raw`` shows."""
        return (raw, *self._shared, ago(self.moment(raw)))


@dataclass(frozen=True)
class _KeptPage:
    """A page's body, and until when its "ago" wordings stay as they are:
    a moment for notes under four weeks old, the wording itself for the
    older ones (calendar months decide theirs)."""

    html: str
    until: datetime | None
    older: tuple[tuple[datetime, str], ...]

    @classmethod
    def render(cls, moments: list[datetime], render: Callable[[], str]) -> "_KeptPage":
        """Keep what ``render()`` makes, the wordings taken before it, so a
        wording that changes while it runs only makes the page expire."""
        now = timezone.now()
        changes = [ago_changes_at(moment, now) for moment in moments]
        until = min((c for c in changes if c is not None), default=None)
        older = tuple(
            (m, ago(m)) for m, c in zip(moments, changes, strict=True) if c is None
        )
        return cls(render(), until, older)

    def current(self) -> bool:
        return (self.until is None or timezone.now() < self.until) and all(
            ago(moment) == wording for moment, wording in self.older
        )


def render_home_page(
    request: HttpRequest, name: str, context: dict[str, object]
) -> HttpResponse:
    """Render the signed-in home page ``name`` with ``context`` (its rows
    as ``posts``), or reuse the body kept under everything it shows.

    That is every row (as ``render_row`` keys it), what the header
    shows of the viewer, the page's own values, the address and the
    language. Nothing the page shows is left out, so nothing needs
    invalidating: a new note, an edit, a favourite or a changed setting
    makes a new key. The composer is an empty one (``form`` None), built
    only when the page is rendered; a page given a form, or with messages
    to show, is rendered afresh. The CSRF token is this request's,
    swapped in for the stand-in the kept body carries.
    """
    viewer = cast(Account, request.user)  # the view sends others away
    rows = cast(list[TimelineRow], context["posts"])
    path = request.get_full_path()
    form = context["form"]
    if form is not None or len(get_messages(request)):
        return render(request, name, {**context, "form": form or ComposeForm()})
    match = request.resolver_match
    key = (
        name,
        # The rows as render_row keys them, less the "ago" wordings, which
        # the kept page checks itself.
        tuple(row.row for row in rows),
        (viewer.pk, viewer.username, viewer.is_staff, viewer.promotional_posts),
        # The page's own values; an empty composer looks the same on every page.
        tuple(sorted((k, v) for k, v in context.items() if k not in ("form", "posts"))),
        match.url_name if match else None,
        path,
        get_script_prefix(),
        get_language(),
        settings.HUBBUB_INSTANCE_TITLE,
        settings.HUBBUB_MAX_CHARACTERS,
    )
    stand_in = _token_stand_in(settings.SECRET_KEY)
    page = pages.get(key)
    if page is None or not page.current():
        shared = _RowsShared(rows[0].page, viewer, path) if rows else None
        page = _KeptPage.render(
            [shared.moment(row.row) for row in rows] if shared else [],
            lambda: render_to_string(
                name,
                {**context, "form": ComposeForm(), "csrf_token": stand_in},
                request,
            ),
        )
        pages.put(key, page)
    return keep(
        HttpResponse(page.html.replace(stand_in, get_token(request))),
        body=page.html,
        stand_in=stand_in,
        current=page.current,
    )


def render_compose(context: Context) -> SafeString:
    """Render ``compose.html`` as ``{% include %}`` would in ``context``; an
    empty composer for a new note (a timeline's) from the cache."""
    form = context["form"]
    if form.is_bound or form.initial or context.get("reply_to"):
        template = context.template.engine.get_template(COMPOSE_TEMPLATE)  # type: ignore[union-attr]
        return mark_safe(template.render(context))  # noqa: S308
    next_url = _next_url(context)
    key = (next_url, settings.HUBBUB_MAX_CHARACTERS, get_language())
    return _render(
        context,
        COMPOSE_TEMPLATE,
        key,
        lambda: {"next_url": next_url, "draft_used": 0, "new_post": None},
    )


def render_site_header(context: Context) -> SafeString:
    """Render ``site_header.html`` (every page's navigation), kept under
    everything it shows: who is signed in, the current page, the site's
    title and the prefix its addresses are reversed under."""
    user = context.get("user")
    account = user if isinstance(user, Account) else None
    match = context["request"].resolver_match
    key = (
        account and (account.pk, account.username, account.is_staff),
        match.url_name if match else None,
        context.get("site_title"),
        get_script_prefix(),
        get_language(),
    )
    return _render(context, HEADER_TEMPLATE, key, dict)


def _next_url(context: Context) -> str:
    return str(context.get("next_url") or context["request"].get_full_path())


# About 2 KB each: a few MB per process, and far more than the notes the
# recent pages of a busy instance show.
kept = Kept[str](5000)
# Whole home pages, 30-60 KB each: the readers active in the last minutes.
pages = Kept[_KeptPage](200)


def _render(
    context: Context,
    name: str,
    shown: tuple[object, ...],
    values: Callable[[], dict[str, object]],
) -> SafeString:
    """Render template ``name`` with ``values()`` pushed onto ``context``, or
    reuse the rendering kept under ``shown`` (everything it shows)."""
    key = (name, shown)
    stand_in = _token_stand_in(settings.SECRET_KEY)
    html = kept.get(key)
    if html is None:
        template = context.template.engine.get_template(name)  # type: ignore[union-attr]
        with context.push(csrf_token=stand_in, **values()):
            html = template.render(context)
        kept.put(key, html)
    if stand_in in html:
        html = html.replace(stand_in, str(context["csrf_token"]))
    return mark_safe(html)  # noqa: S308
