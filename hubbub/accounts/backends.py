"""Log-in: Django's password check, behind hubbub's log-in limits."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from hubbub.accounts.models import Account
from hubbub.core.ratelimits import enforce


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
