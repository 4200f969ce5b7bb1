"""The log-in backend finds a session's account by its prepared query."""

import pytest

from hubbub.accounts.backends import AccountBackend
from hubbub.accounts.models import Account

pytestmark = pytest.mark.django_db


def test_get_user_returns_the_account(alice, bob):
    backend = AccountBackend()

    assert backend.get_user(str(alice.pk)) == alice
    assert backend.get_user(bob.pk) == bob


def test_get_user_refuses_a_suspended_account(alice):
    Account.objects.filter(pk=alice.pk).update(is_active=False)

    assert AccountBackend().get_user(str(alice.pk)) is None


@pytest.mark.parametrize("user_id", ["12345", "0", "-1", "x", None, str(2**64)])
def test_get_user_finds_nobody_for_a_bad_or_unknown_id(alice, user_id):
    assert AccountBackend().get_user(user_id) is None
