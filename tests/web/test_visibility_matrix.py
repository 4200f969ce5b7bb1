"""The visibility matrix: every web page that can show a post, for every
visibility and every kind of viewer (S6, rows B-85..B-89).

The pages come from Django's URL resolver, not from a list typed here: every
pattern must be classified below (a page that shows one post by id, a
listing, a page that never shows posts, or a POST-only action), and an
unclassified pattern fails the suite, so a new URL cannot escape the matrix.

Who may see what is written out as a table (``MAY_SEE``), independently of
``visible_posts``: the tests state the rule, the code has to meet it.
"""

import re
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from hubbub.posts.models import Favourite, Post
from tests.visibility_world import (
    ANONYMOUS,
    BLOCKED,
    FORMER,
    SEARCH,
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

# --- the pages -----------------------------------------------------------------

# A check gets the world, a viewer and the URL's filled-in parameters, and
# returns the problems it found.
Check = Callable[[World, str], list[str]]


def _shows(content: str, marker: str) -> bool:
    return re.search(rf"\b{marker}\b", content) is not None


def _leaks(viewer: str, url: str, content: str, world: World) -> list[str]:
    """Every note that shows on a page that should show none."""
    return [
        f"{viewer} {url}: {note.key} LEAKED"
        for note in world.notes.values()
        if _shows(content, note.marker)
    ]


def _post_page(name: str, thread: bool) -> Check:
    """A page about one post, by id: 200 with the post for those who may
    see it; 404 without it (never 403) for everyone else."""

    def check(world: World, viewer: str) -> list[str]:
        problems = []
        client = world.client(viewer)
        for note in world.notes.values():
            url = reverse(f"web:{name}", args=["ava", note.post.id])
            response = client.get(url)
            content = response.content.decode()
            if may_see(viewer, note):
                if response.status_code != 200:
                    problems.append(f"{viewer} {url} ({note.key}): status {response}")
                    continue
                shown = world.thread_of(note.key) if thread else [note.key]
                for other in world.notes.values():
                    expected = other.key in shown and may_see(viewer, other)
                    if _shows(content, other.marker) != expected:
                        problems.append(
                            f"{viewer} {url} ({note.key}): {other.key} "
                            f"{'missing' if expected else 'LEAKED'}"
                        )
            else:
                if response.status_code != 404:
                    problems.append(
                        f"{viewer} {url} ({note.key}): {response.status_code},"
                        " expected 404"
                    )
                problems += _leaks(viewer, url, content, world)
        return problems

    return check


def _listing(
    url_for: Callable[[Note], str],
    expect: Callable[[str, Note], bool],
    *,
    anonymous_status: int = 200,
) -> Check:
    """A page listing posts: each note's marker appears exactly when
    ``expect(viewer, note)`` says so."""

    def check(world: World, viewer: str) -> list[str]:
        problems = []
        client = world.client(viewer)
        pages: dict[str, str] = {}
        for note in world.notes.values():
            url = url_for(note)
            if url not in pages:
                response = client.get(url)
                wanted = anonymous_status if viewer == ANONYMOUS else 200
                if response.status_code != wanted:
                    problems.append(f"{viewer} {url}: status {response.status_code}")
                pages[url] = response.content.decode()
            expected = expect(viewer, note)
            if _shows(pages[url], note.marker) != expected:
                problems.append(
                    f"{viewer} {url}: {note.key} {'missing' if expected else 'LEAKED'}"
                )
        return problems

    return check


def _article_page(name: str) -> Check:
    """An article's page, by its post's id: a note's id finds nothing
    there, whoever asks (articles' own visibility: tests/web/test_blog.py)."""

    def check(world: World, viewer: str) -> list[str]:
        problems = []
        client = world.client(viewer)
        for note in world.notes.values():
            args = ["ava", note.post.id] + (["x"] if name == "article" else [])
            url = reverse(f"web:{name}", args=args)
            response = client.get(url, follow=True)
            if response.status_code != 404:
                problems.append(f"{viewer} {url}: {response.status_code}")
            problems += _leaks(viewer, url, response.content.decode(), world)
        return problems

    return check


def _story_page(name: str) -> Check:
    """A page about one story, by id: a note is no story, so every note's
    id is a 404 that shows nothing (story comments' visibility is checked
    in tests/web/test_news.py)."""

    def check(world: World, viewer: str) -> list[str]:
        problems = []
        client = world.client(viewer)
        for note in world.notes.values():
            url = reverse(f"web:{name}", args=[note.post.id])
            response = client.get(url)
            if response.status_code != 404:
                problems.append(f"{viewer} {url}: {response.status_code}, not 404")
            problems += _leaks(viewer, url, response.content.decode(), world)
        return problems

    return check


def _conversation_feed(world: World, viewer: str) -> list[str]:
    """A conversation's feed is public: what an anonymous reader may see of
    the thread; 404 when an anonymous reader or the viewer may not see the
    post it is asked for. A signed-in viewer sees no more than anonymous."""
    problems = []
    client = world.client(viewer)
    for note in world.notes.values():
        url = reverse("web:conversation_feed", args=[note.post.id, "atom"])
        response = client.get(url)
        content = response.content.decode()
        if not (may_see(ANONYMOUS, note) and may_see(viewer, note)):
            if response.status_code != 404:
                problems.append(f"{viewer} {url}: {response.status_code}")
            problems += _leaks(viewer, url, content, world)
            continue
        root = note.key
        while world.notes[root].parent is not None:
            root = world.notes[root].parent  # type: ignore[assignment]
        for other in world.notes.values():
            expected = (
                other.key in world.thread_of(root)
                and may_see(ANONYMOUS, other)
                and may_see(viewer, other)
            )
            if _shows(content, other.marker) != expected:
                problems.append(
                    f"{viewer} {url}: {other.key} {'missing' if expected else 'LEAKED'}"
                )
    return problems


def _never(viewer: str, note: Note) -> bool:
    # News lists show stories only, blog indexes and article feeds show
    # articles only, and every post here is a note.
    return False


# Pages that show one post, by id.
POST_PAGES: dict[str, Check] = {
    "note": _post_page("note", thread=True),
    "favourited_by": _post_page("favourited_by", thread=False),
    "boosted_by": _post_page("boosted_by", thread=False),
    "article": _article_page("article"),
    "article_by_id": _article_page("article_by_id"),
    "conversation_feed": _conversation_feed,
    "story": _story_page("story"),
    "story_why": _story_page("story_why"),
    "report_note": _post_page("report_note", thread=False),
}


# Pages that list posts, with the rule for which appear.
LISTINGS: dict[str, Check] = {
    # Anonymous visitors are sent to the public timeline.
    "home": _listing(lambda n: reverse("web:home"), in_home, anonymous_status=302),
    "public": _listing(lambda n: reverse("web:public"), public_only),
    "tag": _listing(lambda n: reverse("web:tag", args=[TAG]), public_only),
    # A profile shows whatever the viewer may see.
    "profile": _listing(lambda n: reverse("web:profile", args=["ava"]), may_see),
    # Search finds whatever the viewer could open. It searches a word every
    # note has, since the page shows the query back.
    "search": _listing(
        lambda n: f"{reverse('web:search')}?{urlencode(SEARCH)}", may_see
    ),
    "notifications": _listing(
        lambda n: reverse("web:notifications"), notified, anonymous_status=302
    ),
    "blog": _listing(lambda n: reverse("web:blog", args=["ava"]), _never),
    "site_feed": _listing(lambda n: reverse("web:site_feed", args=["atom"]), _never),
    "author_feed": _listing(
        lambda n: reverse("web:author_feed", args=["ava", "rss"]), _never
    ),
    "tag_feed": _listing(lambda n: reverse("web:tag_feed", args=[TAG, "atom"]), _never),
    # The comments waiting for the viewer's approval; none of these notes.
    "held_comments": _listing(
        lambda n: reverse("web:held_comments"), _never, anonymous_status=302
    ),
    "news": _listing(lambda n: reverse("web:news"), _never),
    "news_newest": _listing(lambda n: reverse("web:news_newest"), _never),
    "upcoming": _listing(lambda n: reverse("web:upcoming"), _never),
    "news_review": _listing(lambda n: reverse("web:news_review"), _never),
}

# GET pages that never show a post: checked that none leaks onto them.
NO_POSTS = {
    "signup",
    "login",
    "edit_profile",
    "promotions",
    "followers",
    "following",
    "unread_count",
    "follow_requests",
    "blocks",
    "mutes",
    "submit_story",
    "edit_reading",
    "report_account",
    # The log names accounts and post ids, never a post's content.
    "moderation_log",
}

# GET pages about the viewer's own articles: drafts and the editor. They
# show no post; an article id that is not the viewer's is a 404. The
# moderators' queue is here too: a 404 for anyone but a moderator.
OWN_PAGES = {"new_article", "drafts", "edit_article", "moderation_queue"}

# POST-only actions: a GET is refused (405), so they show nothing. Those on
# a post by id are also checked in ``test_actions_on_an_unseen_post_404``.
ACTIONS = {
    "logout",
    "post_note",
    "compose_count",
    "follow",
    "unfollow",
    "delete_note",
    "reaction",
    "mark_read",
    "approve_follow",
    "reject_follow",
    "block",
    "unblock",
    "mute",
    "unmute",
    "unpublish_article",
    "article_comments",
    "held_comment",
    "digg",
    "undigg",
    "bury_story",
    "unbury_story",
    "comment",
    "hold_story",
    "release_story",
    "bury_comment",
    "report_post",
    "moderation_act",
}

# How each URL parameter is filled in.
PARAMETERS = {
    "username": "ava",
    "name": TAG,
    "verb": "favourite",
    "article_id": 1,
    "fmt": "atom",
    "slug": "x",
    "report_id": 1,
}

# Namespaces outside ``web``, and why they show no post to these viewers.
OTHER_NAMESPACES = {"admin": "staff only; none of the viewers is staff"}
# URL modules outside the web pages, and where their visibility is checked.
OTHER_URLCONFS = {
    "hubbub.api.urls": "the Mastodon client API and OAuth, checked in tests/api",
}


def _web_patterns() -> list[URLPattern]:
    """Every pattern of the ``web`` namespace, from the resolver; fails on
    anything at the top level that is neither ``web`` nor known."""
    found: list[URLPattern] = []
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "web":
            for pattern in entry.url_patterns:
                assert isinstance(pattern, URLPattern), (
                    f"web includes {pattern}: classify its patterns"
                )
                found.append(pattern)
        elif isinstance(entry, URLResolver) and (
            entry.namespace in OTHER_NAMESPACES
            or getattr(entry.urlconf_module, "__name__", "") in OTHER_URLCONFS
        ):
            continue
        else:
            pytest.fail(f"URL {entry} is outside the visibility matrix: classify it")
    return found


def _url(pattern: URLPattern, post: Post) -> str:
    kwargs = {}
    for parameter in pattern.pattern.converters:
        if parameter == "post_id":
            kwargs[parameter] = post.id
        else:
            assert parameter in PARAMETERS, (
                f"web:{pattern.name} takes <{parameter}>: say how to fill it in"
            )
            kwargs[parameter] = PARAMETERS[parameter]
    return reverse(f"web:{pattern.name}", kwargs=kwargs)


def test_every_web_url_is_in_the_matrix():
    classes = [set(POST_PAGES), set(LISTINGS), NO_POSTS, OWN_PAGES, ACTIONS]
    names = [pattern.name for pattern in _web_patterns()]
    for name in names:
        homes = sum(name in c for c in classes)
        assert homes == 1, f"web:{name} is in {homes} classes of the matrix, not 1"
    stale = set().union(*classes) - set(names)
    assert not stale, f"the matrix classifies patterns that are gone: {stale}"
    # Every page that takes a post id is a post page or an action.
    for pattern in _web_patterns():
        if "post_id" in pattern.pattern.converters:
            assert pattern.name in POST_PAGES or pattern.name in ACTIONS


def test_post_pages_and_listings_show_each_post_exactly_to_whom_it_may(world):
    problems = []
    checked = 0
    for pattern in _web_patterns():
        check = POST_PAGES.get(pattern.name) or LISTINGS.get(pattern.name)
        if check is None:
            continue
        for viewer in VIEWERS:
            problems += check(world, viewer)
            checked += 1
    assert checked == len(VIEWERS) * (len(POST_PAGES) + len(LISTINGS))
    assert not problems, "\n".join(problems)


def test_pages_without_posts_show_none_and_actions_refuse_get(world):
    any_note = world.notes["root-direct"].post
    problems = []
    for pattern in _web_patterns():
        if pattern.name not in NO_POSTS | OWN_PAGES | ACTIONS:
            continue
        url = _url(pattern, any_note)
        for viewer in VIEWERS:
            response = world.client(viewer).get(url)
            allowed = {405} if pattern.name in ACTIONS else {200, 302}
            if pattern.name in OWN_PAGES:
                allowed.add(404)
            if response.status_code not in allowed:
                problems.append(f"{viewer} GET {url}: {response.status_code}")
            content = response.content.decode()
            problems += _leaks(viewer, url, content, world)
    assert not problems, "\n".join(problems)


def test_actions_on_an_unseen_post_404(world):
    """Favouriting, boosting or deleting a post one may not see is a 404,
    and changes nothing (B-76, B-88)."""
    problems = []
    for viewer in (STRANGER, FORMER, BLOCKED):
        client = world.client(viewer)
        for note in world.notes.values():
            if may_see(viewer, note):
                continue
            for url in [
                reverse("web:reaction", args=[note.post.id, verb])
                for verb in ("favourite", "boost")
            ] + [reverse("web:delete_note", args=[note.post.id])]:
                status = client.post(url).status_code
                if status != 404:
                    problems.append(f"{viewer} POST {url} ({note.key}): {status}")
    assert not problems, "\n".join(problems)
    assert not Favourite.objects.exists()
    assert not Post.objects.filter(reblog_of__isnull=False).exists()
    assert not Post.objects.filter(deleted_at__isnull=False).exists()


def test_anonymous_sees_only_public_and_unlisted_and_blocked_gets_404(world):
    anonymous = world.client(ANONYMOUS)
    for note in world.notes.values():
        response = anonymous.get(reverse("web:note", args=["ava", note.post.id]))
        visible = note.visibility in ("public", "unlisted")
        assert response.status_code == (200 if visible else 404), note.key
    profile = anonymous.get(reverse("web:profile", args=["ava"])).content.decode()
    shown = {n.visibility for n in world.notes.values() if _shows(profile, n.marker)}
    assert shown == {"public", "unlisted"}

    blocked = world.client(BLOCKED)
    for pattern in _web_patterns():
        if pattern.name not in POST_PAGES:
            continue
        for note in world.notes.values():
            response = blocked.get(_url(pattern, note.post))
            assert response.status_code == 404, (pattern.name, note.key)
