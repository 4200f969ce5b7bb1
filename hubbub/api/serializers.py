"""Mastodon entities as plain dicts, rendered by orjson.

One ``Serializer`` lives for one request: it knows the site's address and
the viewer, renders each account once however many of its statuses are on
the page, and loads the viewer's flags for a whole page in one batch.
"""

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import quote

import orjson
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

from hubbub.accounts.models import Account
from hubbub.accounts.queries import Relationship, relationships
from hubbub.accounts.signal import stored_signal
from hubbub.api.models import Application
from hubbub.blog.slugs import slugify_title
from hubbub.core.kept import Kept
from hubbub.news.models import Story
from hubbub.news.queries import stories_for_posts
from hubbub.notifications.models import Notification, NotificationType
from hubbub.posts.models import Kind, Post, PromotionalSource, Tag, Visibility
from hubbub.posts.queries import (
    author_ids,
    mentions_and_tags,
    promotion_collapsed,
    tag_history,
)
from hubbub.timelines.queries import TimelineRow

# hubbub's "followers" is Mastodon's "private".
# Keyed by the stored strings: building a Visibility per status is slow.
VISIBILITY_NAMES: dict[str, str] = {
    Visibility.PUBLIC.value: "public",
    Visibility.UNLISTED.value: "unlisted",
    Visibility.FOLLOWERS.value: "private",
    Visibility.DIRECT.value: "direct",
}
VISIBILITIES = {name: Visibility(value) for value, name in VISIBILITY_NAMES.items()}
DEFAULT_AVATAR = "hubbub/api/avatar.png"
DEFAULT_HEADER = "hubbub/api/header.png"


def rfc3339(moment: datetime) -> str:
    """Format ``moment`` as Mastodon does: UTC, milliseconds and ``Z``."""
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    # isoformat is C code; the offset it ends with is "+00:00" here.
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"


# What Django's reverse() leaves unquoted in a path argument.
_PATH_SAFE = RFC3986_SUBDELIMS + "/~:@"
_ARGUMENT = "hubbub-url-argument"


def url_maker(base: str, name: str) -> Callable[[str], str]:
    """Return a function that builds ``base`` + the URL named ``name`` for
    one ``str`` argument, as ``reverse`` would.

    ``reverse`` costs more than the rest of a status together, and a page
    asks for dozens of profile and tag URLs, so it runs once per
    serializer; each argument is then quoted as Django quotes it, once.
    """
    before, _, after = reverse(name, args=[_ARGUMENT]).partition(_ARGUMENT)
    prefix = base + before
    made: dict[str, str] = {}

    def make(argument: str) -> str:
        url = made.get(argument)
        if url is None:
            url = made[argument] = prefix + quote(argument, safe=_PATH_SAFE) + after
        return url

    return make


# Mastodon has no "reply" type: a reply is a mention of its parent's author.
NOTIFICATION_TYPES: dict[str, str] = {
    NotificationType.MENTION.value: "mention",
    NotificationType.REPLY.value: "mention",
    NotificationType.FAVOURITE.value: "favourite",
    NotificationType.REBLOG.value: "reblog",
    NotificationType.FOLLOW.value: "follow",
    NotificationType.FOLLOW_REQUEST.value: "follow_request",
    # Mastodon's nearest: a status to look at, shown with its author.
    NotificationType.PROMOTED.value: "status",
}


@dataclass(slots=True)
class PageData:
    """What a page of statuses shows beyond the posts: loaded in one batch."""

    viewer: Account | None
    reply_authors: dict[int, int] = field(default_factory=dict)
    mentions: dict[int, list[Account]] = field(default_factory=dict)
    tags: dict[int, list[Tag]] = field(default_factory=dict)
    # The Story rows of the page's stories, for their link cards.
    stories: dict[int, Story] = field(default_factory=dict)


def load_page_data(viewer: Account | None, posts: list[Post]) -> PageData:
    """Load reply parents' authors, mentions and tags for ``posts`` at once.

    The viewer's own flags come annotated on the posts (``with_viewer_flags``).
    """
    shown = {p.id for p in posts} | {p.reblog_of.id for p in posts if p.reblog_of}
    mentions, tags = mentions_and_tags(shown)
    originals = [p.reblog_of or p for p in posts]
    stories = stories_for_posts({p.id for p in originals if p.kind == Kind.STORY})
    return page_data(viewer, posts, mentions, tags, stories)


def page_data(
    viewer: Account | None,
    posts: list[Post],
    mentions: dict[int, list[Account]],
    tags: dict[int, list[Tag]],
    stories: dict[int, Story],
) -> PageData:
    """Return the PageData of ``posts`` whose mentions, tags and stories
    are loaded, looking up only the reply parents' authors."""
    # The timeline queries load the parents of the page's own replies with
    # them; only the parents of boosted replies are left to look up.
    reply_authors = {
        p.in_reply_to_id: p.in_reply_to.author_id
        for p in posts
        if p.in_reply_to_id and Post.in_reply_to.is_cached(p) and p.in_reply_to
    }
    parents = {
        parent
        for p in posts
        for parent in (p.in_reply_to_id, p.reblog_of and p.reblog_of.in_reply_to_id)
        if parent and parent not in reply_authors
    }
    return PageData(
        viewer=viewer,
        reply_authors=reply_authors | author_ids(parents),
        mentions=mentions,
        tags=tags,
        stories=stories,
    )


# Home timeline statuses as JSON (Serializer.home_statuses), about 3 KB
# each: a few tens of MB per process at most.
kept_statuses = Kept[bytes](5000)


class Serializer:
    """Renders entities for one request (or one stream's user)."""

    def __init__(self, request: HttpRequest | str, viewer: Account | None) -> None:
        # The streaming server renders away from any web request, so it
        # passes the site's address instead.
        self.base = (
            request
            if isinstance(request, str)
            else f"{request.scheme}://{request.get_host()}"
        )
        self.viewer = viewer
        self._accounts: dict[int, dict[str, Any]] = {}

    # Worked out on first use: a home page whose statuses are all kept
    # (home_statuses) needs none of them.
    @cached_property
    def _avatar(self) -> str:
        return self.base + static(DEFAULT_AVATAR)

    @cached_property
    def _header(self) -> str:
        return self.base + static(DEFAULT_HEADER)

    @cached_property
    def _profile_url(self) -> Callable[[str], str]:
        return url_maker(self.base, "web:profile")

    @cached_property
    def _tag_url(self) -> Callable[[str], str]:
        return url_maker(self.base, "web:tag")

    def profile_url(self, account: Account) -> str:
        """Return the account's profile page."""
        return self._profile_url(account.username)

    def account(self, account: Account) -> dict[str, Any]:
        """Return the Account entity."""
        # ``id``, not ``pk``: the pk property costs a lookup per status.
        cached = self._accounts.get(account.id)
        if cached is not None:
            return cached
        created = account.date_joined.astimezone(UTC)
        last = account.last_post_at
        signal = stored_signal(account)
        rendered = {
            "id": str(account.pk),
            "username": account.username,
            "acct": account.username,
            "display_name": account.display_name,
            "locked": account.locked,
            "bot": account.bot,
            "group": False,
            "discoverable": True,
            "indexable": False,
            "hide_collections": False,
            "noindex": False,
            "created_at": f"{created:%Y-%m-%d}T00:00:00.000Z",
            "note": account.bio_html,
            "url": self.profile_url(account),
            "uri": f"{self.base}/users/{account.username}",
            "avatar": self._avatar,
            "avatar_static": self._avatar,
            "header": self._header,
            "header_static": self._header,
            "followers_count": account.followers_count,
            "following_count": account.following_count,
            "statuses_count": account.posts_count,
            "last_status_at": f"{last.astimezone(UTC):%Y-%m-%d}" if last else None,
            "emojis": [],
            "fields": [],
            "roles": [],
            "hubbub": {
                "conversation": {
                    "recent_posts": signal.posts,
                    "exchanges": signal.exchanges,
                    "replies": signal.replies,
                    "broadcasts": signal.broadcasts,
                    "only_broadcasts": signal.only_broadcasts,
                }
            },
        }
        self._accounts[account.id] = rendered
        return rendered

    def credential_account(self, account: Account) -> dict[str, Any]:
        """Return the CredentialAccount entity: the Account plus ``source``."""
        return {
            **self.account(account),
            "source": {
                "privacy": "public",
                "sensitive": False,
                "language": None,
                "note": account.bio,
                "fields": [],
                "follow_requests_count": 0,
            },
        }

    def statuses(self, posts: list[Post]) -> list[dict[str, Any]]:
        """Return Status entities for a page of posts."""
        return self.render_statuses(posts, load_page_data(self.viewer, posts))

    def render_statuses(
        self, posts: list[Post], data: PageData
    ) -> list[dict[str, Any]]:
        """Return Status entities for posts whose page data is loaded."""
        return [self._status(post, data, post) for post in posts]

    def home_statuses(self, rows: list[TimelineRow]) -> list[orjson.Fragment]:
        """Return the Status entities of a home timeline page's rows as
        JSON, reusing each status kept under everything it shows.

        The row holds the post, its author (counters too), the post it
        answers, a boost's original and its author, and the viewer's
        flags; the key adds what other tables hold (mentions, tags, a
        story's card) and what depends on the viewer and the address. So
        nothing is ever shown stale, and a page whose statuses are all
        kept builds no model instance.
        """
        if not rows:
            return []
        page = rows[0].page
        boosted = page.column("reblog_of_id")
        kind, original_kind = page.column("kind"), page.column("reblog_of", "kind")
        originals = [boosted(r.row) or r.id for r in rows]
        mentions, tags = mentions_and_tags({r.id for r in rows} | set(originals))
        stories = stories_for_posts(
            {
                original
                for r, original in zip(rows, originals, strict=True)
                if (original_kind if original != r.id else kind)(r.row) == Kind.STORY
            }
        )
        viewer = self.viewer
        shared = (self.base, viewer and (viewer.pk, viewer.promotional_posts))

        def shown(post_id: int) -> tuple[object, ...]:
            story = stories.get(post_id)
            return (
                tuple((a.id, a.username) for a in mentions.get(post_id, ())),
                tuple((t.name, t.display) for t in tags.get(post_id, ())),
                story and orjson.dumps(_card(story)),
            )

        keys = [
            (r.row, shared, shown(r.id), original != r.id and shown(original))
            for r, original in zip(rows, originals, strict=True)
        ]
        found = [kept_statuses.get(key) for key in keys]
        if None in found:
            posts = [r.post for r in rows]
            data = page_data(viewer, posts, mentions, tags, stories)
            for n, post in enumerate(posts):
                if found[n] is None:
                    json = orjson.dumps(self._status(post, data, post))
                    kept_statuses.put(keys[n], json)
                    found[n] = json
        return [orjson.Fragment(json) for json in found if json is not None]

    def status(self, post: Post) -> dict[str, Any]:
        """Return one Status entity."""
        return self.statuses([post])[0]

    def tag_url(self, tag: Tag) -> str:
        """Return the tag's timeline page."""
        return self._tag_url(tag.name)

    def _mention(self, account: Account) -> dict[str, Any]:
        return {
            "id": str(account.pk),
            "username": account.username,
            "acct": account.username,
            "url": self.profile_url(account),
        }

    def _status(self, post: Post, data: PageData, listed: Post) -> dict[str, Any]:
        # ``listed`` is the post as the page query returned it: its viewer
        # flags are about the original when it is a boost.
        author = self.account(post.author)
        original = post.reblog_of
        reply_to = post.in_reply_to_id
        # The web's note page is the profile URL plus the id; a reverse()
        # per status would cost more than the rest together.
        url = f"{author['url']}/{post.id}"
        if post.kind == "article":
            # An article's page; its text starts with the title (card_text).
            slug = slugify_title(post.text.split("\n", 1)[0])
            url = f"{author['url']}/blog/{post.id}/{slug}"
        elif post.id in data.stories:
            # A story's page is its news page (Mastodon §6).
            url = self.base + reverse("web:story", args=[post.id])
        rendered: dict[str, Any] = {
            "id": str(post.id),
            "uri": f"{author['uri']}/statuses/{post.id}",
            "url": url,
            "created_at": rfc3339(post.created_at),
            "edited_at": None,
            "account": author,
            "content": "" if original else post.html,
            "visibility": VISIBILITY_NAMES[post.visibility],
            "sensitive": False,
            "spoiler_text": "",
            "in_reply_to_id": str(reply_to) if reply_to else None,
            "in_reply_to_account_id": (
                str(data.reply_authors[reply_to])
                if reply_to in data.reply_authors
                else None
            ),
            "reblog": self._status(original, data, listed) if original else None,
            "language": None,
            "replies_count": post.replies_count,
            "reblogs_count": post.reblogs_count,
            "favourites_count": post.favourites_count,
            "mentions": [self._mention(a) for a in data.mentions.get(post.id, ())],
            "tags": [
                {"name": tag.display, "url": self.tag_url(tag)}
                for tag in data.tags.get(post.id, ())
            ],
            "emojis": [],
            "media_attachments": [],
            "card": _card(data.stories[post.id]) if post.id in data.stories else None,
            "poll": None,
        }
        if promotion_collapsed(post, data.viewer):
            rendered["filtered"] = [promotional_filter_result(original or post)]
        if data.viewer is not None:
            # Annotations from with_viewer_flags, on every page query.
            rendered["favourited"] = bool(listed.favourited)  # type: ignore[attr-defined]
            rendered["reblogged"] = bool(listed.boosted)  # type: ignore[attr-defined]
            rendered["muted"] = False
            rendered["bookmarked"] = False
            if post.author_id == data.viewer.pk:
                rendered["pinned"] = False
        return rendered

    def relationships(
        self, me: Account, accounts: list[Account]
    ) -> list[dict[str, Any]]:
        """Return Relationship entities between ``me`` and ``accounts``."""
        found = relationships(me, [a.pk for a in accounts])
        return [
            relationship(account.pk, found.get(account.pk, Relationship()))
            for account in accounts
        ]

    def tags(self, tags: list[Tag]) -> list[dict[str, Any]]:
        """Return full Tag entities (search, /tags/:name), with their history
        of the last seven days loaded in one query."""
        history = tag_history([tag.pk for tag in tags])
        rendered = []
        for tag in tags:
            entity: dict[str, Any] = {
                "id": str(tag.pk),
                "name": tag.display,
                "url": self.tag_url(tag),
                # Mastodon sends every number here as a string.
                "history": [
                    {
                        "day": str(calendar.timegm(day.day.timetuple())),
                        "uses": str(day.uses),
                        "accounts": str(day.accounts),
                    }
                    for day in history[tag.pk]
                ],
            }
            if self.viewer is not None:
                # Following hashtags is not built: nobody follows one.
                entity["following"] = False
            rendered.append(entity)
        return rendered

    def tag(self, tag: Tag) -> dict[str, Any]:
        """Return one full Tag entity."""
        return self.tags([tag])[0]

    def notifications(
        self, notes: list[Notification], posts: dict[int, Post]
    ) -> list[dict[str, Any]]:
        """Return Notification entities; ``posts`` are the statuses they are
        about, with viewer flags (``posts_by_id``), rendered as one page."""
        shown = list(posts.values())
        statuses = {p.id: s for p, s in zip(shown, self.statuses(shown), strict=True)}
        return [
            {
                "id": str(note.id),
                "type": NOTIFICATION_TYPES[note.type],
                "created_at": rfc3339(note.created_at),
                "group_key": f"ungrouped-{note.id}",
                "account": self.account(note.actor),
                "status": statuses.get(note.post_id) if note.post_id else None,
            }
            for note in notes
        ]


def _card(story: Story) -> dict[str, Any]:
    """Return a story's PreviewCard: its fetched preview, else its own
    title and blurb (Mastodon §6: stories may carry the link preview)."""
    return {
        "url": story.normalised_url,
        "title": story.preview_title or story.title,
        "description": story.preview_description or story.blurb,
        "type": "link",
        "author_name": "",
        "author_url": "",
        "provider_name": story.preview_site_name or story.domain,
        "provider_url": "",
        "html": "",
        "width": 0,
        "height": 0,
        "image": story.preview_image_url or None,
        "embed_url": "",
        "blurhash": None,
    }


# Every context a Mastodon filter can apply in: the label applies in all.
FILTER_CONTEXTS = ["home", "notifications", "public", "thread", "account"]


def promotional_filter_result(post: Post) -> dict[str, Any]:
    """Return the FilterResult that collapses a labelled post in clients.

    Mastodon's own "warn" filters work the same way: the client shows the
    filter's title in place of the status until the reader opens it, so
    the title carries the label and its reason.
    """
    source = PromotionalSource(post.promotional_source).label
    return {
        "filter": {
            "id": "promotional",
            "title": f"Promotional (labelled by {source}): {post.promotional_reason}",
            "context": FILTER_CONTEXTS,
            "expires_at": None,
            "filter_action": "warn",
        },
        "keyword_matches": None,
        "status_matches": [str(post.id)],
    }


def relationship(account_id: int, found: Relationship) -> dict[str, Any]:
    """Return a Relationship entity."""
    return {
        "id": str(account_id),
        "following": found.following,
        "showing_reblogs": found.following,
        "notifying": False,
        "followed_by": found.followed_by,
        "blocking": found.blocking,
        "blocked_by": found.blocked_by,
        "muting": found.muting,
        "muting_notifications": found.muting,
        "requested": found.requested,
        "requested_by": found.requested_by,
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
        "languages": None,
        "muting_expires_at": None,
    }


def application(app: Application, *, secret: str | None = None) -> dict[str, Any]:
    """Return the Application entity; with ``secret``, the credentials too."""
    uris = app.redirect_uris.split()
    rendered: dict[str, Any] = {
        "id": str(app.pk),
        "name": app.name,
        "website": app.website or None,
        "scopes": app.scopes.split(),
        "redirect_uris": uris,
        "redirect_uri": "\n".join(uris),
        "vapid_key": "",
    }
    if secret is not None:
        rendered["client_id"] = app.client_id
        rendered["client_secret"] = secret
        rendered["client_secret_expires_at"] = 0
    return rendered
