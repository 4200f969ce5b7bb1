"""Account pages: sign-up, log-in, profiles, settings, follows."""

from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from hubbub.accounts import actions as account_actions
from hubbub.accounts import queries as account_queries
from hubbub.accounts.models import Account
from hubbub.accounts.signal import stored_signal
from hubbub.timelines import queries as timelines
from hubbub.web.forms import ProfileForm, PromotionalPostsForm, ReadingForm, SignupForm
from hubbub.web.views.common import (
    safe_next,
    signed_in,
    timeline_page,
    viewer_of,
)


def signup(request: HttpRequest) -> HttpResponse:
    if viewer_of(request) is not None:
        return redirect("web:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = account_actions.sign_up(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                display_name=form.cleaned_data["display_name"],
            )
        except ValidationError as e:
            form.add_error("password" if _is_password_error(e) else "username", e)
        else:
            auth.login(request, account)
            return redirect("web:home")
    status = 400 if request.method == "POST" else 200
    return render(request, "web/signup.html", {"form": form}, status=status)


def _is_password_error(error: ValidationError) -> bool:
    return any((e.code or "").startswith("password") for e in error.error_list)


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):  # type: ignore[no-untyped-def]
        return self.render_to_response(self.get_context_data(form=form), status=400)


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def edit_profile(request: HttpRequest) -> HttpResponse:
    account = signed_in(request)
    initial = {
        "display_name": account.display_name,
        "bio": account.bio,
        "locked": account.locked,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            account_actions.update_profile(
                account,
                display_name=form.cleaned_data["display_name"],
                bio=form.cleaned_data["bio"],
            )
        except ValidationError as e:
            form.add_error(None, e)
        else:
            if form.cleaned_data["locked"] != account.locked:
                account_actions.set_locked(account, locked=form.cleaned_data["locked"])
            return redirect("web:profile", account.username)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/edit_profile.html", {"form": form}, status=status)


@login_required
def promotions(request: HttpRequest) -> HttpResponse:
    account = signed_in(request)
    form = PromotionalPostsForm(
        request.POST or None, initial={"promotional_posts": account.promotional_posts}
    )
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            account_actions.set_promotional_posts(
                account, choice=form.cleaned_data["promotional_posts"]
            )
        except ValidationError as e:
            form.add_error("promotional_posts", e)
        else:
            saved = True
            form = PromotionalPostsForm(
                initial={"promotional_posts": account.promotional_posts}
            )
    status = 400 if request.method == "POST" and not saved else 200
    return render(
        request, "web/promotions.html", {"form": form, "saved": saved}, status=status
    )


@require_GET
def profile(request: HttpRequest, username: str) -> HttpResponse:
    viewer = viewer_of(request)
    account = account_queries.get_account(username)
    return timeline_page(
        request,
        "web/profile.html",
        lambda bounds: timelines.profile_timeline(viewer, account, bounds),
        {
            "account": account,
            "signal": stored_signal(account),
            "rel": account_queries.relationship(viewer, account),
            "timeline_url": reverse("web:profile", args=[account.username]),
        },
    )


def _follow_list(request: HttpRequest, username: str, which: str) -> HttpResponse:
    account = account_queries.get_account(username)
    people = account_queries.follow_list(account, which=which)
    return render(
        request,
        "web/follow_list.html",
        {"account": account, "people": people, "which": which},
    )


@require_GET
def followers(request: HttpRequest, username: str) -> HttpResponse:
    return _follow_list(request, username, "followers")


@require_GET
def following(request: HttpRequest, username: str) -> HttpResponse:
    return _follow_list(request, username, "following")


def follow_response(
    request: HttpRequest, account: Account, *, status: int = 200, error: str = ""
) -> HttpResponse:
    """Answer a follow, block or mute form: its partial, or back to ``next``."""
    viewer = viewer_of(request)
    account.refresh_from_db(fields=["followers_count", "following_count"])
    if request.headers.get("HX-Request"):
        return render(
            request,
            "web/partials/follow_button.html",
            {
                "account": account,
                "rel": account_queries.relationship(viewer, account),
                "error": error,
            },
            status=status,
        )
    if error:
        return render(request, "web/error.html", {"message": error}, status=status)
    return HttpResponseRedirect(
        safe_next(request, reverse("web:profile", args=[account.username]))
    )


@require_POST
@login_required
def put_follow(request: HttpRequest, username: str) -> HttpResponse:
    viewer = signed_in(request)
    account = get_object_or_404(Account, username__iexact=username, is_active=True)
    try:
        account_actions.follow_account(viewer, followee=account)
    except ValidationError as e:
        return follow_response(request, account, status=400, error=e.messages[0])
    return follow_response(request, account)


@require_POST
@login_required
def delete_follow(request: HttpRequest, username: str) -> HttpResponse:
    viewer = signed_in(request)
    account = get_object_or_404(Account, username__iexact=username, is_active=True)
    account_actions.unfollow_account(viewer, followee=account)
    return follow_response(request, account)


@login_required
def edit_reading(request: HttpRequest) -> HttpResponse:
    """Choose what reaches the home timeline: quiet broadcasters or not."""
    account = signed_in(request)
    form = ReadingForm(
        request.POST or None,
        initial={"quiet_broadcasters": account.quiet_broadcasters},
    )
    if request.method == "POST" and form.is_valid():
        account_actions.set_quiet_broadcasters(
            account, quiet=form.cleaned_data["quiet_broadcasters"]
        )
        return redirect("web:home")
    status = 400 if request.method == "POST" else 200
    return render(request, "web/edit_reading.html", {"form": form}, status=status)
