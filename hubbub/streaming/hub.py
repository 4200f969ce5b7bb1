"""The streaming server's core: who is listening, and what each one gets.

One ``Hub`` per process reads the event bus and hands each connection the
messages meant for it, already rendered for that connection's user. The
database work runs on Django's one "sync" thread (``sync_to_async``), so
the ORM keeps one connection however many streams are open.
"""

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import import_module

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user
from django.db import close_old_connections
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from hubbub.accounts.models import Account, Follow
from hubbub.accounts.signal import stored_signal
from hubbub.api.auth import Credentials
from hubbub.api.mastodon.notifications import render_notification
from hubbub.api.scopes import covers
from hubbub.api.serializers import Serializer
from hubbub.core import events
from hubbub.core.text import tokenize
from hubbub.posts.models import Post, Visibility
from hubbub.posts.queries import visible_posts, with_authors, with_viewer_flags
from hubbub.timelines.store import get_store

logger = logging.getLogger(__name__)

# A stream as Mastodon's WebSocket frames name it: ("user",),
# ("public:local",), ("hashtag", "cats"), ...
type Stream = tuple[str, ...]
# What a connection sends: its stream, the event name and the data line.
type Message = tuple[Stream, str, str]
USER = "user"
NOTIFICATIONS = "user:notification"
HASHTAG_STREAMS = frozenset({"hashtag", "hashtag:local"})
PUBLIC_STREAMS = frozenset({"public", "public:local"})
STATUS_STREAMS = PUBLIC_STREAMS | HASHTAG_STREAMS | {USER}
# The scope each stream needs (Mastodon's; `read` covers both).
STREAM_SCOPES = {
    USER: "read:statuses",
    NOTIFICATIONS: "read:notifications",
    **dict.fromkeys(PUBLIC_STREAMS | HASHTAG_STREAMS, "read:statuses"),
}


class StreamError(Exception):
    """A stream cannot be opened: HTTP status and Mastodon's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def stream_for(name: str, tag: str | None, credentials: Credentials | None) -> Stream:
    """Return the stream ``name`` names, if ``credentials`` may open it.

    User streams need a user token; public and hashtag streams may be
    read anonymously, but a token must still carry the scope (S7: a
    scope checked on REST is checked here too).
    """
    if name not in STREAM_SCOPES:
        raise StreamError(404, "Unknown stream type")
    if name in HASHTAG_STREAMS:
        if not tag:
            raise StreamError(400, "Missing tag name parameter")
        stream: Stream = (name, tag.lstrip("#").lower())
    else:
        stream = (name,)
    if name in {USER, NOTIFICATIONS} and (
        credentials is None or credentials.account is None
    ):
        raise StreamError(401, "Error: Missing access token")
    if credentials is not None and not covers(credentials.scopes, STREAM_SCOPES[name]):
        raise StreamError(403, "This action is outside the authorized scopes")
    return stream


@dataclass(eq=False)
class Listener:
    """One open connection: its user and the streams it follows.

    ``streams`` is replaced, never changed in place, because the hub reads
    it from the ORM thread while the connection's loop may subscribe.
    A None on the queue tells the connection to close.
    """

    credentials: Credentials | None
    streams: frozenset[Stream] = frozenset()
    # Set for the web pages' streams, signed in by the session cookie.
    session_key: str | None = None
    queue: asyncio.Queue[Message | None] = field(default_factory=asyncio.Queue)

    @property
    def account(self) -> Account | None:
        return self.credentials.account if self.credentials else None


def hashtags(text: str) -> set[str]:
    """Return the lower-cased tags written in ``text``."""
    return {t.value.lstrip("#").lower() for t in tokenize(text) if t.kind == "tag"}


class Renderer:
    """Renders one post for each viewer at most once."""

    def __init__(self, post_id: int) -> None:
        self.post_id = post_id
        self.rendered: dict[int | None, str | None] = {}

    def __call__(self, viewer: Account | None) -> str | None:
        key = viewer.pk if viewer else None
        if key not in self.rendered:
            # visible_posts decides, as for every read: a stream never
            # shows its user more than the REST API would.
            posts = with_viewer_flags(with_authors(visible_posts(viewer)), viewer)
            post = posts.filter(id=self.post_id).first()
            self.rendered[key] = (
                None
                if post is None
                else orjson.dumps(
                    Serializer(settings.HUBBUB_SITE_URL, viewer).status(post)
                ).decode()
            )
        return self.rendered[key]


def warm_up() -> None:
    """Do the first render's one-time work (URL resolver, static storage,
    query compilation) at startup: done on the first event instead, it
    made that event about a second late."""
    Renderer(0)(None)  # compiles the visibility query
    now = timezone.now()
    someone = Account(id=0, username="warm", date_joined=now)
    sample = Post(id=0, author=someone, created_at=now, html="", text="")
    # What with_viewer_flags annotates on every post a stream renders.
    sample.favourited = sample.boosted = False  # type: ignore[attr-defined]
    for viewer in (None, someone):
        Serializer(settings.HUBBUB_SITE_URL, viewer).status(sample)


def _home_readers(post: Post, listeners: list[Listener]) -> set[int]:
    """Return which listening users have ``post`` in their home timeline."""
    wanted = {
        listener.account.pk
        for listener in listeners
        if listener.account and (USER,) in listener.streams
    }
    readers = get_store().readers_of(post.id, wanted)
    if post.author.followers_count > settings.HUBBUB_FANOUT_LIMIT:
        # Such authors are merged into timelines when read, not pushed.
        readers |= set(
            Follow.objects.filter(
                followee_id=post.author_id, follower_id__in=wanted
            ).values_list("follower_id", flat=True)
        )
    return readers


def _quieting_readers(post: Post, readers: set[int]) -> set[int]:
    """Return which of ``readers`` asked to quiet broadcasters and would
    have ``post`` left out of their home timeline for it, as
    ``timelines.queries.quiet_broadcasters`` leaves it out of a page. The
    setting is read now, so a change reaches open streams at once."""
    authors = [post.author] + ([post.reblog_of.author] if post.reblog_of else [])
    if not any(stored_signal(author).only_broadcasts for author in authors):
        return set()
    # A reader's own posts and boosts always stay.
    return set(
        Account.objects.filter(
            pk__in=readers - {post.author_id}, quiet_broadcasters=True
        ).values_list("pk", flat=True)
    )


def _post_created(
    post_id: int, listeners: list[Listener]
) -> list[tuple[Listener, Message]]:
    post = (
        Post.objects.select_related("author", "reblog_of__author")
        .filter(id=post_id)
        .first()
    )
    if post is None or post.deleted_at is not None:
        return []
    home = _home_readers(post, listeners)
    home -= _quieting_readers(post, home)
    # A silenced author's posts reach followers only (their home streams).
    public = (
        post.visibility == Visibility.PUBLIC
        and post.reblog_of_id is None
        and post.author.silenced_at is None
    )
    tags = hashtags(post.text) if public else set()
    render = Renderer(post_id)
    out = []
    for listener in listeners:
        account = listener.account
        for stream in listener.streams:
            wanted = (
                (stream[0] == USER and account is not None and account.pk in home)
                or (public and stream[0] in PUBLIC_STREAMS)
                or (public and stream[0] in HASHTAG_STREAMS and stream[1] in tags)
            )
            if wanted and (data := render(account)) is not None:
                out.append((listener, (stream, "update", data)))
    return out


def _post_deleted(
    post_id: int, listeners: list[Listener]
) -> list[tuple[Listener, Message]]:
    # Every stream that could have shown the post hears of it; the id alone
    # says nothing a reader could not already have seen.
    return [
        (listener, (stream, "delete", str(post_id)))
        for listener in listeners
        for stream in listener.streams
        if stream[0] in STATUS_STREAMS
    ]


def _notification_created(
    notification_id: int, recipient_id: int, listeners: list[Listener]
) -> list[tuple[Listener, Message]]:
    out: list[tuple[Listener, Message]] = []
    data: str | None = None
    for listener in listeners:
        account = listener.account
        if account is None or account.pk != recipient_id:
            continue
        for stream in listener.streams:
            if stream[0] not in {USER, NOTIFICATIONS}:
                continue
            if data is None:
                entity = render_notification(
                    Serializer(settings.HUBBUB_SITE_URL, account), notification_id
                )
                if entity is None:
                    return out
                data = orjson.dumps(entity).decode()
            out.append((listener, (stream, "notification", data)))
    return out


def route(
    batch: Iterable[events.Event], listeners: list[Listener]
) -> list[tuple[Listener, Message]]:
    """Return what each listener should be sent for ``batch`` (ORM thread)."""
    out: list[tuple[Listener, Message]] = []
    for event in batch:
        payload = event.payload
        try:
            if event.name == events.POST_CREATED:
                out += _post_created(int(payload["post_id"]), listeners)
            elif event.name == events.POST_DELETED:
                out += _post_deleted(int(payload["post_id"]), listeners)
            elif event.name == events.NOTIFICATION_CREATED:
                out += _notification_created(
                    int(payload["notification_id"]),
                    int(payload["recipient_id"]),
                    listeners,
                )
        except (KeyError, TypeError, ValueError):
            logger.warning("Ignored a malformed %s event: %r", event.name, payload)
    return out


def session_credentials(session_key: str) -> Credentials | None:
    """Return the account a web session is signed in as, if it still is.

    ``get_user`` checks the session's password hash too, so a logout or a
    password change ends the session's streams as it ends its pages.
    """
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = get_user(request)
    if not isinstance(user, Account) or not user.is_active:
        return None
    # A session sees what its pages show: everything a "read" token would.
    return Credentials(
        token_id=0, application_id=None, account=user, scopes=frozenset({"read"})
    )


def revoked(listeners: list[Listener]) -> list[Listener]:
    """Return the listeners whose token was revoked or account deactivated.

    One query for every token stream, however many are open; the web
    pages' session streams are checked one by one.
    """
    tokens = [who for who in listeners if who.credentials and not who.session_key]
    alive = set(
        get_access_token_model()
        .objects.filter(id__in={who.credentials.token_id for who in tokens})  # type: ignore[union-attr]
        .filter(Q(user__isnull=True) | Q(user__is_active=True))
        .values_list("id", flat=True)
        if tokens
        else ()
    )
    return [
        who
        for who in tokens
        if who.credentials and who.credentials.token_id not in alive
    ] + [
        who
        for who in listeners
        if who.session_key and session_credentials(who.session_key) is None
    ]


class Hub:
    """Reads the bus and feeds every listener of this process."""

    def __init__(self) -> None:
        self.listeners: set[Listener] = set()
        self._task: asyncio.Task[None] | None = None
        self._subscription: events.Subscription | None = None

    async def start(self) -> None:
        """Subscribe to the bus (once) and start feeding listeners."""
        if self._task is None:
            self._subscription = await sync_to_async(events.get_bus().subscribe)()
            await sync_to_async(warm_up)()
            self._task = asyncio.create_task(self._run(self._subscription))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self._subscription is not None:
            await sync_to_async(self._subscription.close)()
            self._subscription = None

    def add(self, listener: Listener) -> None:
        self.listeners.add(listener)

    def remove(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    async def _run(self, subscription: events.Subscription) -> None:
        interval = events.get_bus().poll_interval
        recheck = settings.HUBBUB_STREAMING_RECHECK
        checked = time.monotonic()
        while True:
            try:
                batch = await sync_to_async(subscription.fetch)()
                listeners = list(self.listeners)
                if batch and listeners:
                    for listener, message in await sync_to_async(route)(
                        batch, listeners
                    ):
                        listener.queue.put_nowait(message)
                if time.monotonic() - checked >= recheck:
                    checked = time.monotonic()
                    for listener in await sync_to_async(revoked)(listeners):
                        listener.queue.put_nowait(None)
            except Exception:
                # The database restarting, say: keep serving, reconnect.
                logger.exception("Streaming hub step failed")
                await sync_to_async(close_old_connections)()
            await asyncio.sleep(interval)


hub = Hub()
