"""Helpers every page view shares: cursors, the viewer, safe redirects."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from hubbub.accounts.models import Account
from hubbub.core.text import count_characters
from hubbub.timelines import queries as timelines
from hubbub.timelines.store import PageBounds
from hubbub.web.forms import NoteForm


class BadCursorError(ValueError):
    pass


def page_bounds(request: HttpRequest) -> PageBounds:
    values: dict[str, int | None] = {}
    for name in ("max_id", "min_id"):
        raw = request.GET.get(name)
        if raw is None or raw == "":
            values[name] = None
        elif raw.isascii() and raw.isdigit() and len(raw) <= 19:
            values[name] = int(raw)
        else:
            raise BadCursorError(name)
    return PageBounds(
        max_id=values["max_id"],
        min_id=values["min_id"],
        limit=settings.HUBBUB_PAGE_SIZE,
    )


# Renders a page's template with its context, in place of ``render``.
type Renderer = Callable[[HttpRequest, str, dict[str, object]], HttpResponse]


def timeline_page(
    request: HttpRequest,
    template: str,
    load: "timelines.PageLoader",
    context: dict[str, object],
    status: int = 200,
    renderer: Renderer | None = None,
) -> HttpResponse:
    try:
        bounds = page_bounds(request)
    except BadCursorError as e:
        return HttpResponseBadRequest(f"{e} must be a post id.")
    posts = load(bounds)
    paged = bounds.max_id is not None or bounds.min_id is not None
    context.update(
        # Only the newest page grows live; an older page would jump.
        live_stream=None if paged else live_stream(context.pop("stream", None)),
        posts=posts,
        older_id=posts[-1].id if len(posts) == bounds.limit else None,
        newer_id=posts[0].id if posts and paged else None,
    )
    if renderer is not None and status == 200:
        return renderer(request, template, context)
    return render(request, template, context, status=status)


def live_stream(stream: object) -> str | None:
    """Return the SSE address a timeline page listens on, if streaming runs."""
    base = settings.HUBBUB_STREAMING_URL
    if not stream or not base:
        return None
    # The instance API advertises ws(s)://; EventSource needs http(s)://.
    return f"http{base.removeprefix('ws')}/api/v1/streaming/{stream}"


def viewer_of(request: HttpRequest) -> Account | None:
    user = request.user
    return user if isinstance(user, Account) else None


def signed_in(request: HttpRequest) -> Account:
    """Return the signed-in account (views behind login_required)."""
    user = request.user
    if not isinstance(user, Account):
        raise PermissionDenied
    return user


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def draft_length(form: NoteForm) -> int:
    if not form.is_bound:
        return 0
    return count_draft(form.data.get("text", ""))


def count_draft(text: str) -> int:
    # Bounded, so a huge paste cannot make counting expensive.
    text = text[: settings.HUBBUB_MAX_CODE_POINTS * 4]
    return count_characters(text.replace("\r\n", "\n").strip())
