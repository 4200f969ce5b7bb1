"""Reads about accounts."""

from typing import Literal

from django.db.models import QuerySet
from django.http import Http404

from hubbub.accounts.models import Account, Follow

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
