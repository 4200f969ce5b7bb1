"""Social news pages: the front page, Upcoming, submitting, a story with its
comments, "Why is this here?" and the moderators' review queue.

Every button is a form that works without JavaScript (post, then redirect
back); the digg button also swaps itself in place with htmx. The rules live
in ``news.actions``; these views parse, call and render.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from hubbub.accounts.models import Account
from hubbub.moderation.models import Action
from hubbub.moderation.permissions import is_moderator
from hubbub.news import actions as news_actions
from hubbub.news import queries as news_queries
from hubbub.news import ranking
from hubbub.news.models import BuryReason, Story
from hubbub.posts import actions as post_actions
from hubbub.posts.models import Post, Visibility
from hubbub.posts.queries import get_post
from hubbub.web.news_forms import (
    BuryForm,
    CommentForm,
    ModerationForm,
    ReportForm,
    StoryForm,
)
from hubbub.web.views.common import draft_length, safe_next, signed_in, viewer_of
from hubbub.web.views.posts import thread_items

# A page of promoted stories: the front page or "newest promoted".
PageLoader = Callable[..., news_queries.Page]
# The ways Upcoming can be browsed (the query sorts; "topic" lists topics).
UPCOMING_VIEWS = ("rising", "newest", "topic")
COMMENT_SORT_LABELS = {"best": "Best", "new": "Newest", "old": "Oldest"}
# Which field of the submit form an action's refusal belongs to; the rest
# (title and blurb share their codes) are shown above the form.
_SUBMIT_ERROR_FIELDS = {"invalid_url": "url", "invalid_topic": "topic"}


class BadQueryError(ValueError):
    """A query-string value the page cannot use; its message says why."""


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/error.html", {"message": message}, status=400)


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) < 1:
        raise BadQueryError("page must be a whole number from 1.")
    return int(raw)


def _threshold_sentence() -> str:
    return ranking.threshold_sentence(news_actions.current_threshold())


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


def story_url(story: Story | int) -> str:
    return reverse("web:story", args=[story if isinstance(story, int) else story.pk])


# --- lists ---------------------------------------------------------------------


@require_GET
def front_page(request: HttpRequest) -> HttpResponse:
    """Promoted stories by rank, 30 a page."""
    return _promoted(request, news_queries.front_page, "top")


@require_GET
def newest_promoted(request: HttpRequest) -> HttpResponse:
    """Promoted stories, the most recently promoted first."""
    return _promoted(request, news_queries.newest_promoted, "newest")


def _promoted(request: HttpRequest, load: PageLoader, tab: str) -> HttpResponse:
    try:
        number = _page_number(request)
    except BadQueryError as e:
        return _bad_request(request, str(e))
    page = load(viewer_of(request), page=number)
    return render(
        request,
        "web/news/front_page.html",
        {
            "page": page,
            "tab": tab,
            "first_rank": (page.number - 1) * news_queries.PAGE_SIZE + 1,
            "threshold_sentence": ranking.threshold_sentence(page.threshold),
        },
    )


@require_GET
def upcoming(request: HttpRequest) -> HttpResponse:
    """Stories in their promotion window, each with what it still needs."""
    sort = request.GET.get("sort", "rising")
    topic = request.GET.get("topic", "").strip().lower()
    try:
        if sort not in UPCOMING_VIEWS:
            raise BadQueryError("sort must be rising, newest or topic.")
        number = _page_number(request)
    except BadQueryError as e:
        return _bad_request(request, str(e))
    viewer = viewer_of(request)
    context: dict[str, object] = {"sort": sort, "topic": topic}
    if sort == "topic" and not topic:
        context["topics"] = news_queries.topics()
        context["threshold_sentence"] = _threshold_sentence()
    else:
        query_sort: news_queries.UpcomingSort = (
            "newest" if sort == "newest" else "rising"
        )
        context["page"] = news_queries.upcoming(
            viewer, sort=query_sort, topic=topic, page=number
        )
        # What the pager links keep besides the page number.
        kept = {"sort": sort} if sort == "newest" else {}
        context["query"] = urlencode({**kept, **({"topic": topic} if topic else {})})
    return render(request, "web/news/upcoming.html", context)


@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    """Stories held for review; moderators can release them from here."""
    try:
        number = _page_number(request)
    except BadQueryError as e:
        return _bad_request(request, str(e))
    viewer = viewer_of(request)
    return render(
        request,
        "web/news/review.html",
        {
            "page": news_queries.review_queue(viewer, page=number),
            "can_moderate": is_moderator(viewer),
            "moderation_form": ModerationForm(),
        },
    )


# --- submitting ----------------------------------------------------------------


@login_required
def submit(request: HttpRequest) -> HttpResponse:
    """Show the submit form; on a valid post submit the story.

    A link already submitted leads to that story, with a message saying so.
    """
    viewer = signed_in(request)
    # "Submit to news" on an article arrives with its link and title filled in.
    initial = {key: request.GET.get(key, "") for key in ("url", "title")}
    form = StoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            done = news_actions.submit_story(viewer, **form.cleaned_data)
        except ValidationError as e:
            form.add_error(_SUBMIT_ERROR_FIELDS.get(str(e.code)), e)
        else:
            if done.created:
                messages.success(
                    request,
                    "Your story is in Upcoming. It is promoted to the front "
                    "page when enough independent members digg it.",
                )
            else:
                messages.info(
                    request,
                    "That link was submitted already, so here is its story: "
                    "digg it or join the discussion.",
                )
            return HttpResponseRedirect(story_url(done.story))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "web/news/submit.html",
        {"form": form, "topics": news_queries.topics()},
        status=status,
    )


# --- one story -----------------------------------------------------------------


@require_GET
def story(request: HttpRequest, post_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    found = news_queries.get_story(viewer, post_id)
    return story_page(request, viewer, found)


def story_page(
    request: HttpRequest,
    viewer: Account | None,
    found: Story,
    *,
    comment_form: CommentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render a story with its state, its tools and its comment tree."""
    try:
        sort = _comment_sort(request.GET.get("sort", "best"))
    except BadQueryError as e:
        return _bad_request(request, str(e))
    comments = news_queries.story_comments(viewer, found, sort=sort)
    replying_to = None
    if comment_form is not None and comment_form.is_bound:
        replying_to = comment_form.cleaned_data.get("in_reply_to")
    top_form = comment_form
    if top_form is None or replying_to not in (None, found.pk):
        top_form = CommentForm()
    context = {
        "story": found,
        "check": news_queries.stored_check(
            found, threshold=news_actions.current_threshold(), now=timezone.now()
        ),
        "comments": thread_items(comments),
        "comment_count": sum(1 for c in comments if c.post is not None),
        "sort": sort,
        "sorts": COMMENT_SORT_LABELS,
        "comment_form": top_form,
        "draft_used": draft_length(top_form),
        "reply_form": comment_form if replying_to not in (None, found.pk) else None,
        "replying_to": replying_to,
        "bury_form": BuryForm(),
        "report_form": ReportForm(),
        "can_moderate": is_moderator(viewer),
        "moderation_form": ModerationForm(),
        "story_url": story_url(found),
        "shared_with": _shared_with(viewer, found),
    }
    return render(request, "web/news/story.html", context, status=status)


def _shared_with(viewer: Account | None, found: Story) -> Post | None:
    """Return the article or note whose conversation this story joined,
    when the viewer may see it."""
    root_id = found.post.conversation_id
    if root_id == found.pk:
        return None
    try:
        return get_post(viewer, root_id)
    except Http404:
        return None


def _comment_sort(raw: str) -> news_queries.CommentSort:
    for sort in news_queries.COMMENT_SORTS:
        if sort == raw:
            return sort
    raise BadQueryError("sort must be best, new or old.")


@require_GET
def why(request: HttpRequest, post_id: int) -> HttpResponse:
    """The frozen promotion record and the current rank factors."""
    found = news_queries.why(viewer_of(request), post_id)
    record = found.record or {}
    context = {
        "why": found,
        "story": found.story,
        "record": record,
        "promoted_at": _moment(record.get("promoted_at")),
        "time_in_upcoming": _span(record.get("seconds_in_upcoming")),
        "record_bury_reasons": _reason_labels(record.get("bury_reasons", {})),
        "bury_reasons": _reason_labels(found.bury_reasons),
        "moderation": _log_lines(found.moderation),
        "record_moderation": _log_lines(record.get("moderation", [])),
        "constants": ranking,
    }
    return render(request, "web/news/why.html", context)


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _span(seconds: object) -> str:
    """Say a duration in hours and minutes: "3 h 5 min", "12 min"."""
    if not isinstance(seconds, int | float):
        return ""
    minutes = int(seconds) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _log_lines(entries: object) -> list[tuple[str, str, datetime | None]]:
    """Name each moderation log entry: (what was done, why, when)."""
    if not isinstance(entries, list):
        return []
    labels = dict(Action.choices)
    return [
        (str(labels.get(e["action"], e["action"])), e["reason"], _moment(e["at"]))
        for e in entries
    ]


def _reason_labels(counts: object) -> list[tuple[str, int]]:
    """Name each bury reason: [("Spam", 3), ...], most given first."""
    if not isinstance(counts, dict):
        return []
    labels = dict(BuryReason.choices)
    named = [(str(labels.get(k, k)), int(n)) for k, n in counts.items()]
    return sorted(named, key=lambda item: (-item[1], item[0]))


# --- votes ---------------------------------------------------------------------


@require_POST
@login_required
def post_digg(request: HttpRequest, post_id: int) -> HttpResponse:
    """Digg a story (favourite its post); answer with the digg button."""
    viewer = signed_in(request)
    news_actions.digg_story(viewer, story=post_id)
    return _digg_response(request, viewer, post_id)


@require_POST
@login_required
def delete_digg(request: HttpRequest, post_id: int) -> HttpResponse:
    """Take a digg back; answer with the digg button."""
    viewer = signed_in(request)
    # Only a story the viewer can see has a button to press.
    news_queries.get_story(viewer, post_id)
    news_actions.undigg_story(viewer, story=post_id)
    return _digg_response(request, viewer, post_id)


def _digg_response(request: HttpRequest, viewer: Account, post_id: int) -> HttpResponse:
    if not _is_htmx(request):
        return HttpResponseRedirect(
            f"{safe_next(request, story_url(post_id))}#story-{post_id}"
        )
    return render(
        request,
        "web/news/partials/digg.html",
        {
            "story": news_queries.get_story(viewer, post_id),
            "next_url": safe_next(request, story_url(post_id)),
            "announce": True,
        },
    )


@require_POST
@login_required
def post_bury(request: HttpRequest, post_id: int) -> HttpResponse:
    """Bury a story with a reason (it goes to review, never away, when the
    weighted buries reach their limit)."""
    viewer = signed_in(request)
    form = BuryForm(request.POST)
    refused = _run(
        request,
        form,
        lambda data: news_actions.bury_story(viewer, story=post_id, **data),
    )
    if refused is not None:
        return refused
    label = BuryReason(form.cleaned_data["reason"]).label
    messages.success(request, f"You buried this story as {label.lower()}.")
    return HttpResponseRedirect(story_url(post_id))


@require_POST
@login_required
def delete_bury(request: HttpRequest, post_id: int) -> HttpResponse:
    viewer = signed_in(request)
    news_queries.get_story(viewer, post_id)
    news_actions.unbury_story(viewer, story=post_id)
    messages.success(request, "You took your bury back.")
    return HttpResponseRedirect(story_url(post_id))


@require_POST
@login_required
def post_comment_bury(request: HttpRequest, post_id: int) -> HttpResponse:
    """Bury a comment with a reason; enough buries collapse it."""
    return _flag(
        request,
        post_id,
        BuryForm(request.POST),
        news_actions.bury_comment,
        "You buried the comment.",
    )


@require_POST
@login_required
def post_report(request: HttpRequest, post_id: int) -> HttpResponse:
    """Report a story or a comment to the moderators, with a reason."""
    return _flag(
        request,
        post_id,
        ReportForm(request.POST),
        news_actions.report,
        "Thank you: the moderators will look at it.",
    )


def _flag(
    request: HttpRequest,
    post_id: int,
    form: forms.Form,
    act: Callable[..., object],
    done: str,
) -> HttpResponse:
    """Flag a post (``act(viewer, post=…, **form data)``), then go back to
    it on its story's page."""
    viewer = signed_in(request)
    refused = _run(request, form, lambda data: act(viewer, post=post_id, **data))
    if refused is not None:
        return refused
    messages.success(request, done)
    post = get_post(viewer, post_id)
    back = safe_next(request, story_url(post.conversation_id))
    return HttpResponseRedirect(f"{back}#post-{post_id}")


def _run(
    request: HttpRequest, form: forms.Form, act: Callable[[dict[str, Any]], object]
) -> HttpResponse | None:
    """Call ``act`` with ``form``'s data; return the page that says why when
    the form or the action refuses (nothing was changed), else None."""
    if not form.is_valid():
        return _bad_request(request, _first_error(form))
    try:
        act(form.cleaned_data)
    except ValidationError as e:
        return _bad_request(request, e.messages[0])
    return None


def _first_error(form: forms.Form) -> str:
    field, errors = next(iter(form.errors.items()))
    label = form.fields[field].label if field in form.fields else ""
    return f"{label} {errors[0]}".strip()


# --- comments ------------------------------------------------------------------


@require_POST
@login_required
def post_comment(request: HttpRequest, post_id: int) -> HttpResponse:
    """Comment on a story, or reply to one of its comments.

    A comment is a note in the story's conversation, so it is also a reply
    a Mastodon app shows in the thread. A reply keeps a narrower comment's
    visibility; comments on the story itself are public, like the story.
    """
    viewer = signed_in(request)
    found = news_queries.get_story(viewer, post_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        parent_id = form.cleaned_data["in_reply_to"] or found.pk
        parent = found.post if parent_id == found.pk else get_post(viewer, parent_id)
        # A story submitted from an article or note joins its conversation.
        if parent.conversation_id != found.post.conversation_id:
            return _bad_request(request, "That comment is not on this story.")
        visibility = Visibility.PUBLIC
        if parent.pk != found.pk:
            visibility = Visibility(parent.visibility)
        try:
            note = post_actions.publish_note(
                viewer,
                text=form.cleaned_data["text"],
                in_reply_to=parent,
                visibility=visibility,
            )
        except ValidationError as e:
            form.add_error("text", e)
        else:
            return HttpResponseRedirect(f"{story_url(found)}#post-{note.id}")
    return story_page(request, viewer, found, comment_form=form, status=400)


# --- moderators ----------------------------------------------------------------


@require_POST
@login_required
def post_hold(request: HttpRequest, post_id: int) -> HttpResponse:
    """A moderator holds a story for review, with a public reason."""
    return _moderate(request, post_id, news_actions.hold_story, "Held for review.")


@require_POST
@login_required
def delete_hold(request: HttpRequest, post_id: int) -> HttpResponse:
    """A moderator releases a held story, with a public reason."""
    return _moderate(request, post_id, news_actions.release_story, "Released.")


def _moderate(
    request: HttpRequest,
    post_id: int,
    act: Callable[..., None],
    done: str,
) -> HttpResponse:
    viewer = signed_in(request)
    if not is_moderator(viewer):
        raise PermissionDenied("Only moderators can do that.")
    refused = _run(
        request,
        ModerationForm(request.POST),
        lambda data: act(viewer, story=post_id, **data),
    )
    if refused is not None:
        return refused
    messages.success(request, f"{done} The moderation log says why.")
    return HttpResponseRedirect(safe_next(request, story_url(post_id)))
