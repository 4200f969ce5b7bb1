"""The reader's promotional setting on every surface a post reaches them by.

A marketer's advert (labelled by its author) and an ordinary note go to
three readers who chose show, collapse and hide, and to a signed-out
visitor (collapse, the default). Every surface is asked for both, as each
reader: a hidden advert is absent (404 by id), a collapsed one sits behind
its label (a ``<details>`` on pages, a "warn" FilterResult in the API and
streams), a shown one is open (with its label on pages); the ordinary note
is always open and unlabelled.

The surfaces are a registry. The completeness tests take the surfaces that
can show a post from the visibility matrices — the web's URL patterns and
the API's operations, which those matrices take from the URL resolver and
the API routers — and the streaming server's stream names, and fail on any
that is not registered here, so a new surface cannot escape the setting.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hubbub.accounts.actions import follow_account, set_promotional_posts
from hubbub.accounts.models import Account, PromotionalPosts
from hubbub.api.auth import load_token
from hubbub.blog.actions import publish_article
from hubbub.blog.content import check_content
from hubbub.blog.models import Article
from hubbub.core import events
from hubbub.moderation.labels import label_promotional
from hubbub.news.actions import submit_story
from hubbub.news.models import State, Story
from hubbub.notifications.models import Notification
from hubbub.posts.actions import favourite_post, publish_note
from hubbub.posts.models import Post, PromotionalSource
from hubbub.streaming import hub
from tests.api import test_visibility_matrix as api_matrix
from tests.api.conftest import ApiClient, make_token
from tests.conftest import make_account
from tests.web import test_visibility_matrix as web_matrix

pytestmark = pytest.mark.django_db

TAG = "promotag"
ANONYMOUS = "anonymous"
READERS = {
    PromotionalPosts.SHOW: "shay",
    PromotionalPosts.COLLAPSE: "cole",
    PromotionalPosts.HIDE: "hal",
}


class Seen(StrEnum):
    HIDDEN = "hidden"
    COLLAPSED = "collapsed"
    LABELLED = "open with its label"
    OPEN = "open"


@dataclass
class World:
    marketer: Account
    readers: dict[str, Account]  # by setting
    advert: Post
    plain: Post
    # The same pair as social-news stories, and as blog articles.
    advert_story: Post
    plain_story: Post
    advert_article: Post
    plain_article: Post
    tokens: dict[str, str]

    def web(self, setting: str) -> Client:
        client = Client()
        if setting != ANONYMOUS:
            client.force_login(self.readers[setting])
        return client

    def api(self, setting: str) -> ApiClient:
        return ApiClient(self.tokens.get(setting))


@pytest.fixture
def world(run_jobs) -> World:
    marketer = make_account("mark")
    readers = {setting: make_account(name) for setting, name in READERS.items()}
    with run_jobs():
        for reader in readers.values():
            follow_account(reader, followee=marketer)
        handles = " ".join(f"@{name}" for name in READERS.values())
        advert = publish_note(
            marketer,
            text=f"advertmarker Mugs for the holidays #{TAG} {handles}",
            promotional=True,
        )
        plain = publish_note(
            marketer, text=f"plainmarker thinking about lunch #{TAG} {handles}"
        )
        for reader in readers.values():
            # The favourites list is a surface too.
            favourite_post(reader, post=advert)
            favourite_post(reader, post=plain)
        advert_story = submit_story(
            marketer,
            url="https://mugs.example.shop/",
            title="advertstory Holiday mugs, 20% off",
        ).story.post
        plain_story = submit_story(
            marketer,
            url="https://bridges.example.org/history",
            title="plainstory A short history of bridges",
        ).story.post
        for title, body in (
            ("advertarticle Our mugs, reviewed", "They hold tea. Buy them."),
            ("plainarticle On bridges", "Some stand for centuries."),
        ):
            publish_article(
                marketer,
                article_id=None,
                content=check_content(title=title, source=body, tags=TAG),
            )
    # Chosen last: a reader who hides promotions can no longer favourite
    # one, but what they favourited before must hide too.
    for setting, reader in readers.items():
        set_promotional_posts(reader, choice=setting)
    # The posts the two articles were published as.
    advert_article, plain_article = (
        Article.objects.get(title__startswith=word).post
        for word in ("advertarticle", "plainarticle")
    )
    moderator = make_account("mona")
    Account.objects.filter(pk=moderator.pk).update(is_staff=True)
    moderator.refresh_from_db()
    for labelled in (advert_story, advert_article):
        label_promotional(moderator, post=labelled, reason="Sells mugs")
    for post in (advert_story, advert_article, plain_article):
        post.refresh_from_db()
    assert advert.promotional_source == PromotionalSource.AUTHOR
    assert advert_story.promotional_source == PromotionalSource.MODERATOR
    assert plain.promotional_source == plain_story.promotional_source == ""
    tokens = {
        setting: make_token(reader, "read write follow")
        for setting, reader in readers.items()
    }
    return World(
        marketer,
        readers,
        advert,
        plain,
        advert_story,
        plain_story,
        advert_article,
        plain_article,
        tokens,
    )


def expected(setting: str, post: Post, *, labels: bool) -> Seen:
    """What a reader with ``setting`` gets of ``post`` on a surface that
    shows labels of open posts (pages) or does not (the API)."""
    if not post.promotional_source:
        return Seen.OPEN
    if setting == PromotionalPosts.HIDE:
        return Seen.HIDDEN
    if setting == PromotionalPosts.SHOW:
        return Seen.LABELLED if labels else Seen.OPEN
    return Seen.COLLAPSED  # collapse, and signed-out visitors


def marker(post: Post) -> str:
    return post.text.split()[0]


# --- reading what a surface shows ------------------------------------------------


def page_state(status: int, html: str, post: Post) -> Seen:
    """How a page shows ``post``: read from the markup between the element
    holding its text (its article, or a list item) and the text."""
    # From the page's main part on: a note's own page names it in <title>.
    main = max(html.find("<main"), 0)
    found = re.compile(rf"\b{marker(post)}\b").search(html, main)
    if status == 404 or found is None:
        return Seen.HIDDEN
    start = max(
        main,
        html.rfind("<article", 0, found.start()),
        html.rfind("<li", 0, found.start()),
    )
    holder = html[start : found.start()]
    labelled = "promotional-label" in holder and post.promotional_reason in holder
    if '<details class="promotion">' in holder and labelled:
        return Seen.COLLAPSED
    return Seen.LABELLED if labelled else Seen.OPEN


def _statuses(data: Any) -> list[dict[str, Any]]:
    """Every Status entity in a JSON answer, nested ones included."""
    if isinstance(data, list):
        return [s for item in data for s in _statuses(item)]
    if not isinstance(data, dict):
        return []
    found = [data] if "content" in data and "account" in data else []
    return found + [s for value in data.values() for s in _statuses(value)]


def status_state(status: int, data: Any, post: Post) -> Seen:
    """How API JSON shows ``post``: collapsed when its Status carries a
    "warn" FilterResult naming the label's reason."""
    shown = [s for s in _statuses(data) if marker(post) in s["content"]]
    if status == 404 or not shown:
        return Seen.HIDDEN
    filtered = [f for s in shown for f in s.get("filtered") or ()]
    if filtered and all(
        f["filter"]["filter_action"] == "warn"
        and post.promotional_reason in f["filter"]["title"]
        and f["status_matches"] == [str(post.id)]
        for f in filtered
    ):
        return Seen.COLLAPSED
    assert not filtered, filtered
    return Seen.OPEN


# --- the registry ------------------------------------------------------------------


@dataclass(frozen=True)
class Surface:
    """One way a post reaches a reader.

    ``read(world, setting, post)`` returns how the surface shows ``post`` to
    a reader with ``setting``; ``anonymous`` says whether a signed-out
    visitor can use it; ``labels`` whether it shows the label on an open
    post; ``kind`` the kind of post it shows (note, story or article);
    ``signed_out`` that it ignores who asks (a feed a reader fetches
    without signing in), so everyone gets what a signed-out visitor gets.
    """

    read: Callable[[World, str, Post], Seen]
    anonymous: bool
    labels: bool
    kind: str = "note"
    signed_out: bool = False
    # A feed entry cannot collapse: the label leads its title instead.
    collapses: bool = True


def web_page(
    url: Callable[[World, Post], str],
    *,
    anonymous: bool = True,
    state: str | None = None,
) -> Surface:
    """A page; for a news page, ``state`` is the state its stories need."""

    def read(world: World, setting: str, post: Post) -> Seen:
        if state is not None:
            # Promotion takes diggs from independent people over 20 minutes;
            # the stories are put where the page lists them instead.
            Story.objects.filter(post=post).update(
                state=state, promoted_at=timezone.now(), rank=1.0
            )
        # An article's address by id redirects to its address with a slug.
        response = world.web(setting).get(url(world, post), follow=True)
        assert response.status_code in (200, 404), response
        return page_state(response.status_code, response.content.decode(), post)

    kind = "story" if state is not None else "note"
    return Surface(read, anonymous, labels=True, kind=kind)


def article_page(url: Callable[[World, Post], str]) -> Surface:
    surface = web_page(url)
    return Surface(surface.read, anonymous=True, labels=True, kind="article")


def feed_state(status: int, xml: str, post: Post) -> Seen:
    """How a feed shows ``post``: its entry's title led by the label."""
    if status == 404:
        return Seen.HIDDEN
    entries = min(i for i in (xml.find("<entry"), xml.find("<item")) if i >= 0)
    found = re.compile(rf"\b{marker(post)}\b").search(xml, entries)
    if found is None:
        return Seen.HIDDEN
    before = xml[max(entries, found.start() - 120) : found.start()]
    labelled = "[Promotional, labelled by" in before
    return Seen.LABELLED if labelled else Seen.OPEN


def feed(url: Callable[[World, Post], str], *, signed_out: bool) -> Surface:
    def read(world: World, setting: str, post: Post) -> Seen:
        response = world.web(setting).get(url(world, post))
        assert response.status_code in (200, 404), response
        return feed_state(response.status_code, response.content.decode(), post)

    return Surface(
        read, True, labels=True, kind="article", signed_out=signed_out, collapses=False
    )


def api_call(url: Callable[[World, Post], str], *, anonymous: bool = True) -> Surface:
    def read(world: World, setting: str, post: Post) -> Seen:
        response = world.api(setting).get(url(world, post))
        assert response.status_code in (200, 404), response
        return status_state(response.status_code, response.json(), post)

    return Surface(read, anonymous, labels=False)


def stream(name: str, tag: str | None = None, *, anonymous: bool = True) -> Surface:
    """A streaming-server stream, routed by the hub's own code: what the
    stream would send each listener when the post is published (or, for
    notification streams, when the reader is told about it)."""

    def read(world: World, setting: str, post: Post) -> Seen:
        token = world.tokens.get(setting)
        credentials = load_token(token) if token else None
        listener = hub.Listener(
            credentials, frozenset({hub.stream_for(name, tag, credentials)})
        )
        batch = [events.Event(events.POST_CREATED, {"post_id": post.id})]
        if name in (hub.USER, hub.NOTIFICATIONS):
            batch += [
                events.Event(
                    events.NOTIFICATION_CREATED,
                    {"notification_id": n.id, "recipient_id": n.recipient_id},
                )
                for n in Notification.objects.filter(
                    post=post, recipient=world.readers[setting]
                )
            ]
        sent = [orjson.loads(data) for _, (_, _, data) in hub.route(batch, [listener])]
        return status_state(200, sent, post)

    return Surface(read, anonymous, labels=False)


def _note_page(world: World, post: Post) -> str:
    return reverse("web:note", args=["mark", post.id])


WEB_SURFACES: dict[str, Surface] = {
    "home": web_page(lambda w, p: reverse("web:home"), anonymous=False),
    "public": web_page(lambda w, p: reverse("web:public")),
    "tag": web_page(lambda w, p: reverse("web:tag", args=[TAG])),
    "profile": web_page(lambda w, p: reverse("web:profile", args=["mark"])),
    # The page shows the query back, so it searches the post's second word.
    "search": web_page(lambda w, p: f"{reverse('web:search')}?q={p.text.split()[1]}"),
    "notifications": web_page(
        lambda w, p: reverse("web:notifications"), anonymous=False
    ),
    "note": web_page(_note_page),
    "favourited_by": web_page(
        lambda w, p: reverse("web:favourited_by", args=["mark", p.id])
    ),
    "boosted_by": web_page(lambda w, p: reverse("web:boosted_by", args=["mark", p.id])),
    "upcoming": web_page(lambda w, p: reverse("web:upcoming"), state=State.UPCOMING),
    "news": web_page(lambda w, p: reverse("web:news"), state=State.PROMOTED),
    "news_newest": web_page(
        lambda w, p: reverse("web:news_newest"), state=State.PROMOTED
    ),
    "news_review": web_page(
        lambda w, p: reverse("web:news_review"), state=State.REVIEW
    ),
    "story": web_page(
        lambda w, p: reverse("web:story", args=[p.id]), state=State.UPCOMING
    ),
    "story_why": web_page(
        lambda w, p: reverse("web:story_why", args=[p.id]), state=State.UPCOMING
    ),
    "blog": article_page(lambda w, p: reverse("web:blog", args=["mark"])),
    "article": article_page(
        lambda w, p: reverse("web:article", args=["mark", p.id, p.article.slug])
    ),
    "article_by_id": article_page(
        lambda w, p: reverse("web:article_by_id", args=["mark", p.id])
    ),
    "site_feed": feed(
        lambda w, p: reverse("web:site_feed", args=["atom"]), signed_out=True
    ),
    "author_feed": feed(
        lambda w, p: reverse("web:author_feed", args=["mark", "rss"]), signed_out=True
    ),
    "tag_feed": feed(
        lambda w, p: reverse("web:tag_feed", args=[TAG, "atom"]), signed_out=True
    ),
    # A conversation's feed knows a signed-in reader (their session).
    "conversation_feed": feed(
        lambda w, p: reverse("web:conversation_feed", args=[p.id, "atom"]),
        signed_out=False,
    ),
}
# Pages that show posts but are no reader's view of them, and why.
WEB_WITHOUT_READERS = {
    "held_comments": "an author's queue of comments on their own articles, "
    "held for their approval: they must read each to decide",
    "report_note": "the form to report one note: it quotes the note the "
    "reader chose to report, so they can say what is wrong with it",
}

STATUS = api_matrix.STATUS
API_SURFACES: dict[tuple[str, str], Surface] = {
    ("GET", STATUS): api_call(lambda w, p: f"/api/v1/statuses/{p.id}"),
    ("GET", "/api/v1/statuses"): api_call(lambda w, p: f"/api/v1/statuses?id[]={p.id}"),
    ("GET", "/api/v1/timelines/home"): api_call(
        lambda w, p: "/api/v1/timelines/home", anonymous=False
    ),
    ("GET", "/api/v1/timelines/public"): api_call(
        lambda w, p: "/api/v1/timelines/public"
    ),
    ("GET", "/api/v1/timelines/tag/{hashtag}"): api_call(
        lambda w, p: f"/api/v1/timelines/tag/{TAG}"
    ),
    ("GET", "/api/v1/accounts/{id}/statuses"): api_call(
        lambda w, p: f"/api/v1/accounts/{w.marketer.pk}/statuses"
    ),
    ("GET", "/api/v2/search"): api_call(
        lambda w, p: f"/api/v2/search?q={marker(p)}&type=statuses"
    ),
    ("GET", "/api/v1/notifications"): api_call(
        lambda w, p: "/api/v1/notifications", anonymous=False
    ),
    ("GET", "/api/v1/favourites"): api_call(
        lambda w, p: "/api/v1/favourites", anonymous=False
    ),
}
# API reads of a status by id that return no Status entity, and why the
# setting has nothing to show there.
API_WITHOUT_STATUSES = {
    ("GET", STATUS + "/context"): "lists the statuses around one: "
    "checked in test_context_leaves_out_a_hidden_ancestor",
    ("GET", STATUS + "/favourited_by"): "lists accounts",
    ("GET", STATUS + "/reblogged_by"): "lists accounts",
    ("GET", STATUS + "/source"): "only for the author, who always sees their own",
}

STREAM_SURFACES: dict[str, Surface] = {
    hub.USER: stream(hub.USER, anonymous=False),
    hub.NOTIFICATIONS: stream(hub.NOTIFICATIONS, anonymous=False),
    "public": stream("public"),
    "public:local": stream("public:local"),
    "hashtag": stream("hashtag", TAG),
    "hashtag:local": stream("hashtag:local", TAG),
}

SURFACES: dict[str, Surface] = {
    **{f"web {name}": s for name, s in WEB_SURFACES.items()},
    **{f"api {method} {path}": s for (method, path), s in API_SURFACES.items()},
    **{f"stream {name}": s for name, s in STREAM_SURFACES.items()},
}


# --- completeness -----------------------------------------------------------------


def test_every_web_page_that_shows_posts_is_registered():
    showing = set(web_matrix.POST_PAGES) | set(web_matrix.LISTINGS)
    names = {pattern.name for pattern in web_matrix._web_patterns()}
    assert showing <= names
    assert set(WEB_SURFACES) | set(WEB_WITHOUT_READERS) == showing
    # Anything served outside the web pages and the API (feeds, say) must
    # be registered here before the visibility matrix may let it through.
    assert set(web_matrix.OTHER_URLCONFS) == {"hubbub.api.urls"}


def test_every_api_operation_that_shows_statuses_is_registered():
    showing = set(api_matrix.STATUS_READS) | set(api_matrix.LISTINGS)
    assert showing <= api_matrix._operations()
    assert set(API_SURFACES) | set(API_WITHOUT_STATUSES) == showing
    assert not set(API_SURFACES) & set(API_WITHOUT_STATUSES)


def test_every_stream_is_registered():
    assert set(STREAM_SURFACES) == set(hub.STREAM_SCOPES)


# --- the matrix ---------------------------------------------------------------------


@pytest.mark.parametrize("surface", SURFACES)
def test_the_setting_holds_on_every_surface(world, surface):
    """Each reader (and a signed-out visitor, where the surface lets one
    in) gets the advert as their setting says and the plain note open."""
    found = SURFACES[surface]
    problems = []
    for setting in [*READERS, ANONYMOUS]:
        if setting == ANONYMOUS and not found.anonymous:
            continue
        pair = {
            "note": (world.advert, world.plain),
            "story": (world.advert_story, world.plain_story),
            "article": (world.advert_article, world.plain_article),
        }[found.kind]
        for post in pair:
            seen = found.read(world, setting, post)
            applies = ANONYMOUS if found.signed_out else setting
            wanted = expected(applies, post, labels=found.labels)
            if wanted == Seen.COLLAPSED and not found.collapses:
                wanted = Seen.LABELLED
            if seen != wanted:
                problems.append(f"{setting} {marker(post)}: {seen}, not {wanted}")
    assert not problems, problems


def test_context_leaves_out_a_hidden_ancestor(world):
    reply = publish_note(
        make_account("fran"),
        text="@mark replymarker how much?",
        in_reply_to=world.advert,
    )
    for setting in [*READERS, ANONYMOUS]:
        response = world.api(setting).get(f"/api/v1/statuses/{reply.id}/context")
        assert response.status_code == 200
        seen = status_state(200, response.json()["ancestors"], world.advert)
        assert seen == expected(setting, world.advert, labels=False), setting


def test_the_author_always_sees_their_own_advert_open(world):
    set_promotional_posts(world.marketer, choice=PromotionalPosts.HIDE)
    client = Client()
    client.force_login(world.marketer)
    page = client.get(reverse("web:profile", args=["mark"])).content.decode()
    assert page_state(200, page, world.advert) == Seen.LABELLED
    token = make_token(world.marketer, "read")
    body = ApiClient(token).get(f"/api/v1/statuses/{world.advert.id}").json()
    assert status_state(200, body, world.advert) == Seen.OPEN
    assert json.dumps(body).count("filtered") == 0
