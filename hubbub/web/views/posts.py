"""Post pages: composing and replying, the live counter, a note in its thread."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

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

from hubbub.accounts.models import Account
from hubbub.posts import actions as post_actions
from hubbub.posts.models import Kind, Post
from hubbub.posts.queries import conversation, get_post, reply_handles
from hubbub.web.compose import ComposeForm, as_reply, reply_form
from hubbub.web.views.common import (
    count_draft,
    draft_length,
    safe_next,
    signed_in,
    viewer_of,
)
from hubbub.web.views.timelines import home_page

# Replies nest this deep on a page; below that a "Show more replies" link
# opens the deepest shown note's own page, where they continue.
THREAD_DEPTH = 6
# A page shows the root and this many of the nearest ancestors; the notes
# between are one link (a chain can be hundreds long: B-71).
ANCESTORS_SHOWN = 6


class Node(Protocol):
    """A place in a thread: a note's ``ThreadNode``, or a story's comment."""

    @property
    def id(self) -> int: ...
    @property
    def post(self) -> Post | None: ...
    @property
    def depth(self) -> int: ...
    @property
    def replies(self) -> int: ...


@dataclass(frozen=True, slots=True)
class ThreadItem:
    """One reply as the page lists it, in nested lists."""

    node: Node
    # Its replies follow, in a list nested inside its item.
    opens: bool
    # How many nested lists end after it.
    closes: range
    # Replies too deep to show hang below it: the note whose page shows them.
    more: Post | None


def thread_items(
    nodes: Sequence[Node], *, max_depth: int = THREAD_DEPTH
) -> list[ThreadItem]:
    """Lay out a conversation's descendants as nested lists, iteratively.

    The template opens and closes the lists as each item says, so a thread
    of any depth renders without recursion.
    """
    shown = [
        (index, node) for index, node in enumerate(nodes) if node.depth <= max_depth
    ]
    items = []
    for position, (index, node) in enumerate(shown):
        following = shown[position + 1][1].depth if position + 1 < len(shown) else 1
        more = None
        if node.depth == max_depth and node.replies:
            more = node.post or _first_visible_below(nodes, index)
        items.append(
            ThreadItem(
                node=node,
                opens=following > node.depth,
                closes=range(max(0, node.depth - following)),
                more=more,
            )
        )
    return items


def _first_visible_below(nodes: Sequence[Node], index: int) -> Post | None:
    # A deleted note's page is gone; its first visible reply's page is not.
    depth = nodes[index].depth
    for node in nodes[index + 1 :]:
        if node.depth <= depth:
            break
        if node.post is not None:
            return node.post
    return None


def note_url(post: Post) -> str:
    return reverse("web:note", args=[post.author.username, post.id])


@require_POST
@login_required
def post_note(request: HttpRequest) -> HttpResponse:
    viewer = signed_in(request)
    form = ComposeForm(request.POST)
    note = None
    if form.is_valid():
        try:
            note = post_actions.publish_note(
                viewer,
                text=form.cleaned_data["text"],
                visibility=form.cleaned_data["visibility"],
                in_reply_to=form.cleaned_data["in_reply_to"],
                promotional=form.cleaned_data["promotional"],
            )
        except ValidationError as e:
            if getattr(e, "code", None) == "unavailable":
                return _unavailable(request, form)
            form.add_error("text", e)
    elif form.has_error("in_reply_to"):
        return _unavailable(request, form)
    reply_id = form.cleaned_data.get("in_reply_to")
    if reply_id is not None:
        return _reply_response(request, viewer, form, note, reply_id)
    if request.headers.get("HX-Request"):
        context = {
            "form": ComposeForm() if note else form,
            "new_post": note,
            "draft_used": 0 if note else draft_length(form),
            "next_url": safe_next(request, reverse("web:home")),
        }
        return render(
            request, "web/partials/compose.html", context, status=201 if note else 422
        )
    if note is not None:
        return HttpResponseRedirect(safe_next(request, reverse("web:home")))
    return home_page(request, viewer, form, status=400)


def _reply_response(
    request: HttpRequest,
    viewer: Account,
    form: ComposeForm,
    note: Post | None,
    reply_id: int,
) -> HttpResponse:
    parent = note.in_reply_to if note else None
    if parent is None:
        parent = get_post(viewer, reply_id)
    if request.headers.get("HX-Request"):
        fresh = reply_form(parent, reply_handles(viewer, parent)) if note else None
        context = {
            "form": fresh or as_reply(form, parent),
            "reply_to": parent,
            "new_post": note,
            "draft_used": _draft_used(fresh or form),
            "next_url": safe_next(request, note_url(parent)),
        }
        return render(
            request, "web/partials/compose.html", context, status=201 if note else 422
        )
    if note is not None:
        return HttpResponseRedirect(
            f"{safe_next(request, note_url(parent))}#post-{note.id}"
        )
    return note_page(request, viewer, parent, form=as_reply(form, parent), status=400)


def _unavailable(request: HttpRequest, form: ComposeForm) -> HttpResponse:
    """Answer a reply to a note that is deleted or hidden from the replier.

    As for any post one may not see, this is a 404 (B-76). htmx gets the
    draft back as a plain note form with the reason, so nothing typed is
    lost.
    """
    message = post_actions.NOT_AVAILABLE
    if request.headers.get("HX-Request"):
        form.add_error(None, message)
        context = {
            "form": form,
            "draft_used": draft_length(form),
            "next_url": safe_next(request, reverse("web:home")),
        }
        return render(request, "web/partials/compose.html", context, status=404)
    return render(request, "web/error.html", {"message": message}, status=404)


def _draft_used(form: ComposeForm) -> int:
    if form.is_bound:
        return draft_length(form)
    return count_draft(str(form.initial.get("text", "")))


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
    viewer = viewer_of(request)
    post = get_post(viewer, post_id)
    if post.reblog_of is not None:
        # A boost has no page of its own: it shows its original.
        return redirect(note_url(post.reblog_of))
    if post.kind == Kind.ARTICLE:
        # The Mastodon API and timelines link an article's post here.
        return redirect("web:article_by_id", post.author.username, post.id)
    if post.kind == Kind.STORY:
        # A story's page is the news page, with its diggs and comments.
        return redirect("web:story", post.id)
    if post.author.username != username:
        return redirect("web:note", post.author.username, post.id, permanent=True)
    return note_page(request, viewer, post)


def note_page(
    request: HttpRequest,
    viewer: Account | None,
    post: Post,
    *,
    form: ComposeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render ``post`` in its conversation, with a reply form for a viewer."""
    thread = conversation(viewer, post)
    if viewer is not None and form is None:
        form = reply_form(thread.post, reply_handles(viewer, thread.post))
    ancestors, skipped = thread.ancestors, []
    if len(ancestors) > ANCESTORS_SHOWN + 1:
        skipped = ancestors[1:-ANCESTORS_SHOWN]
        ancestors = [ancestors[0], *ancestors[-ANCESTORS_SHOWN:]]
    context = {
        "post": thread.post,
        "ancestors": ancestors,
        "skipped": len(skipped),
        "skipped_from": next((n.post for n in skipped if n.post), None),
        "replies": thread_items(thread.descendants),
        "form": form,
        "reply_to": thread.post,
        "draft_used": _draft_used(form) if form is not None else 0,
        "next_url": note_url(thread.post),
    }
    return render(request, "web/note.html", context, status=status)
