"""The visibility matrices' world: ava's posts of every visibility and the
viewers around her, with the rule of who may see what written out as tables.

The web pages' matrix (tests/web/test_visibility_matrix.py) and the API's
(tests/api/test_visibility_matrix.py) check one rule against this one world.
The tables are stated independently of ``visible_posts``: the tests state the
rule, the code has to meet it.
"""

from dataclasses import dataclass

import pytest
from django.test import Client

from hubbub.accounts.actions import block_account, follow_account, unfollow_account
from hubbub.accounts.models import Account
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Post
from tests.conftest import make_account

VISIBILITIES = ["public", "unlisted", "followers", "direct"]

# The viewers, by their relation to the author ava.
AUTHOR = "author"  # ava herself
FOLLOWER = "follower"  # fay follows ava
MENTIONED = "mentioned"  # mo is mentioned in every post, follows no one
STRANGER = "stranger"  # sid: no relation at all
FORMER = "former"  # flo followed ava while she posted, then unfollowed (B-89)
BLOCKED = "blocked"  # bea followed and is mentioned, then ava blocked her
ANONYMOUS = "anonymous"  # not signed in
VIEWERS = [AUTHOR, FOLLOWER, MENTIONED, STRANGER, FORMER, BLOCKED, ANONYMOUS]
USERNAMES = {
    AUTHOR: "ava",
    FOLLOWER: "fay",
    MENTIONED: "mo",
    STRANGER: "sid",
    FORMER: "flo",
    BLOCKED: "bea",
}

# The rule, stated here on its own: who may see a post of each visibility.
# Nothing crosses a block, whatever the visibility or mention.
EVERYONE = {AUTHOR, FOLLOWER, MENTIONED, STRANGER, FORMER, ANONYMOUS}
MAY_SEE = {
    "public": EVERYONE,
    "unlisted": EVERYONE,
    "followers": {AUTHOR, FOLLOWER, MENTIONED},
    "direct": {AUTHOR, MENTIONED},
}
# Whose home timeline a post reaches: the author's own, followers' (except
# direct posts) and the mentioned; a block or an unfollow takes it out again.
IN_HOME = {
    "public": {AUTHOR, FOLLOWER, MENTIONED},
    "unlisted": {AUTHOR, FOLLOWER, MENTIONED},
    "followers": {AUTHOR, FOLLOWER, MENTIONED},
    "direct": {AUTHOR, MENTIONED},
}
# Who has a mention notification about a post: the mentioned who may see it.
NOTIFIED = {vis: {MENTIONED} & MAY_SEE[vis] for vis in VISIBILITIES}

TAG = "vmxtag"
SEARCH = {"q": "matrix", "type": "notes"}


@dataclass(frozen=True)
class Note:
    """One of ava's posts in the matrix."""

    key: str
    visibility: str
    marker: str
    # The post it answers (a key), if any.
    parent: str | None
    post: Post


@dataclass
class World:
    accounts: dict[str, Account]
    notes: dict[str, Note]

    def client(self, viewer: str) -> Client:
        client = Client()
        if viewer != ANONYMOUS:
            client.force_login(self.accounts[viewer])
        return client

    def thread_of(self, key: str) -> list[str]:
        """The notes a note's page may show: itself, its ancestors and its
        descendants. The caller keeps those the viewer may see; here no note
        is wider than its parent, so no visible reply hangs under a hidden
        one (which the page would leave out)."""
        shown = [key]
        parent = self.notes[key].parent
        while parent is not None:
            shown.append(parent)
            parent = self.notes[parent].parent
        below = [key]
        while below:
            current = below.pop()
            children = [n.key for n in self.notes.values() if n.parent == current]
            shown.extend(children)
            below.extend(children)
        return shown


def may_see(viewer: str, note: Note) -> bool:
    return viewer in MAY_SEE[note.visibility]


@pytest.fixture
def world(run_jobs) -> World:
    """ava's posts of every visibility, with a reply to each, and around them
    a follower, a mentioned account, a stranger, a former follower and a
    blocked account (who was a mentioned follower until the block)."""
    accounts = {role: make_account(name) for role, name in USERNAMES.items()}
    ava = accounts[AUTHOR]
    for role in (FOLLOWER, FORMER, BLOCKED):
        follow_account(accounts[role], followee=ava)
    notes: dict[str, Note] = {}

    def publish(key: str, visibility: str, parent: str | None) -> None:
        marker = f"vmx{key.replace('-', '')}"
        post = publish_note(
            ava,
            text=f"{marker} in the matrix #{TAG} @mo @bea",
            visibility=visibility,
            in_reply_to=notes[parent].post if parent else None,
        )
        notes[key] = Note(key, visibility, marker, parent, post)
        assert set(post.mentions.values_list("account__username", flat=True)) == {
            "mo",
            "bea",
        }

    with run_jobs():
        for vis in VISIBILITIES:
            publish(f"root-{vis}", vis, None)
            # A reply of the same visibility, so thread pages matter.
            publish(f"reply-{vis}", vis, f"root-{vis}")
        for vis in VISIBILITIES[1:]:
            # Narrower replies under the public note: its page must show
            # each only to those who may see it.
            publish(f"aside-{vis}", vis, "root-public")
    with run_jobs():
        # After the fan-out and the notifications: both must be undone.
        unfollow_account(accounts[FORMER], followee=ava)
        block_account(ava, target=accounts[BLOCKED])
    return World(accounts, notes)


def in_home(viewer: str, note: Note) -> bool:
    return viewer in IN_HOME[note.visibility] and may_see(viewer, note)


def public_only(viewer: str, note: Note) -> bool:
    # Unlisted, followers-only and direct posts stay off public and tag pages.
    return note.visibility == "public" and may_see(viewer, note)


def notified(viewer: str, note: Note) -> bool:
    return viewer in NOTIFIED[note.visibility]
