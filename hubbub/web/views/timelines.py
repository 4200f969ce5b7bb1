"""Timeline pages: home, public and tags."""

from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from hubbub.accounts.models import Account
from hubbub.posts.queries import get_tag, tag_posts
from hubbub.timelines import queries as timelines
from hubbub.web.compose import ComposeForm
from hubbub.web.fragments import render_home_page
from hubbub.web.views.common import (
    Renderer,
    draft_length,
    timeline_page,
    viewer_of,
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    if viewer is None:
        return redirect("web:public")
    # No form: the kept page's composer is empty, and a form is built only
    # if the page has to be rendered.
    return home_page(request, viewer, None, renderer=render_home_page)


def home_page(
    request: HttpRequest,
    viewer: Account,
    form: ComposeForm | None,
    status: int = 200,
    renderer: Renderer | None = None,
) -> HttpResponse:
    """Render the home page with ``form`` in its composer (None: an empty
    one, which only ``render_home_page`` fills in)."""
    return timeline_page(
        request,
        "web/home.html",
        lambda bounds: timelines.home_timeline_rows(viewer, bounds, brief_authors=True),
        {
            "form": form,
            "draft_used": draft_length(form) if form else 0,
            "timeline_url": reverse("web:home"),
            "stream": "user",
        },
        status=status,
        renderer=renderer,
    )


@require_GET
def public(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    return timeline_page(
        request,
        "web/public.html",
        lambda bounds: timelines.public_timeline(viewer, bounds),
        {
            "form": ComposeForm(),
            "timeline_url": reverse("web:public"),
            "stream": "public",
        },
    )


@require_GET
def tag(request: HttpRequest, name: str) -> HttpResponse:
    """Show the public notes with a hashtag, newest first."""
    viewer = viewer_of(request)
    found = get_tag(name)
    display = found.display if found else name.removeprefix("#")
    return timeline_page(
        request,
        "web/tag.html",
        lambda bounds: timelines.page_of(tag_posts(viewer, name), bounds),
        {
            "tag": display,
            "timeline_url": reverse("web:tag", args=[name]),
            "empty_message": f"No public notes tagged #{display} yet.",
        },
    )
