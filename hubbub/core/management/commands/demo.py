"""Seed the demo community into an empty database."""

import json
from collections.abc import Sequence
from datetime import timedelta
from importlib import resources
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from hubbub.accounts.actions import (
    follow_account,
    set_locked,
    sign_up,
    update_profile,
)
from hubbub.accounts.models import Account
from hubbub.blog.actions import _do_publish, save_draft
from hubbub.blog.content import check_content
from hubbub.core.text import check_note_text
from hubbub.demo.news import seed_news
from hubbub.posts.actions import _do_publish_note, boost_post, favourite_post
from hubbub.posts.models import Post, Visibility
from hubbub.timelines.tasks import fan_out_post

# Every demo account signs in with this; the README says so.
DEMO_PASSWORD = "hubbub-demo"  # noqa: S105


def load_community() -> dict[str, Any]:
    """Return the demo community as stored in ``hubbub/demo/community.json``."""
    source = resources.files("hubbub.demo").joinpath("community.json")
    data: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return data


class Command(BaseCommand):
    help = (
        "Seed the demo community (12 accounts, their follows, a few days of "
        "notes and reply threads, favourites, boosts and a locked account, and "
        "a news community with a front page, Upcoming and a held story) into "
        f"an empty database. Every password is {DEMO_PASSWORD!r}."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        community = load_community()
        # One transaction: a bad entry leaves the database as empty as it was.
        with transaction.atomic():
            if Account.objects.exists():
                raise CommandError(
                    "The database already has accounts; the demo community is "
                    "only seeded into an empty database."
                )
            accounts = self._create_accounts(community["accounts"])
            follows = self._create_follows(community["accounts"], accounts)
            # Locked after the follows above, so its followers stay; only the
            # requests that come later wait for an answer.
            for entry in community["accounts"]:
                if entry.get("locked"):
                    set_locked(accounts[entry["username"]], locked=True)
            requests = self._follow(community.get("follow_requests", []), accounts)
            notes = self._publish_notes(community["notes"], accounts)
            articles = self._publish_articles(community.get("articles", []), accounts)
            # Fan-out jobs are only queued on commit and a worker may not be
            # running yet; running them here makes the demo complete at once.
            # Notes first: a boost skips readers who already have its original.
            for post in [*notes.values(), *articles]:
                fan_out_post.call(post.id)
            favourites = community.get("favourites", [])
            for username, key in favourites:
                favourite_post(
                    self._account(accounts, username), post=self._note(notes, key)
                )
            boosts = community.get("boosts", [])
            for username, key in boosts:
                boost = boost_post(
                    self._account(accounts, username), post=self._note(notes, key)
                )
                fan_out_post.call(boost.id)
            news = seed_news(
                community["news"], password=DEMO_PASSWORD, now=timezone.now()
            )
            for post in news.posts:
                fan_out_post.call(post.id)
        self.stdout.write(
            f"Seeded the demo community: {len(accounts)} accounts, {follows} "
            f"follows, {len(notes)} notes, {len(favourites)} favourites, "
            f"{len(boosts)} boosts, {requests} follow "
            f"request{'' if requests == 1 else 's'}, "
            f"{len(community.get('articles', []))} articles; {news.describe()} "
            f"(password: {DEMO_PASSWORD})."
        )

    def _create_accounts(self, entries: list[dict[str, Any]]) -> dict[str, Account]:
        accounts: dict[str, Account] = {}
        for entry in entries:
            username = entry["username"]
            try:
                account = sign_up(
                    username=username,
                    password=DEMO_PASSWORD,
                    display_name=entry["display_name"],
                )
                update_profile(
                    account, display_name=entry["display_name"], bio=entry["bio"]
                )
            except ValidationError as e:
                raise CommandError(
                    f"Demo account @{username} is invalid: {' '.join(e.messages)}"
                ) from e
            accounts[username] = account
        return accounts

    def _create_follows(
        self, entries: list[dict[str, Any]], accounts: dict[str, Account]
    ) -> int:
        pairs = [(e["username"], name) for e in entries for name in e["follows"]]
        return self._follow(pairs, accounts)

    def _follow(
        self, pairs: Sequence[Sequence[str]], accounts: dict[str, Account]
    ) -> int:
        """Follow each (follower, followee); a locked followee gets a request."""
        for follower_name, followee_name in pairs:
            follower = self._account(accounts, follower_name)
            followee = self._account(accounts, followee_name)
            try:
                follow_account(follower, followee=followee)
            except ValidationError as e:
                raise CommandError(
                    f"Demo follow @{follower_name} -> @{followee_name} "
                    f"is invalid: {' '.join(e.messages)}"
                ) from e
        return len(pairs)

    def _publish_notes(
        self, entries: list[dict[str, Any]], accounts: dict[str, Account]
    ) -> dict[str, Post]:
        """Publish the notes oldest first; return them by key (or position).

        A note with ``in_reply_to`` answers the note with that key, which
        must be older.
        """
        now = timezone.now()
        notes: dict[str, Post] = {}
        # Oldest first, so each author's last_post_at ends on their newest note.
        for index, entry in sorted(
            enumerate(entries), key=lambda ie: -float(ie[1]["hours_ago"])
        ):
            author = self._account(accounts, entry["author"])
            try:
                text = check_note_text(entry["text"])
            except ValidationError as e:
                raise CommandError(
                    f"Demo note {entry['text']!r} is invalid: {' '.join(e.messages)}"
                ) from e
            parent_key = entry.get("in_reply_to")
            parent = None if parent_key is None else self._note(notes, parent_key)
            post = _do_publish_note(
                author,
                text=text,
                visibility=Visibility.PUBLIC,
                created_at=now - timedelta(hours=float(entry["hours_ago"])),
                in_reply_to=parent,
            )
            key = entry.get("key", f"#{index}")
            if key in notes:
                raise CommandError(f"Two demo notes have the key {key!r}.")
            notes[key] = post
        return notes

    def _publish_articles(
        self, entries: list[dict[str, Any]], accounts: dict[str, Account]
    ) -> list[Post]:
        """Publish the articles, backdated, and their comments; return every
        post written (articles and comments), for the fan-out.

        A comment answers the article, or the comment named by its
        ``in_reply_to``. Comments are written as the demo's notes are, so
        none is held for approval.
        """
        now = timezone.now()
        written: list[Post] = []
        for entry in sorted(entries, key=lambda e: -float(e["hours_ago"])):
            author = self._account(accounts, entry["author"])
            try:
                content = check_content(
                    title=entry["title"],
                    source=entry["source"],
                    custom_excerpt=entry.get("excerpt", ""),
                    tags=" ".join(entry.get("tags", [])),
                )
            except ValidationError as e:
                raise CommandError(
                    f"Demo article {entry['title']!r} is invalid: "
                    f"{' '.join(e.messages)}"
                ) from e
            article = save_draft(author, content=content)
            _do_publish(
                article, now, backdate=now - timedelta(hours=entry["hours_ago"])
            )
            assert article.post is not None  # noqa: S101 (just published)
            thread = {entry["key"]: article.post}
            written.append(article.post)
            for comment in entry.get("comments", []):
                parent = self._note(thread, comment.get("in_reply_to", entry["key"]))
                post = _do_publish_note(
                    self._account(accounts, comment["author"]),
                    text=check_note_text(comment["text"]),
                    visibility=Visibility.PUBLIC,
                    created_at=now - timedelta(hours=float(comment["hours_ago"])),
                    in_reply_to=parent,
                )
                thread[comment["key"]] = post
                written.append(post)
        return written

    @staticmethod
    def _note(notes: dict[str, Post], key: str) -> Post:
        try:
            return notes[key]
        except KeyError:
            raise CommandError(
                f"The demo data names note {key!r}, which is not an older demo note."
            ) from None

    @staticmethod
    def _account(accounts: dict[str, Account], username: str) -> Account:
        try:
            return accounts[username]
        except KeyError:
            raise CommandError(
                f"The demo data names @{username}, who is not a demo account."
            ) from None
