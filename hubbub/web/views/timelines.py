"""Timeline pages: home and public."""

from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from hubbub.accounts.models import Account
from hubbub.timelines import queries as timelines
from hubbub.web.forms import NoteForm
from hubbub.web.views.common import (
    draft_length,
    timeline_page,
    viewer_of,
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    if viewer is None:
        return redirect("web:public")
    return home_page(request, viewer, NoteForm())


def home_page(
    request: HttpRequest, viewer: Account, form: NoteForm, status: int = 200
) -> HttpResponse:
    return timeline_page(
        request,
        "web/home.html",
        lambda bounds: timelines.home_timeline(viewer, bounds),
        {
            "form": form,
            "draft_used": draft_length(form),
            "timeline_url": reverse("web:home"),
        },
        status=status,
    )


@require_GET
def public(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    return timeline_page(
        request,
        "web/public.html",
        lambda bounds: timelines.public_timeline(viewer, bounds),
        {"form": NoteForm(), "timeline_url": reverse("web:public")},
    )
