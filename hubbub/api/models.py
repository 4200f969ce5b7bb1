"""What the API keeps of its own: client apps and idempotency keys."""

from django.conf import settings
from django.db import models
from oauth2_provider.models import AbstractApplication

from hubbub.api.scopes import covers, parse_scopes

APP_NAME_MAX_LENGTH = 200
APP_WEBSITE_MAX_LENGTH = 2000
REDIRECT_URIS_MAX_LENGTH = 2000
IDEMPOTENCY_KEY_MAX_LENGTH = 255


class Application(AbstractApplication):
    """A registered client app (Mastodon's ``Doorkeeper::Application``).

    One Mastodon app uses the authorization code, password and client
    credentials grants alike, so the grant is not fixed per app.
    """

    website = models.CharField(max_length=APP_WEBSITE_MAX_LENGTH, blank=True)
    # The scopes the app registered for; tokens may ask for these or less.
    scopes = models.CharField(max_length=2000, default="read")

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"

    def allows_grant_type(self, *grant_types: str) -> bool:
        """Return whether any of ``grant_types`` may be used with this app."""
        allowed = {self.GRANT_AUTHORIZATION_CODE, self.GRANT_CLIENT_CREDENTIALS}
        if settings.HUBBUB_OAUTH_PASSWORD_GRANT:
            allowed.add(self.GRANT_PASSWORD)
        return not allowed.isdisjoint(grant_types)

    def redirect_uri_allowed(self, uri: str) -> bool:
        """Return whether ``uri`` is exactly one of the registered URIs.

        Exact matching (no prefix or path tricks) is what Mastodon does, and
        it is the only rule that also fits the out-of-band URN.
        """
        return uri in self.redirect_uris.split()

    def allows_scopes(self, wanted: frozenset[str]) -> bool:
        """Return whether every scope in ``wanted`` is within the app's."""
        registered = parse_scopes(self.scopes)
        return all(covers(registered, scope) for scope in wanted)


class IdempotencyKey(models.Model):
    """A status created with an ``Idempotency-Key``, kept for an hour.

    Written in the same transaction as the status, so a retried request
    finds either both or neither.
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "key"], name="idempotency_key_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} for {self.account_id}"
