"""Moderation pages: reporting, the moderators' queue, the public log."""

from dataclasses import replace

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from hubbub.accounts import queries as account_queries
from hubbub.accounts.models import Account
from hubbub.moderation import actions as moderation_actions
from hubbub.moderation import queries as moderation_queries
from hubbub.moderation.models import Report
from hubbub.posts.models import Post
from hubbub.posts.queries import get_post
from hubbub.timelines.queries import page_of
from hubbub.web.forms import ModerationForm, ReportForm
from hubbub.web.views.common import BadCursorError, page_bounds, signed_in, viewer_of

LOG_PAGE_SIZE = 50


def _report_page(
    request: HttpRequest,
    reporter: Account,
    *,
    account: Account,
    post: Post | None,
) -> HttpResponse:
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if post is not None:
                moderation_actions.report_post(reporter, post=post, **form.cleaned_data)
            else:
                moderation_actions.report_account(
                    reporter, account=account, **form.cleaned_data
                )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            return render(
                request, "web/report_sent.html", {"account": account, "post": post}
            )
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "account": account, "post": post}
    return render(request, "web/report.html", context, status=status)


def report_post(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    """Ask for and send a report about a post the viewer can see.

    Anyone who can see the post gets the page (a visitor is asked to log
    in); anyone else gets a 404, as for the post itself.
    """
    viewer = viewer_of(request)
    post = get_post(viewer, post_id)
    post = post.reblog_of or post
    if post.author.username != username:
        return redirect("web:report_note", post.author.username, post.id)
    if viewer is None:
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        return render(
            request,
            "web/report.html",
            {"form": None, "account": post.author, "post": post},
        )
    return _report_page(request, viewer, account=post.author, post=post)


@login_required
def report_account(request: HttpRequest, username: str) -> HttpResponse:
    """Ask for and send a report about an account."""
    viewer = signed_in(request)
    account = account_queries.get_account(username)
    return _report_page(request, viewer, account=account, post=None)


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """List the open reports, each with its actions (moderators only)."""
    reports = moderation_queries.report_queue(viewer_of(request))
    return render(
        request,
        "web/moderation_queue.html",
        {
            "items": [
                (report, ModerationForm(prefix=str(report.pk))) for report in reports
            ]
        },
    )


@require_POST
def act(request: HttpRequest, report_id: int) -> HttpResponse:
    """Do what a moderator chose for one report, then back to the queue."""
    moderator = viewer_of(request)
    report: Report = moderation_queries.get_open_report(moderator, report_id)
    assert moderator is not None  # noqa: S101 (get_open_report checked)
    form = ModerationForm(request.POST, prefix=str(report.pk))
    if form.is_valid():
        try:
            moderation_actions.act_on_report(
                moderator,
                report=report,
                action=form.cleaned_data["action"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            return redirect(reverse("web:moderation_queue"))
    return render(
        request,
        "web/moderation_queue.html",
        {"items": [(report, form)]},
        status=400,
    )


@require_GET
def log(request: HttpRequest) -> HttpResponse:
    """Show the public moderation log: every action, with its reason."""
    try:
        bounds = page_bounds(request)
    except BadCursorError as e:
        return HttpResponseBadRequest(f"{e} must be an id.")
    bounds = replace(bounds, limit=LOG_PAGE_SIZE)
    entries = page_of(moderation_queries.moderation_log(), bounds)
    older = entries[-1].id if len(entries) == LOG_PAGE_SIZE else None
    return render(
        request, "web/moderation_log.html", {"entries": entries, "older_id": older}
    )
