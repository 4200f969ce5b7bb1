"""Server-rendered pages. Views parse input, call actions and queries, and
render; htmx requests get the partial template for the piece that changed."""

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from hubbub.accounts import actions as account_actions
from hubbub.accounts import queries as account_queries
from hubbub.accounts.models import Account
from hubbub.core.text import count_characters
from hubbub.posts import actions as post_actions
from hubbub.posts.queries import get_post
from hubbub.timelines import queries as timelines
from hubbub.timelines.store import PageBounds
from hubbub.web.forms import NoteForm, ProfileForm, SignupForm


class BadCursorError(ValueError):
    pass


def _bounds(request: HttpRequest) -> PageBounds:
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


def _timeline_page(
    request: HttpRequest,
    template: str,
    load: "timelines.PageLoader",
    context: dict[str, object],
    status: int = 200,
) -> HttpResponse:
    try:
        bounds = _bounds(request)
    except BadCursorError as e:
        return HttpResponseBadRequest(f"{e} must be a post id.")
    posts = load(bounds)
    paged = bounds.max_id is not None or bounds.min_id is not None
    context.update(
        # Only the newest page grows live; an older page would jump.
        live_stream=None if paged else _live_stream(context.pop("stream", None)),
        posts=posts,
        older_id=posts[-1].id if len(posts) == bounds.limit else None,
        newer_id=posts[0].id if posts and paged else None,
    )
    return render(request, template, context, status=status)


def _live_stream(stream: object) -> str | None:
    """Return the SSE address a timeline page listens on, if streaming runs."""
    base = settings.HUBBUB_STREAMING_URL
    if not stream or not base:
        return None
    # The instance API advertises ws(s)://; EventSource needs http(s)://.
    return f"http{base.removeprefix('ws')}/api/v1/streaming/{stream}"


def _viewer(request: HttpRequest) -> Account | None:
    user = request.user
    return user if isinstance(user, Account) else None


def _signed_in(request: HttpRequest) -> Account:
    """Return the signed-in account (views behind login_required)."""
    user = request.user
    if not isinstance(user, Account):
        raise PermissionDenied
    return user


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if viewer is None:
        return redirect("web:public")
    return _home_page(request, viewer, NoteForm())


def _home_page(
    request: HttpRequest, viewer: Account, form: NoteForm, status: int = 200
) -> HttpResponse:
    return _timeline_page(
        request,
        "web/home.html",
        lambda bounds: timelines.home_timeline(viewer, bounds),
        {
            "form": form,
            "draft_used": _draft_length(form),
            "timeline_url": reverse("web:home"),
            "stream": "user",
        },
        status=status,
    )


def _draft_length(form: NoteForm) -> int:
    if not form.is_bound:
        return 0
    return _count_draft(form.data.get("text", ""))


def _count_draft(text: str) -> int:
    # Bounded, so a huge paste cannot make counting expensive.
    text = text[: settings.HUBBUB_MAX_CODE_POINTS * 4]
    return count_characters(text.replace("\r\n", "\n").strip())


@require_GET
def public(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    return _timeline_page(
        request,
        "web/public.html",
        lambda bounds: timelines.public_timeline(viewer, bounds),
        {
            "form": NoteForm(),
            "timeline_url": reverse("web:public"),
            "stream": "public",
        },
    )


def signup(request: HttpRequest) -> HttpResponse:
    if _viewer(request) is not None:
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
    account = _signed_in(request)
    initial = {"display_name": account.display_name, "bio": account.bio}
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
            return redirect("web:profile", account.username)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/edit_profile.html", {"form": form}, status=status)


@require_POST
@login_required
def post_note(request: HttpRequest) -> HttpResponse:
    viewer = _signed_in(request)
    form = NoteForm(request.POST)
    note = None
    if form.is_valid():
        try:
            note = post_actions.publish_note(viewer, text=form.cleaned_data["text"])
        except ValidationError as e:
            form.add_error("text", e)
    if request.headers.get("HX-Request"):
        context = {
            "form": NoteForm() if note else form,
            "new_post": note,
            "draft_used": 0 if note else _draft_length(form),
        }
        return render(
            request, "web/partials/compose.html", context, status=201 if note else 422
        )
    if note is not None:
        return HttpResponseRedirect(_safe_next(request, reverse("web:home")))
    return _home_page(request, viewer, form, status=400)


@require_POST
def post_compose_count(request: HttpRequest) -> HttpResponse:
    """Count the draft with the server's own rule (the live counter)."""
    return render(
        request,
        "web/partials/char_count.html",
        {"used": _count_draft(request.POST.get("text", ""))},
    )


@require_GET
def profile(request: HttpRequest, username: str) -> HttpResponse:
    viewer = _viewer(request)
    account = account_queries.get_account(username)
    return _timeline_page(
        request,
        "web/profile.html",
        lambda bounds: timelines.profile_timeline(viewer, account, bounds),
        {
            "account": account,
            "follows": account_queries.is_following(viewer, account),
            "timeline_url": reverse("web:profile", args=[account.username]),
        },
    )


@require_GET
def note(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    post = get_post(_viewer(request), post_id)
    if post.author.username != username:
        return redirect("web:note", post.author.username, post.id, permanent=True)
    return render(request, "web/note.html", {"post": post})


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


def _follow_response(
    request: HttpRequest, account: Account, *, status: int = 200, error: str = ""
) -> HttpResponse:
    viewer = _viewer(request)
    account.refresh_from_db(fields=["followers_count", "following_count"])
    if request.headers.get("HX-Request"):
        return render(
            request,
            "web/partials/follow_button.html",
            {
                "account": account,
                "follows": account_queries.is_following(viewer, account),
                "error": error,
            },
            status=status,
        )
    if error:
        return render(request, "web/error.html", {"message": error}, status=status)
    return HttpResponseRedirect(
        _safe_next(request, reverse("web:profile", args=[account.username]))
    )


@require_POST
@login_required
def put_follow(request: HttpRequest, username: str) -> HttpResponse:
    viewer = _signed_in(request)
    account = get_object_or_404(Account, username__iexact=username, is_active=True)
    try:
        account_actions.follow_account(viewer, followee=account)
    except ValidationError as e:
        return _follow_response(request, account, status=400, error=e.messages[0])
    return _follow_response(request, account)


@require_POST
@login_required
def delete_follow(request: HttpRequest, username: str) -> HttpResponse:
    viewer = _signed_in(request)
    account = get_object_or_404(Account, username__iexact=username, is_active=True)
    account_actions.unfollow_account(viewer, followee=account)
    return _follow_response(request, account)
