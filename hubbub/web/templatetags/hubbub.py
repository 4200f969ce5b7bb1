"""Small template filters for hubbub's pages."""

from datetime import datetime

from django import template
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.timesince import timesince

from hubbub.accounts.models import Account
from hubbub.posts.models import Post
from hubbub.posts.queries import promotion_collapsed

register = template.Library()


@register.filter
def ago(moment: datetime) -> str:
    """Say how long ago ``moment`` was, "just now" for under a minute."""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment).split(',')[0]} ago"


@register.filter
def collapsed_for(post: Post, user: Account | AnonymousUser | None) -> bool:
    """Say whether ``post`` shows collapsed behind its promotional label."""
    return promotion_collapsed(post, user if isinstance(user, Account) else None)
