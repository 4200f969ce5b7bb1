"""Small template filters for hubbub's pages."""

from datetime import datetime, timedelta
from functools import lru_cache

from django import template
from django.contrib.auth.models import AnonymousUser
from django.template import Context
from django.utils import timezone
from django.utils.html import avoid_wrapping
from django.utils.safestring import SafeString
from django.utils.timesince import TIME_STRINGS, timesince
from django.utils.translation import get_language

from hubbub.accounts.models import Account
from hubbub.posts.models import Post
from hubbub.posts.queries import promotion_collapsed
from hubbub.timelines.queries import TimelineRow

register = template.Library()


# Below four weeks no calendar month can have passed, so the first unit
# timesince would name is the largest of these that fits.
_UNITS = (("week", 7 * 24 * 3600), ("day", 24 * 3600), ("hour", 3600), ("minute", 60))
_NO_MONTH_YET = 28 * 24 * 3600


@lru_cache(maxsize=1024)
def _unit_text(unit: str, count: int, language: str | None) -> str:
    # Translated and non-breaking, as timesince words it; cached because
    # the lazy plural lookup costs more than all the arithmetic.
    return avoid_wrapping(TIME_STRINGS[unit] % {"num": count})


@register.filter
def ago(moment: datetime) -> str:
    """Say how long ago ``moment`` was, "just now" for under a minute.

    The largest unit only, as timesince words it ("5 minutes ago").
    """
    delta = timezone.now() - moment
    # timesince ignores microseconds.
    seconds = delta.days * 24 * 3600 + delta.seconds
    if seconds < 60:
        return "just now"
    if seconds < _NO_MONTH_YET:
        for unit, size in _UNITS:
            if seconds >= size:
                return f"{_unit_text(unit, seconds // size, get_language())} ago"
    return f"{timesince(moment, depth=1)} ago"


def ago_changes_at(moment: datetime, now: datetime) -> datetime | None:
    """Return when ``ago(moment)``, as worded at ``now``, will next word it
    differently, or None past four weeks, where calendar months decide
    (ask ``ago`` then)."""
    delta = now - moment
    seconds = delta.days * 24 * 3600 + delta.seconds
    if seconds >= _NO_MONTH_YET:
        return None
    # Each unit is a whole number of the next smaller, so the count of
    # the largest unit that fits changes first.
    size = next((size for _, size in _UNITS if seconds >= size), 60)
    return moment + timedelta(seconds=(max(seconds, 0) // size + 1) * size)


@register.simple_tag(takes_context=True)
def timeline_post(context: Context, post: "Post | TimelineRow") -> SafeString:
    """Render ``web/partials/post.html`` for a timeline's ``post`` (a home
    timeline's row), reusing an identical earlier rendering (see
    ``hubbub.web.fragments``)."""
    # Imported here: fragments uses the ``ago`` filter above.
    from hubbub.web.fragments import render_post, render_row

    if isinstance(post, TimelineRow):
        return render_row(context, post)
    return render_post(context, post)


@register.simple_tag(takes_context=True)
def composer(context: Context) -> SafeString:
    """Render ``web/partials/compose.html``, an empty composer from the
    cache (see ``hubbub.web.fragments``)."""
    from hubbub.web.fragments import render_compose

    return render_compose(context)


@register.simple_tag(takes_context=True)
def site_header(context: Context) -> SafeString:
    """Render ``web/partials/site_header.html``, from the cache when the
    same reader saw it on the same page (see ``hubbub.web.fragments``)."""
    from hubbub.web.fragments import render_site_header

    return render_site_header(context)


@register.filter
def collapsed_for(post: Post, user: Account | AnonymousUser | None) -> bool:
    """Say whether ``post`` shows collapsed behind its promotional label."""
    return promotion_collapsed(post, user if isinstance(user, Account) else None)
