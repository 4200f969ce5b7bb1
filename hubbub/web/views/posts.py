"""Post pages: composing, the live counter, permalinks."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from hubbub.posts import actions as post_actions
from hubbub.posts.queries import get_post
from hubbub.web.forms import NoteForm
from hubbub.web.views.common import (
    count_draft,
    draft_length,
    safe_next,
    signed_in,
    viewer_of,
)
from hubbub.web.views.timelines import home_page


@require_POST
@login_required
def post_note(request: HttpRequest) -> HttpResponse:
    viewer = signed_in(request)
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
            "draft_used": 0 if note else draft_length(form),
        }
        return render(
            request, "web/partials/compose.html", context, status=201 if note else 422
        )
    if note is not None:
        return HttpResponseRedirect(safe_next(request, reverse("web:home")))
    return home_page(request, viewer, form, status=400)


@require_POST
def post_compose_count(request: HttpRequest) -> HttpResponse:
    """Count the draft with the server's own rule (the live counter)."""
    return render(
        request,
        "web/partials/char_count.html",
        {"used": count_draft(request.POST.get("text", ""))},
    )


@require_GET
def note(request: HttpRequest, username: str, post_id: int) -> HttpResponse:
    post = get_post(viewer_of(request), post_id)
    if post.author.username != username:
        return redirect("web:note", post.author.username, post.id, permanent=True)
    return render(request, "web/note.html", {"post": post})
