"""Seed the demo community into an empty database."""

import json
from datetime import timedelta
from importlib import resources
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from hubbub.accounts.actions import follow_account, sign_up, update_profile
from hubbub.accounts.models import Account
from hubbub.core.text import check_note_text
from hubbub.posts.actions import _do_publish_note
from hubbub.posts.models import Visibility
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
        "Seed the demo community (12 accounts, their follows and a few days of "
        f"notes) into an empty database. Every password is {DEMO_PASSWORD!r}."
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
            post_ids = self._publish_notes(community["notes"], accounts)
            # Fan-out jobs are only queued on commit and a worker may not be
            # running yet; running them here makes the demo complete at once.
            for post_id in post_ids:
                fan_out_post.call(post_id)
        self.stdout.write(
            f"Seeded the demo community: {len(accounts)} accounts, {follows} "
            f"follows, {len(post_ids)} notes (password: {DEMO_PASSWORD})."
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
        count = 0
        for entry in entries:
            follower = accounts[entry["username"]]
            for followee_name in entry["follows"]:
                followee = self._account(accounts, followee_name)
                try:
                    follow_account(follower, followee=followee)
                except ValidationError as e:
                    raise CommandError(
                        f"Demo follow @{follower.username} -> @{followee_name} "
                        f"is invalid: {' '.join(e.messages)}"
                    ) from e
                count += 1
        return count

    def _publish_notes(
        self, entries: list[dict[str, Any]], accounts: dict[str, Account]
    ) -> list[int]:
        now = timezone.now()
        post_ids = []
        # Oldest first, so each author's last_post_at ends on their newest note.
        for entry in sorted(entries, key=lambda e: -float(e["hours_ago"])):
            author = self._account(accounts, entry["author"])
            try:
                text = check_note_text(entry["text"])
            except ValidationError as e:
                raise CommandError(
                    f"Demo note {entry['text']!r} is invalid: {' '.join(e.messages)}"
                ) from e
            post = _do_publish_note(
                author,
                text=text,
                visibility=Visibility.PUBLIC,
                created_at=now - timedelta(hours=float(entry["hours_ago"])),
            )
            post_ids.append(post.id)
        return post_ids

    @staticmethod
    def _account(accounts: dict[str, Account], username: str) -> Account:
        try:
            return accounts[username]
        except KeyError:
            raise CommandError(
                f"The demo data names @{username}, who is not a demo account."
            ) from None
