"""Members of a news community, built through the real actions."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from hubbub.accounts.actions import follow_account
from hubbub.accounts.models import Account
from hubbub.news.actions import submit_story
from hubbub.news.models import Story
from hubbub.posts.actions import publish_note
from tests.conftest import make_account

_names = itertools.count(1)


def member(
    prefix: str = "member", *, age_days: float = 60, posted: bool = True
) -> Account:
    """Sign up an account that joined ``age_days`` ago, with one note if
    ``posted``: an established member by default."""
    account = make_account(f"{prefix}{next(_names)}")
    joined = timezone.now() - timedelta(days=age_days)
    Account.objects.filter(pk=account.pk).update(date_joined=joined)
    if posted:
        publish_note(account, text="Hello, news.")
    account.refresh_from_db()
    return account


def members(count: int, prefix: str = "member", **options: object) -> list[Account]:
    return [member(prefix, **options) for _ in range(count)]  # type: ignore[arg-type]


def mutual_follow(a: Account, b: Account) -> None:
    follow_account(a, followee=b)
    follow_account(b, followee=a)


def story_by(author: Account, url: str = "https://example.com/a") -> Story:
    return submit_story(author, url=url, title="A story worth reading").story


def submitted_ago(story: Story, minutes: float) -> Story:
    """Move a story's submission back in time (the dwell and the window
    are measured from it), as if it had been submitted ``minutes`` ago."""
    when = timezone.now() - timedelta(minutes=minutes)
    Story.objects.filter(pk=story.pk).update(submitted_at=when)
    story.refresh_from_db()
    return story


@pytest.fixture
def submitter(db) -> Account:
    return member("submitter")
