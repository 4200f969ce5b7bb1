"""Mastodon entities as plain dicts, rendered by orjson.

One ``Serializer`` lives for one request: it knows the site's address and
the viewer, renders each account once however many of its statuses are on
the page, and loads the viewer's flags for a whole page in one batch.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse

from hubbub.accounts.models import Account
from hubbub.accounts.queries import follow_links
from hubbub.api.models import Application
from hubbub.posts.models import Post, Visibility
from hubbub.posts.queries import author_ids, reblogged_ids

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


@dataclass(slots=True)
class StatusFlags:
    """What one viewer has done to a page of statuses, loaded in one batch."""

    viewer: Account | None
    reblogged: set[int] = field(default_factory=set)
    reply_authors: dict[int, int] = field(default_factory=dict)


def load_status_flags(viewer: Account | None, posts: list[Post]) -> StatusFlags:
    """Load the viewer flags and reply parents for ``posts`` at once."""
    shown = {p.reblog_of.id if p.reblog_of else p.id for p in posts}
    parents = {
        parent
        for p in posts
        for parent in (p.in_reply_to_id, p.reblog_of and p.reblog_of.in_reply_to_id)
        if parent
    }
    return StatusFlags(
        viewer=viewer,
        reblogged=reblogged_ids(viewer, shown) if viewer else set(),
        reply_authors=author_ids(parents),
    )


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
        self._avatar = self.base + static(DEFAULT_AVATAR)
        self._header = self.base + static(DEFAULT_HEADER)

    def profile_url(self, account: Account) -> str:
        """Return the account's profile page."""
        return self.base + reverse("web:profile", args=[account.username])

    def account(self, account: Account) -> dict[str, Any]:
        """Return the Account entity."""
        cached = self._accounts.get(account.pk)
        if cached is not None:
            return cached
        created = account.date_joined.astimezone(UTC)
        last = account.last_post_at
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
        }
        self._accounts[account.pk] = rendered
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
        flags = load_status_flags(self.viewer, posts)
        return [self._status(post, flags) for post in posts]

    def status(self, post: Post) -> dict[str, Any]:
        """Return one Status entity."""
        return self.statuses([post])[0]

    def _status(self, post: Post, flags: StatusFlags) -> dict[str, Any]:
        author = self.account(post.author)
        original = post.reblog_of
        reply_to = post.in_reply_to_id
        rendered: dict[str, Any] = {
            "id": str(post.id),
            "uri": f"{author['uri']}/statuses/{post.id}",
            # The web's note page is the profile URL plus the id; a
            # reverse() per status would cost more than the rest together.
            "url": f"{author['url']}/{post.id}",
            "created_at": rfc3339(post.created_at),
            "edited_at": None,
            "account": author,
            "content": "" if original else post.html,
            "visibility": VISIBILITY_NAMES[post.visibility],
            "sensitive": False,
            "spoiler_text": "",
            "in_reply_to_id": str(reply_to) if reply_to else None,
            "in_reply_to_account_id": (
                str(flags.reply_authors[reply_to])
                if reply_to in flags.reply_authors
                else None
            ),
            "reblog": self._status(original, flags) if original else None,
            "language": None,
            "replies_count": post.replies_count,
            "reblogs_count": post.reblogs_count,
            "favourites_count": post.favourites_count,
            "mentions": [],
            "tags": [],
            "emojis": [],
            "media_attachments": [],
            "card": None,
            "poll": None,
        }
        if flags.viewer is not None:
            rendered["favourited"] = False
            rendered["reblogged"] = post.id in flags.reblogged
            rendered["muted"] = False
            rendered["bookmarked"] = False
            if post.author_id == flags.viewer.pk:
                rendered["pinned"] = False
        return rendered

    def relationships(
        self, me: Account, accounts: list[Account]
    ) -> list[dict[str, Any]]:
        """Return Relationship entities between ``me`` and ``accounts``."""
        following, followed_by = follow_links(me, [a.pk for a in accounts])
        return [
            relationship(
                account.pk,
                following=account.pk in following,
                followed_by=account.pk in followed_by,
            )
            for account in accounts
        ]


def relationship(
    account_id: int, *, following: bool, followed_by: bool
) -> dict[str, Any]:
    """Return a Relationship entity (blocks, mutes and requests come later)."""
    return {
        "id": str(account_id),
        "following": following,
        "showing_reblogs": following,
        "notifying": False,
        "followed_by": followed_by,
        "blocking": False,
        "blocked_by": False,
        "muting": False,
        "muting_notifications": False,
        "requested": False,
        "requested_by": False,
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
