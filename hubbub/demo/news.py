"""Seed the demo community's social news: the ``news`` part of community.json.

Members join, submit, digg, bury, comment and favourite through the news
and posts actions, so every story is where the rules put it: six promoted
to the front page with comment threads, six in Upcoming at different
distances from the threshold (one still in its first 20 minutes, so the
worker promotes it a few minutes after the seed), and one held for review
by its buries. Only the clock is moved, as the demo does for notes:
members joined months ago (days, for the three new ones), stories were
submitted hours ago, and a promoted story is promoted as of the moment its
entry names, by the same re-tally a digg runs. Link previews come with the
data (the demo must not fetch the web), stored as the fetch job stores
them; the job then finds them done.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction

from hubbub.accounts.actions import follow_account, sign_up, update_profile
from hubbub.accounts.models import Account
from hubbub.core.text import check_note_text
from hubbub.news import actions as news_actions
from hubbub.news import tasks as news_tasks
from hubbub.news.models import PreviewState, State, Story
from hubbub.posts.actions import _do_publish_note, favourite_post
from hubbub.posts.models import Post, Visibility

# hours before the seed at which the news members introduce themselves:
# before any story, so every digg comes from an account that has posted.
INTRODUCTIONS_HOURS_AGO = 30.0


@dataclass(frozen=True, slots=True)
class SeededNews:
    """What ``seed_news`` wrote: its members, stories by state, and every
    post (for the fan-out the demo runs at once)."""

    members: int
    states: dict[str, int]
    posts: list[Post]

    def describe(self) -> str:
        held = self.states.get(State.REVIEW, 0)
        return (
            f"{self.members} news members, "
            f"{self.states.get(State.PROMOTED, 0)} promoted stories, "
            f"{self.states.get(State.UPCOMING, 0)} upcoming, "
            f"{held} held for review"
        )


def seed_news(data: dict[str, Any], *, password: str, now: datetime) -> SeededNews:
    """Seed ``data`` (community.json's ``news``) as of ``now``.

    Call inside the demo's transaction: a bad entry raises CommandError and
    the whole seed rolls back.
    """
    members = _join(data["accounts"], password=password, now=now)
    for follower, followee in data.get("follows", []):
        _act(
            f"follow @{follower} -> @{followee}",
            follow_account,
            _member(members, follower),
            followee=_member(members, followee),
        )
    posts = _introduce(data["accounts"], members, now=now)
    # The actions read an account's age and posts from the object passed.
    for account in members.values():
        account.refresh_from_db()
    comments: dict[str, Post] = {}
    stories = sorted(data["stories"], key=lambda s: -float(s["hours_ago"]))
    for entry in stories:
        story = _submit(entry, members, now=now)
        posts.append(story.post)
        posts += _comment(entry, story, members, comments)
    for username, key in data.get("comment_favourites", []):
        _act(
            f"favourite of {key}",
            favourite_post,
            _member(members, username),
            post=_keyed(comments, key),
        )
    for username, key, reason in data.get("comment_buries", []):
        _act(
            f"bury of {key}",
            news_actions.bury_comment,
            _member(members, username),
            post=_keyed(comments, key),
            reason=reason,
        )
    # Ranks as of now, as the worker's refresh keeps them.
    news_tasks.refresh_front_page(now)
    states: dict[str, int] = {}
    for state in Story.objects.values_list("state", flat=True):
        states[state] = states.get(state, 0) + 1
    return SeededNews(members=len(members), states=states, posts=posts)


def _join(
    entries: Iterable[dict[str, Any]], *, password: str, now: datetime
) -> dict[str, Account]:
    members: dict[str, Account] = {}
    for entry in entries:
        username = entry["username"]
        account = _act(
            f"account @{username}",
            sign_up,
            username=username,
            password=password,
            display_name=entry["display_name"],
        )
        _act(
            f"profile of @{username}",
            update_profile,
            account,
            display_name=entry["display_name"],
            bio=entry["bio"],
        )
        joined = now - timedelta(days=float(entry["joined_days_ago"]))
        Account.objects.filter(pk=account.pk).update(date_joined=joined)
        members[username] = account
    return members


def _introduce(
    entries: list[dict[str, Any]], members: dict[str, Account], *, now: datetime
) -> list[Post]:
    """Publish each member's first note, a minute apart, oldest first."""
    return [
        _do_publish_note(
            members[entry["username"]],
            text=_text(entry["intro"]),
            visibility=Visibility.PUBLIC,
            created_at=now
            - timedelta(hours=INTRODUCTIONS_HOURS_AGO, minutes=len(entries) - n),
        )
        for n, entry in enumerate(entries)
    ]


def _submit(
    entry: dict[str, Any], members: dict[str, Account], *, now: datetime
) -> Story:
    """Submit, digg and bury one story; return it where the rules put it.

    The diggs come while the story is new (inside its dwell, so none
    promotes it yet); then its submission moves back to ``hours_ago`` and
    the story is re-tallied as of the moment it would have been promoted
    (``promoted_after_minutes`` after submission), or as of now.
    """
    submitter = _member(members, entry["submitter"])
    done = _act(
        f"story {entry['key']!r}",
        news_actions.submit_story,
        submitter,
        url=entry["url"],
        title=entry["title"],
        blurb=entry.get("blurb", ""),
        topic=entry.get("topic", ""),
    )
    if not done.created:
        raise CommandError(f"Demo story {entry['key']!r} repeats another's link.")
    story: Story = done.story
    preview = entry["preview"]
    voters = [entry["submitter"]] if entry.get("own_digg") else []
    for username in [*voters, *entry["diggers"]]:
        _act(
            f"digg of {entry['key']!r}",
            news_actions.digg_story,
            _member(members, username),
            story=story,
        )
    submitted = now - timedelta(hours=float(entry["hours_ago"]))
    Story.objects.filter(pk=story.pk).update(
        submitted_at=submitted,
        preview_state=PreviewState.DONE,
        preview_title=preview["title"],
        preview_description=preview["description"],
        preview_site_name=preview["site_name"],
    )
    Post.objects.filter(pk=story.pk).update(created_at=submitted)
    promoted_after = entry.get("promoted_after_minutes")
    moment = now
    if promoted_after is not None:
        moment = submitted + timedelta(minutes=float(promoted_after))
    with transaction.atomic():
        locked = news_actions.lock_story(story.pk)
        assert locked is not None  # noqa: S101 - submitted just above
        news_actions.retally(locked, now=moment)
    for username, reason in entry.get("buriers", []):
        _act(
            f"bury of {entry['key']!r}",
            news_actions.bury_story,
            _member(members, username),
            story=story,
            reason=reason,
        )
    story.refresh_from_db()
    wanted = State.PROMOTED if promoted_after is not None else None
    if wanted is not None and story.state != wanted:
        raise CommandError(
            f"Demo story {entry['key']!r} was meant to be promoted but is "
            f"{story.state}: its diggers do not meet the rules."
        )
    return story


def _comment(
    entry: dict[str, Any],
    story: Story,
    members: dict[str, Account],
    comments: dict[str, Post],
) -> list[Post]:
    """Publish a story's comments at their times, each answering the story
    or the earlier comment its ``in_reply_to`` names."""
    written = []
    thread = {entry["key"]: story.post}
    for comment in sorted(entry.get("comments", []), key=lambda c: c["minutes_after"]):
        parent = _keyed(thread, comment.get("in_reply_to", entry["key"]))
        post = _do_publish_note(
            _member(members, comment["author"]),
            text=_text(comment["text"]),
            visibility=Visibility.PUBLIC,
            created_at=story.submitted_at
            + timedelta(minutes=float(comment["minutes_after"])),
            in_reply_to=parent,
        )
        if comment["key"] in comments:
            raise CommandError(f"Two demo comments have the key {comment['key']!r}.")
        thread[comment["key"]] = comments[comment["key"]] = post
        written.append(post)
    return written


def _text(text: str) -> str:
    try:
        return check_note_text(text)
    except ValidationError as e:
        raise CommandError(
            f"Demo note {text!r} is invalid: {' '.join(e.messages)}"
        ) from e


def _act(what: str, action: Any, *args: Any, **kwargs: Any) -> Any:
    """Call an action; its refusal becomes the demo's CommandError."""
    try:
        return action(*args, **kwargs)
    except ValidationError as e:
        raise CommandError(f"Demo {what} is invalid: {' '.join(e.messages)}") from e


def _member(members: dict[str, Account], username: str) -> Account:
    return _named(members, username, "@")


def _keyed(posts: dict[str, Post], key: str) -> Post:
    return _named(posts, key, "post ")


def _named[T](table: dict[str, T], key: str, kind: str) -> T:
    """Return what the data names, or say it names nothing defined earlier."""
    if key not in table:
        raise CommandError(
            f"The demo news names {kind}{key}, which it does not define earlier."
        )
    return table[key]
