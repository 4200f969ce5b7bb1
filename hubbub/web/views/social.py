"""Social pages: favourites, boosts, deleting, notifications, follow
requests, blocks and mutes.

Every button is a form that works without JavaScript (post, then redirect
back to ``next``); with htmx the same form swaps its partial in place.
"""

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from hubbub.accounts import actions as account_actions
from hubbub.accounts import queries as account_queries
from hubbub.accounts.models import Account
from hubbub.notifications import actions as notification_actions
from hubbub.notifications import queries as notification_queries
from hubbub.notifications.models import NotificationType
from hubbub.posts import actions as post_actions
from hubbub.posts import queries as post_queries
from hubbub.web.views.accounts import follow_response
from hubbub.web.views.common import (
    BadCursorError,
    page_bounds,
    safe_next,
    signed_in,
    viewer_of,
)

NOTIFICATIONS_PAGE_SIZE = 40
PEOPLE_PAGE_SIZE = 40


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


def _refused(request: HttpRequest, error: ValidationError) -> HttpResponse:
    return render(request, "web/error.html", {"message": error.messages[0]}, status=400)


# --- favourites and boosts -------------------------------------------------------

PostAction = Callable[..., object]

# What each reaction form does to a post (the URL's last part).
REACTIONS: dict[str, PostAction] = {
    "favourite": post_actions.favourite_post,
    "unfavourite": post_actions.unfavourite_post,
    "boost": post_actions.boost_post,
    "unboost": post_actions.unboost_post,
}


@require_POST
@login_required
def post_reaction(request: HttpRequest, post_id: int, verb: str) -> HttpResponse:
    """Favourite, boost or undo either; answer with the post's buttons.

    ``post_id`` is the post as shown (a boost, or a note); the actions work
    on a boost's original themselves.
    """
    if verb not in REACTIONS:
        raise Http404("No such action.")
    viewer = signed_in(request)
    post = post_queries.get_post(viewer, post_id)
    error = ""
    try:
        REACTIONS[verb](viewer, post=post)
    except ValidationError as e:
        error = e.messages[0]
    if not _is_htmx(request):
        if error:
            return render(request, "web/error.html", {"message": error}, status=400)
        return HttpResponseRedirect(f"{safe_next(request, '/')}#post-{post.id}")
    try:
        shown = post_queries.get_post_with_flags(viewer, post.id)
    except Http404:
        # The viewer's own boost, just taken back: show the original's
        # buttons where the boost's were.
        shown = post_queries.get_post_with_flags(viewer, post.reblog_of_id or post.id)
    return render(
        request,
        "web/partials/post_actions.html",
        {
            "post": shown,
            "actions_id": post.id,
            "action_error": error,
            "next_url": safe_next(request, "/"),
        },
        status=400 if error else 200,
    )


@require_POST
@login_required
def delete_note(request: HttpRequest, post_id: int) -> HttpResponse:
    """Delete the viewer's own note (the form asks to confirm first)."""
    viewer = signed_in(request)
    post = post_queries.get_post(viewer, post_id)
    post_actions.delete_post(viewer, post=post)
    if _is_htmx(request):
        return render(request, "web/partials/deleted_note.html", {"post_id": post.id})
    # Back where the note was shown, unless that was the note's own page.
    own_page = reverse("web:note", args=[post.author.username, post.id])
    target = safe_next(request, reverse("web:profile", args=[viewer.username]))
    if target.split("?")[0].split("#")[0] == own_page:
        target = reverse("web:profile", args=[viewer.username])
    return HttpResponseRedirect(target)


def _people_page(
    request: HttpRequest,
    people: QuerySet[Account],
    template: str,
    context: dict[str, object],
) -> HttpResponse:
    """Render one page of a list of people, paged on their link's id."""
    try:
        bounds = page_bounds(request)
    except BadCursorError as e:
        return HttpResponseBadRequest(f"{e} must be an id.")
    if bounds.max_id is not None:
        # ``link_id`` is the queries' annotation, which the stubs can't see.
        people = people.filter(Q(link_id__lt=bounds.max_id))
    page = list(people[:PEOPLE_PAGE_SIZE])
    older = None
    if len(page) == PEOPLE_PAGE_SIZE:
        older = page[-1].link_id  # type: ignore[attr-defined]
    return render(request, template, {**context, "people": page, "older_id": older})


def _post_people(
    request: HttpRequest,
    username: str,
    post_id: int,
    which: str,
    load: Callable[[Account | None, int], QuerySet[Account]],
) -> HttpResponse:
    viewer = viewer_of(request)
    post = post_queries.get_post(viewer, post_id)
    note = post.reblog_of or post
    if note.author.username != username or note.id != post_id:
        return redirect(f"web:{which}", note.author.username, note.id)
    return _people_page(
        request,
        load(viewer, note.id),
        "web/post_people.html",
        {"post": note, "which": which},
    )


@require_GET
def favourited_by(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    return _post_people(
        request, username, post_id, "favourited_by", post_queries.favourited_by
    )


@require_GET
def boosted_by(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    return _post_people(
        request, username, post_id, "boosted_by", post_queries.boosted_by
    )


# --- notifications ---------------------------------------------------------------

# What the filter offers, in the order the page lists it.
NOTIFICATION_FILTERS = [
    (NotificationType.MENTION, "Mentions"),
    (NotificationType.REPLY, "Replies"),
    (NotificationType.FAVOURITE, "Favourites"),
    (NotificationType.REBLOG, "Boosts"),
    (NotificationType.FOLLOW, "Follows"),
    (NotificationType.FOLLOW_REQUEST, "Follow requests"),
]


@require_GET
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """List the viewer's notifications, newest first, of one type or all."""
    viewer = signed_in(request)
    kind = request.GET.get("type", "")
    if kind and kind not in NotificationType.values:
        return HttpResponseBadRequest("Unknown notification type.")
    try:
        bounds = page_bounds(request)
    except BadCursorError as e:
        return HttpResponseBadRequest(f"{e} must be a notification id.")
    found = notification_queries.notifications_for(
        viewer, types=[NotificationType(kind)] if kind else None
    )
    if bounds.max_id is not None:
        found = found.filter(id__lt=bounds.max_id)
    page = list(found[:NOTIFICATIONS_PAGE_SIZE])
    return render(
        request,
        "web/notifications.html",
        {
            "notifications": page,
            "kind": kind,
            "filters": NOTIFICATION_FILTERS,
            "read_id": viewer.notifications_read_id,
            "older_id": (page[-1].id if len(page) == NOTIFICATIONS_PAGE_SIZE else None),
        },
    )


@require_GET
def get_unread_count(request: HttpRequest) -> HttpResponse:
    """The header's unread badge, loaded by htmx after the page."""
    viewer = viewer_of(request)
    count = notification_queries.unread_count(viewer) if viewer else 0
    return render(request, "web/partials/unread_count.html", {"unread": count})


@require_POST
@login_required
def put_notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark every notification the viewer has as read.

    Both ways it answers with a redirect back to the list: htmx follows it
    and swaps the fresh list and header badge in (``hx-select``).
    """
    viewer = signed_in(request)
    notification_actions.mark_all_read(viewer)
    return HttpResponseRedirect(safe_next(request, reverse("web:notifications")))


# --- follow requests, blocks and mutes -------------------------------------------


def _account(username: str) -> Account:
    return get_object_or_404(Account, username__iexact=username, is_active=True)


@require_GET
@login_required
def follow_requests(request: HttpRequest) -> HttpResponse:
    viewer = signed_in(request)
    return _people_page(
        request,
        account_queries.follow_requesters(viewer),
        "web/follow_requests.html",
        {},
    )


def _answer_request(
    request: HttpRequest, username: str, *, approve: bool
) -> HttpResponse:
    viewer = signed_in(request)
    follower = _account(username)
    try:
        if approve:
            account_actions.approve_follow_request(viewer, follower=follower)
        else:
            account_actions.reject_follow_request(viewer, follower=follower)
    except ValidationError as e:
        return _refused(request, e)
    if _is_htmx(request):
        done = "Approved" if approve else "Rejected"
        return _row_done(request, f"{done} @{follower.username}.")
    return HttpResponseRedirect(safe_next(request, reverse("web:follow_requests")))


def _row_done(request: HttpRequest, message: str) -> HttpResponse:
    """Replace a row of a list (a request, a block) with what became of it."""
    return render(request, "web/partials/row_done.html", {"message": message})


@require_POST
@login_required
def put_follow_approval(request: HttpRequest, username: str) -> HttpResponse:
    return _answer_request(request, username, approve=True)


@require_POST
@login_required
def delete_follow_request(request: HttpRequest, username: str) -> HttpResponse:
    return _answer_request(request, username, approve=False)


AccountAction = Callable[..., object]

# What each relationship form does (the URL's last part), and what it says
# when it answers for a row of a list.
RELATIONSHIP_CHANGES: dict[str, tuple[AccountAction, str]] = {
    "block": (account_actions.block_account, "Blocked"),
    "unblock": (account_actions.unblock_account, "Unblocked"),
    "mute": (account_actions.mute_account, "Muted"),
    "unmute": (account_actions.unmute_account, "Unmuted"),
}


@require_POST
@login_required
def post_relationship(request: HttpRequest, username: str, verb: str) -> HttpResponse:
    """Block, mute or undo either; answer with the profile's buttons.

    A form in a list (``row`` posted) gets its row back instead.
    """
    viewer = signed_in(request)
    account = _account(username)
    act, done = RELATIONSHIP_CHANGES[verb]
    try:
        act(viewer, target=account)
    except ValidationError as e:
        return follow_response(request, account, status=400, error=e.messages[0])
    if _is_htmx(request) and request.POST.get("row"):
        return _row_done(request, f"{done} @{account.username}.")
    return follow_response(request, account)


# Each settings list of people the viewer keeps at a distance.
DISTANCE_LISTS = {
    "blocks": account_queries.blocked_accounts,
    "mutes": account_queries.muted_accounts,
}


@require_GET
@login_required
def blocks_and_mutes(request: HttpRequest, which: str) -> HttpResponse:
    """List whom the viewer blocks, or mutes (``which``), with undo buttons."""
    viewer = signed_in(request)
    return _people_page(
        request,
        DISTANCE_LISTS[which](viewer),
        "web/blocks_and_mutes.html",
        {"which": which},
    )
