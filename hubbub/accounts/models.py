"""People and the links between them."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower

from hubbub.core.ids import new_id

USERNAME_MAX_LENGTH = 30
DISPLAY_NAME_MAX_LENGTH = 30
BIO_MAX_LENGTH = 500


class PromotionalPosts(models.TextChoices):
    """What a reader wants done with posts labelled promotional."""

    SHOW = "show", "Show them, with their label"
    COLLAPSE = "collapse", "Collapse them behind their label"
    HIDE = "hide", "Hide them everywhere"


class AccountManager(UserManager["Account"]):
    def get_by_natural_key(self, username: str | None) -> "Account":
        # Handles are unique regardless of case, so log-in is too.
        return self.get(username__iexact=username)


class Account(AbstractUser):
    """A person on this server: their handle, profile and counters."""

    id = models.BigIntegerField(primary_key=True, default=new_id, editable=False)
    display_name = models.CharField(max_length=DISPLAY_NAME_MAX_LENGTH, blank=True)
    bio = models.TextField(max_length=BIO_MAX_LENGTH, blank=True)
    bio_html = models.TextField(blank=True)
    locked = models.BooleanField(default=False)
    bot = models.BooleanField(default=False)
    # Kept by actions with F() updates; see accounts.actions.
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    posts_count = models.PositiveIntegerField(default=0)
    last_post_at = models.DateTimeField(null=True, blank=True)
    # Notifications with ids up to this one have been read.
    notifications_read_id = models.BigIntegerField(default=0)
    # The reader's choice for promotional posts, applied by visible_posts
    # (hide) and by every renderer (collapse).
    promotional_posts = models.CharField(
        max_length=10,
        choices=PromotionalPosts.choices,
        default=PromotionalPosts.COLLAPSE,
    )
    # Set by moderators (moderation.actions). A silenced account's posts
    # reach only its followers; a suspended one is also made inactive, which
    # ends its sessions, tokens and streams and refuses its log-ins.
    silenced_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    # The reader's choice to leave accounts that only broadcast out of their
    # home timeline (timelines.queries.home_timeline).
    quiet_broadcasters = models.BooleanField(default=False)
    # The conversation signal, over the account's most recent public posts:
    # how many were looked at, how many drew replies from others, and how
    # many more were replies to others. Kept by accounts.signal.
    signal_posts = models.PositiveSmallIntegerField(default=0)
    signal_exchanges = models.PositiveSmallIntegerField(default=0)
    signal_replies = models.PositiveSmallIntegerField(default=0)

    objects = AccountManager()  # type: ignore[misc]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="account_username_ci"),
        ]

    def __str__(self) -> str:
        return f"@{self.username}"

    @property
    def name(self) -> str:
        """The name to show: the display name, else the handle."""
        return self.display_name or self.username


class Follow(models.Model):
    """``follower`` sees ``followee``'s posts in their home timeline."""

    follower = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="following_links"
    )
    followee = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="follower_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["follower", "followee"], name="follow_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("followee")),
                name="follow_not_self",
            ),
        ]
        # Fan-out walks a followee's followers in follower-id order.
        indexes = [models.Index(fields=["followee", "follower"])]

    def __str__(self) -> str:
        return f"{self.follower_id} -> {self.followee_id}"


class FollowRequest(models.Model):
    """``follower`` asked to follow a locked ``followee``, who has not answered."""

    follower = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="follow_requests_sent"
    )
    followee = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="follow_requests"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["follower", "followee"], name="follow_request_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} ?-> {self.followee_id}"


class Block(models.Model):
    """``account`` blocks ``target``: neither sees nor reaches the other."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="blocks"
    )
    target = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="blocked_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "target"], name="block_once"),
        ]
        indexes = [models.Index(fields=["target", "account"])]

    def __str__(self) -> str:
        return f"{self.account_id} blocks {self.target_id}"


class Mute(models.Model):
    """``account`` no longer sees ``target``'s posts in timelines."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="mutes")
    target = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="muted_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "target"], name="mute_once"),
        ]
        indexes = [models.Index(fields=["target", "account"])]

    def __str__(self) -> str:
        return f"{self.account_id} mutes {self.target_id}"
