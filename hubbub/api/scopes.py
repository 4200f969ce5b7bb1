"""Mastodon's OAuth scopes: the broad ones and the granular ones they cover."""

READ_SCOPES = tuple(
    f"read:{name}"
    for name in (
        "accounts", "blocks", "bookmarks", "favourites", "filters", "follows",
        "lists", "mutes", "notifications", "search", "statuses",
    )
)  # fmt: skip
WRITE_SCOPES = tuple(
    f"write:{name}"
    for name in (
        "accounts", "blocks", "bookmarks", "conversations", "favourites",
        "filters", "follows", "lists", "media", "mutes", "notifications",
        "reports", "statuses",
    )
)  # fmt: skip
# The legacy "follow" scope covers exactly these (Mastodon's scope table).
FOLLOW_SCOPES = (
    "read:blocks",
    "read:follows",
    "read:mutes",
    "write:blocks",
    "write:follows",
    "write:mutes",
)
BROAD_SCOPES = ("read", "write", "follow", "push", "profile")
ALL_SCOPES = BROAD_SCOPES + READ_SCOPES + WRITE_SCOPES
DESCRIPTIONS = {
    "read": "Read everything your account can see",
    "write": "Post, follow and change things as you",
    "follow": "Follow, unfollow, block and mute accounts",
    "push": "Receive push notifications",
    "profile": "Read your own profile only",
    **{s: f"Read your {s.partition(':')[2]}" for s in READ_SCOPES},
    **{s: f"Change your {s.partition(':')[2]}" for s in WRITE_SCOPES},
}
DEFAULT_SCOPES = ("read",)


def covers(granted: frozenset[str], wanted: str) -> bool:
    """Return whether the ``granted`` scopes include ``wanted``.

    ``read`` covers every ``read:*``, ``write`` every ``write:*`` and
    ``follow`` the follow, block and mute scopes.
    """
    if wanted in granted:
        return True
    broad, _, detail = wanted.partition(":")
    if detail and broad in granted:
        return True
    return wanted in FOLLOW_SCOPES and "follow" in granted


def parse_scopes(value: str) -> frozenset[str]:
    """Split a space-separated scope string into a set."""
    return frozenset(value.split())
