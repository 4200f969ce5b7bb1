"""Reads about accounts."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import Http404

from hubbub.accounts.models import Account, Block, Follow, FollowRequest, Mute

FOLLOW_LIST_LIMIT = 200


def get_account(username: str) -> Account:
    """Return the active account with this handle (any case), or raise Http404."""
    try:
        return Account.objects.get(username__iexact=username, is_active=True)
    except Account.DoesNotExist as e:
        raise Http404("No such account.") from e


def is_following(viewer: Account | None, account: Account) -> bool:
    """Return whether ``viewer`` follows ``account``."""
    if viewer is None or viewer.pk == account.pk:
        return False
    return Follow.objects.filter(follower=viewer, followee=account).exists()


def follow_list(
    account: Account, *, which: Literal["followers", "following"] | str
) -> QuerySet[Account]:
    """Return who follows ``account`` or whom it follows, by handle."""
    links = (
        Follow.objects.filter(followee=account).values_list("follower_id")
        if which == "followers"
        else Follow.objects.filter(follower=account).values_list("followee_id")
    )
    people = Account.objects.filter(pk__in=links, is_active=True)
    return people.order_by("username")[:FOLLOW_LIST_LIMIT]


def get_account_by_id(account_id: int) -> Account:
    """Return the active account with this id, or raise Http404."""
    try:
        return Account.objects.get(pk=account_id, is_active=True)
    except (Account.DoesNotExist, OverflowError, ValueError) as e:
        raise Http404("No such account.") from e


def get_accounts_by_id(account_ids: list[int]) -> list[Account]:
    """Return the active accounts among ``account_ids``, in that order."""
    found = Account.objects.in_bulk(account_ids)
    return [found[pk] for pk in account_ids if pk in found and found[pk].is_active]


def username_for_login(identifier: str) -> str | None:
    """Return the handle of the active account whose e-mail is ``identifier``."""
    if "@" not in identifier:
        return None
    found: str | None = (
        Account.objects.filter(email__iexact=identifier, is_active=True)
        .values_list("username", flat=True)
        .first()
    )
    return found


@dataclass(frozen=True, slots=True)
class Relationship:
    """How the viewer and one account stand (Mastodon's Relationship)."""

    following: bool = False
    requested: bool = False
    followed_by: bool = False
    requested_by: bool = False
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False


def relationships(
    viewer: Account | None, account_ids: Iterable[int]
) -> dict[int, Relationship]:
    """Return how ``viewer`` stands with each account, in one query.

    Unknown ids are left out; with no viewer every answer is all False.
    """
    ids = list(account_ids)
    if viewer is None or not viewer.is_authenticated:
        return {account_id: Relationship() for account_id in ids}
    me, them = viewer.pk, OuterRef("pk")
    rows = Account.objects.filter(pk__in=ids).values_list(
        "pk",
        Exists(Follow.objects.filter(follower_id=me, followee_id=them)),
        Exists(FollowRequest.objects.filter(follower_id=me, followee_id=them)),
        Exists(Follow.objects.filter(follower_id=them, followee_id=me)),
        Exists(FollowRequest.objects.filter(follower_id=them, followee_id=me)),
        Exists(Block.objects.filter(account_id=me, target_id=them)),
        Exists(Block.objects.filter(account_id=them, target_id=me)),
        Exists(Mute.objects.filter(account_id=me, target_id=them)),
    )
    return {
        pk: Relationship(*flags) if pk != me else Relationship() for pk, *flags in rows
    }


def relationship(viewer: Account | None, account: Account) -> Relationship:
    """Return how ``viewer`` stands with ``account``: one query, or none."""
    if viewer is None or not viewer.is_authenticated or viewer.pk == account.pk:
        return Relationship()
    return relationships(viewer, [account.pk]).get(account.pk, Relationship())


def _people_linked(links: QuerySet[Any], person: str) -> QuerySet[Account]:
    """Return the accounts ``links`` point at through ``person``, newest first.

    Each account carries ``link_id``, its link's id: the cursor to page on.
    """
    link_ids = links.filter(**{f"{person}_id": OuterRef("pk")}).values("id")[:1]
    return (
        Account.objects.filter(pk__in=links.values(f"{person}_id"), is_active=True)
        .annotate(link_id=Subquery(link_ids))
        .order_by("-link_id")
    )


def blocked_accounts(account: Account) -> QuerySet[Account]:
    """Return whom ``account`` blocks, most recently blocked first."""
    return _people_linked(Block.objects.filter(account=account), "target")


def muted_accounts(account: Account) -> QuerySet[Account]:
    """Return whom ``account`` mutes, most recently muted first."""
    return _people_linked(Mute.objects.filter(account=account), "target")


def follow_requesters(account: Account) -> QuerySet[Account]:
    """Return who is waiting for ``account`` to approve them, newest first."""
    return _people_linked(FollowRequest.objects.filter(followee=account), "follower")


def followers_of(account: Account) -> QuerySet[Account]:
    """Return who follows ``account``, most recent follow first."""
    return _people_linked(Follow.objects.filter(followee=account), "follower")


def followees_of(account: Account) -> QuerySet[Account]:
    """Return whom ``account`` follows, most recent follow first."""
    return _people_linked(Follow.objects.filter(follower=account), "followee")
