"""The visibility matrix for the client API: every endpoint, every viewer.

The same world and the same rule as the web pages' matrix
(``tests/web/test_visibility_matrix.py``: ava's notes of each visibility,
replies, and a follower, a mentioned account, a stranger, a former
follower, a blocked account and an anonymous caller), asked through the
API with each viewer's own token.

The endpoints come from the ninja routers, not from a list typed here:
each operation must be classified below, and one that is not fails the
suite, as does an operation on ``/api/v1/statuses/{id}`` that is not a
status read or a status action. So a new endpoint cannot escape the matrix.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from hubbub.notifications.models import Notification
from hubbub.posts.models import Favourite, Post
from tests.api.conftest import ApiClient, make_token
from tests.visibility_world import (
    ANONYMOUS,
    AUTHOR,
    BLOCKED,
    FORMER,
    STRANGER,
    TAG,
    VIEWERS,
    Note,
    World,
    in_home,
    may_see,
    notified,
    public_only,
)

pytestmark = pytest.mark.django_db

STATUS = "/api/v1/statuses/{id}"


def _operations() -> set[tuple[str, str]]:
    """Every (method, path) the ninja routers serve."""
    from hubbub.api.urls import api

    found = set()
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    found.add((method, prefix + path))
    return found


# --- how each viewer calls ------------------------------------------------------


@dataclass
class Callers:
    world: World
    clients: dict[str, ApiClient]

    def __call__(self, viewer: str) -> ApiClient:
        return self.clients[viewer]


@pytest.fixture
def callers(world) -> Callers:
    clients = {ANONYMOUS: ApiClient()}
    for viewer in VIEWERS:
        if viewer != ANONYMOUS:
            token = make_token(world.accounts[viewer], "read write follow")
            clients[viewer] = ApiClient(token)
    return Callers(world, clients)


def _markers(body: str, world: World) -> set[str]:
    return {
        note.key
        for note in world.notes.values()
        if re.search(rf"\b{note.marker}\b", body)
    }


def _leaks(viewer: str, what: str, body: str, world: World) -> list[str]:
    return [f"{viewer} {what}: {key} LEAKED" for key in sorted(_markers(body, world))]


def _compare(
    viewer: str, what: str, body: str, world: World, expected: set[str]
) -> list[str]:
    shown = _markers(body, world)
    return [f"{viewer} {what}: {key} LEAKED" for key in sorted(shown - expected)] + [
        f"{viewer} {what}: {key} missing" for key in sorted(expected - shown)
    ]


# --- reads of one status by id ------------------------------------------------------

# A read gets the world, the caller, the viewer and one note; it returns
# problems. Each says what the viewer should get for that note.
StatusRead = Callable[[Callers, str, Note], list[str]]


def _status_read(
    suffix: str, shown: Callable[[World, str, Note], set[str]]
) -> StatusRead:
    """A status read: 200 showing ``shown`` for those who may see the note,
    404 showing nothing (never 403) for everyone else."""

    def check(callers: Callers, viewer: str, note: Note) -> list[str]:
        url = f"/api/v1/statuses/{note.post.id}{suffix}"
        response = callers(viewer).get(url)
        body = response.content.decode()
        what = f"GET {url} ({note.key})"
        if not may_see(viewer, note):
            problems = _leaks(viewer, what, body, callers.world)
            if response.status_code != 404:
                problems.append(f"{viewer} {what}: {response.status_code}, not 404")
            return problems
        if response.status_code != 200:
            return [f"{viewer} {what}: {response.status_code}, not 200"]
        expected = shown(callers.world, viewer, note)
        return _compare(viewer, what, body, callers.world, expected)

    return check


def _itself(world: World, viewer: str, note: Note) -> set[str]:
    return {note.key}


def _thread(world: World, viewer: str, note: Note) -> set[str]:
    # Context lists the notes above and below, not the note itself.
    thread = set(world.thread_of(note.key)) - {note.key}
    return {k for k in thread if may_see(viewer, world.notes[k])}


def _nothing(world: World, viewer: str, note: Note) -> set[str]:
    return set()


def _source(callers: Callers, viewer: str, note: Note) -> list[str]:
    """Only the author gets a status's source; anyone else a 404 (401
    without a token), even for a note they may read."""
    url = f"/api/v1/statuses/{note.post.id}/source"
    response = callers(viewer).get(url)
    body = response.content.decode()
    what = f"GET {url} ({note.key})"
    if viewer == AUTHOR:
        if response.status_code != 200:
            return [f"{viewer} {what}: {response.status_code}"]
        return _compare(viewer, what, body, callers.world, {note.key})
    wanted = 401 if viewer == ANONYMOUS else 404
    problems = _leaks(viewer, what, body, callers.world)
    if response.status_code != wanted:
        problems.append(f"{viewer} {what}: {response.status_code}, not {wanted}")
    return problems


STATUS_READS: dict[tuple[str, str], StatusRead] = {
    ("GET", STATUS): _status_read("", _itself),
    ("GET", STATUS + "/context"): _status_read("/context", _thread),
    ("GET", STATUS + "/favourited_by"): _status_read("/favourited_by", _nothing),
    ("GET", STATUS + "/reblogged_by"): _status_read("/reblogged_by", _nothing),
    ("GET", STATUS + "/source"): _source,
}

# --- actions on one status by id ------------------------------------------------

# (method, path) -> the URL suffix and body of the call. Each must answer
# 404 for a note the caller may not see (401 without a token) and change
# nothing; a visible note may be acted on or refused, but never 404.
STATUS_ACTIONS: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    ("POST", STATUS + f"/{verb}"): (f"/{verb}", {})
    for verb in (
        "favourite",
        "unfavourite",
        "reblog",
        "unreblog",
        "bookmark",
        "unbookmark",
        "pin",
        "unpin",
    )
}
STATUS_ACTIONS[("DELETE", STATUS)] = ("", {})
# Replying acts on the parent: POST /api/v1/statuses with in_reply_to_id.
REPLY = ("POST", "/api/v1/statuses")
STATUS_ACTIONS[REPLY] = ("", {"status": "a reply"})


def _act(client: ApiClient, method: str, path: str, note: Note):
    suffix, body = STATUS_ACTIONS[(method, path)]
    if (method, path) == REPLY:
        body = {**body, "in_reply_to_id": str(note.post.id)}
        return client.post("/api/v1/statuses", body), "POST /api/v1/statuses reply"
    url = f"/api/v1/statuses/{note.post.id}{suffix}"
    return client.generic(method, url, ""), f"{method} {url}"


# --- listings ------------------------------------------------------------------

# (method, path) -> (the URL to call, which notes it lists for a viewer,
# the status an anonymous caller gets).
Listing = tuple[str, Callable[[str, Note], bool], int]


def _none(viewer: str, note: Note) -> bool:
    return False


LISTINGS: dict[tuple[str, str], Listing] = {
    ("GET", "/api/v1/timelines/home"): (
        "/api/v1/timelines/home?limit=40",
        in_home,
        401,
    ),
    ("GET", "/api/v1/timelines/public"): (
        "/api/v1/timelines/public?limit=40",
        public_only,
        200,
    ),
    ("GET", "/api/v1/timelines/tag/{hashtag}"): (
        f"/api/v1/timelines/tag/{TAG}?limit=40",
        public_only,
        200,
    ),
    ("GET", "/api/v1/accounts/{id}/statuses"): (
        "/api/v1/accounts/{ava}/statuses?limit=40",
        may_see,
        200,
    ),
    ("GET", "/api/v2/search"): (
        "/api/v2/search?q=matrix&type=statuses&limit=40",
        may_see,
        200,
    ),
    # Several statuses by id: every note is asked for at once.
    ("GET", "/api/v1/statuses"): ("/api/v1/statuses?{every_note}", may_see, 200),
    ("GET", "/api/v1/notifications"): (
        "/api/v1/notifications?limit=80",
        notified,
        401,
    ),
    # Nobody has favourited anything yet; the actions test fills it.
    ("GET", "/api/v1/favourites"): ("/api/v1/favourites?limit=40", _none, 401),
}

# Operations that show no post, and why; each GET among them is called by
# every viewer and checked that no note shows, each write by every viewer
# on ava and checked the same.
NO_POSTS: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/apps"): "registers a client",
    ("GET", "/api/v1/apps/verify_credentials"): "the calling app",
    ("GET", "/api/v1/instance"): "the server",
    ("GET", "/api/v2/instance"): "the server",
    ("GET", "/api/v1/accounts/verify_credentials"): "the caller's account",
    ("GET", "/api/v1/accounts/lookup"): "an account",
    ("GET", "/api/v1/accounts/search"): "accounts",
    ("GET", "/api/v1/accounts/relationships"): "relationships",
    ("GET", "/api/v1/accounts/{id}"): "an account",
    ("GET", "/api/v1/accounts/{id}/followers"): "accounts",
    ("GET", "/api/v1/accounts/{id}/following"): "accounts",
    ("GET", "/api/v1/blocks"): "accounts",
    ("GET", "/api/v1/mutes"): "accounts",
    ("GET", "/api/v1/follow_requests"): "accounts",
    ("GET", "/api/v1/notifications/{id}"): "checked by id below",
    ("GET", "/api/v1/tags/{name}"): "a tag; its history counts public notes",
    ("GET", "/.well-known/oauth-authorization-server"): "OAuth metadata",
    **{
        ("POST", f"/api/v1/accounts/{{id}}/{verb}"): "a relationship"
        for verb in ("follow", "unfollow", "block", "unblock", "mute", "unmute")
    },
    ("POST", "/api/v1/follow_requests/{id}/authorize"): "a relationship",
    ("POST", "/api/v1/follow_requests/{id}/reject"): "a relationship",
    ("POST", "/api/v1/notifications/clear"): "empties the caller's notifications",
    ("POST", "/api/v1/notifications/{id}/dismiss"): "deletes one notification",
    ("POST", "/api/v1/tags/{name}/follow"): "refused: not built",
    ("POST", "/api/v1/tags/{name}/unfollow"): "a tag",
    ("POST", "/api/v1/reports"): "a report; statuses it names must be visible "
    "(tests/api/test_reports.py)",
    ("POST", "/api/v1/media"): "refused: not built",
    ("POST", "/api/v2/media"): "refused: not built",
    # An article by its own id (not a status id): a note is never one. An
    # article's own visibility is checked in tests/api/test_articles.py.
    ("POST", "/api/hubbub/v1/articles"): "writes a draft",
    ("GET", "/api/hubbub/v1/articles/{id}"): "an article",
    ("PUT", "/api/hubbub/v1/articles/{id}"): "the caller's article",
    ("POST", "/api/hubbub/v1/articles/{id}/publish"): "the caller's article",
    ("POST", "/api/hubbub/v1/articles/{id}/unpublish"): "the caller's article",
    # Social news shows stories, and this world has none: by a note's id
    # each answers 404. tests/api/test_news.py checks stories' visibility.
    **{
        (method, f"/api/hubbub/v1/{path}"): "stories only"
        for method, path in (
            ("POST", "stories"),
            ("GET", "stories/{id}"),
            ("GET", "stories/{id}/why"),
            ("POST", "stories/{id}/digg"),
            ("POST", "stories/{id}/undigg"),
            ("POST", "stories/{id}/bury"),
            ("POST", "stories/{id}/unbury"),
            ("GET", "upcoming"),
            ("GET", "front_page"),
            ("GET", "front_page/newest"),
        )
    },
    # OAuth authenticates the client, not a viewer; no post is involved.
    ("POST", "/oauth/token"): "issues tokens",
    ("POST", "/oauth/revoke"): "revokes tokens",
}


def _stub_operations() -> set[tuple[str, str]]:
    # The harmless stubs answer a constant ([] or {}): they show no post.
    from hubbub.api.mastodon import stubs

    return {("GET", path) for path, _scope, _answer, _summary in stubs.STUBS}


def _url(path: str, world: World) -> str:
    ava = str(world.accounts[AUTHOR].pk)
    query = {
        "/api/v1/accounts/lookup": "?acct=ava",
        "/api/v1/accounts/search": "?q=ava",
        "/api/v1/accounts/relationships": f"?id={ava}",
    }.get(path, "")
    every_note = "&".join(f"id[]={n.post.id}" for n in world.notes.values())
    filled = path.replace("{id}", ava).replace("{name}", TAG)
    filled = filled.replace("{every_note}", every_note)
    return filled.replace("{hashtag}", TAG).replace("{ava}", ava) + query


# --- the classification --------------------------------------------------------


def test_every_api_operation_is_in_the_matrix():
    classes = [
        set(STATUS_READS),
        set(STATUS_ACTIONS),
        set(LISTINGS),
        set(NO_POSTS) | _stub_operations(),
    ]
    operations = _operations()
    for operation in operations:
        homes = sum(operation in c for c in classes)
        assert homes == 1, f"{operation} is in {homes} classes of the matrix, not 1"
    stale = set().union(*classes) - operations
    assert not stale, f"the matrix classifies operations that are gone: {stale}"
    # Every operation on a status by id reads it or acts on it.
    for method, path in operations:
        if path.startswith(STATUS):
            assert (method, path) in STATUS_READS or (method, path) in STATUS_ACTIONS


def test_status_reads_show_each_note_exactly_to_whom_it_may(callers):
    problems = []
    for read in STATUS_READS.values():
        for viewer in VIEWERS:
            for note in callers.world.notes.values():
                problems += read(callers, viewer, note)
    assert not problems, "\n".join(problems)


def test_listings_show_each_note_exactly_to_whom_it_may(callers):
    world = callers.world
    problems = []
    for url, expect, anonymous_status in LISTINGS.values():
        url = _url(url, world)
        for viewer in VIEWERS:
            response = callers(viewer).get(url)
            wanted = anonymous_status if viewer == ANONYMOUS else 200
            if response.status_code != wanted:
                problems.append(f"{viewer} GET {url}: {response.status_code}")
            body = response.content.decode()
            if response.status_code != 200:
                problems += _leaks(viewer, f"GET {url}", body, world)
                continue
            shown = {k for k, note in world.notes.items() if expect(viewer, note)}
            problems += _compare(viewer, f"GET {url}", body, world, shown)
    assert not problems, "\n".join(problems)


def test_notifications_by_id_are_their_recipients_alone(callers):
    world = callers.world
    notes_by_post = {note.post.id: note for note in world.notes.values()}
    names = {account.pk: role for role, account in world.accounts.items()}
    problems = []
    notifications = list(Notification.objects.all())
    assert notifications
    for notification in notifications:
        url = f"/api/v1/notifications/{notification.id}"
        note = notes_by_post.get(notification.post_id)
        for viewer in VIEWERS:
            response = callers(viewer).get(url)
            mine = names.get(notification.recipient_id) == viewer
            allowed = mine and (note is None or may_see(viewer, note))
            wanted = 200 if allowed else (401 if viewer == ANONYMOUS else 404)
            if response.status_code != wanted:
                problems.append(f"{viewer} GET {url}: {response.status_code}")
            expected = {note.key} if allowed and note else set()
            problems += _compare(
                viewer, f"GET {url}", response.content.decode(), world, expected
            )
    assert not problems, "\n".join(problems)


def test_operations_without_posts_show_none(callers):
    world = callers.world
    problems = []
    for method, path in sorted(set(NO_POSTS) | _stub_operations()):
        url = _url(path, world)
        for viewer in VIEWERS:
            response = callers(viewer).generic(method, url, "")
            if response.status_code >= 500:
                problems.append(f"{viewer} {method} {url}: {response.status_code}")
            problems += _leaks(
                viewer, f"{method} {url}", response.content.decode(), world
            )
    assert not problems, "\n".join(problems)


def test_actions_on_an_unseen_status_404_and_change_nothing(callers):
    """Favouriting, boosting, bookmarking, pinning, deleting or replying to
    a note one may not see is a 404 (401 without a token), and changes
    nothing (B-76, B-88)."""
    world = callers.world
    posts_before = Post.objects.count()
    problems = []
    for viewer in (STRANGER, FORMER, BLOCKED, ANONYMOUS):
        client = callers(viewer)
        for note in world.notes.values():
            if may_see(viewer, note):
                continue
            for method, path in STATUS_ACTIONS:
                response, what = _act(client, method, path, note)
                wanted = 401 if viewer == ANONYMOUS else 404
                if response.status_code != wanted:
                    problems.append(
                        f"{viewer} {what} ({note.key}): {response.status_code}"
                    )
                problems += _leaks(viewer, what, response.content.decode(), world)
    assert not problems, "\n".join(problems)
    assert not Favourite.objects.exists()
    assert Post.objects.count() == posts_before
    assert not Post.objects.filter(deleted_at__isnull=False).exists()


def test_actions_on_a_seen_status_are_never_404(callers):
    """The other side of the rule: what a viewer may see, they may act on
    (or be refused for a reason, never told it is not there); and their
    favourites then list exactly what they may see."""
    world = callers.world
    problems = []
    # Deleting is the author's alone (anyone else gets a 404, as Mastodon
    # answers); the unseen-status test covers it, and here it would take
    # notes away from the favourites listed below.
    deletions = {("DELETE", STATUS)}
    for viewer in VIEWERS:
        if viewer == ANONYMOUS:
            continue
        client = callers(viewer)
        # One note of each visibility is enough on this side (the unseen
        # side above tries them all).
        for note in world.notes.values():
            if note.parent is not None or not may_see(viewer, note):
                continue
            for method, path in sorted(set(STATUS_ACTIONS) - deletions):
                if path.endswith("/unfavourite"):
                    continue  # keeps the favourite, for the listing below
                response, what = _act(client, method, path, note)
                if response.status_code == 404 or response.status_code >= 500:
                    problems.append(
                        f"{viewer} {what} ({note.key}): {response.status_code}"
                    )
        favourites = client.get("/api/v1/favourites?limit=40").content.decode()
        expected = {
            k
            for k, note in world.notes.items()
            if note.parent is None and may_see(viewer, note)
        }
        problems += _compare(
            viewer, "GET /api/v1/favourites", favourites, world, expected
        )
    assert not problems, "\n".join(problems)
