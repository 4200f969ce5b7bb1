"""Log-in: Django's password check, behind hubbub's log-in limits."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import QuerySet
from django.http import HttpRequest

from hubbub.accounts.models import Account
from hubbub.core.prepared import PreparedQueries, Stand
from hubbub.core.ratelimits import enforce

# Ids are positive signed 64-bit integers.
_LARGEST_ID = 2**63 - 1
# Every signed-in request looks its account up: compile that query once.
_accounts = PreparedQueries(Account)


def _by_id(stand: Stand) -> QuerySet[Account]:
    return Account.objects.filter(pk=stand.value("id"))


class AccountBackend(ModelBackend):
    """Check a handle and password, counting each try against the limits.

    Every path that checks a password (the web log-in form, the OAuth
    password grant) calls ``authenticate``, so the limits hold on all of
    them. A wrong guess counts as much as a right one; inactive
    (suspended) accounts are refused, as ModelBackend does.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Account | None:
        if username is not None:
            enforce("login", subject=username.strip().lower())
        return super().authenticate(
            request, username=username, password=password, **kwargs
        )

    def get_user(self, user_id: Any) -> Account | None:
        """Return the account a session names, if it may still sign in."""
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        if not 0 < pk <= _LARGEST_ID:
            return None
        found = _accounts.run("by id", _by_id, values={"id": pk})
        if found and self.user_can_authenticate(found[0]):
            return found[0]
        return None
