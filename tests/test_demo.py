"""The demo community: its data, and the ``demo`` command that seeds it."""

from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks_db.models import DBTaskResult

from hubbub.accounts.actions import sign_up
from hubbub.accounts.models import Account, Follow
from hubbub.core.management.commands.demo import load_community
from hubbub.core.text import check_note_text, count_characters, tokenize
from hubbub.posts.models import Post
from hubbub.timelines.models import TimelineEntry
from hubbub.timelines.queries import home_timeline
from hubbub.timelines.store import PageBounds
from tests.conftest import run_queued_tasks
from tests.factories import PASSWORD

COMMUNITY = load_community()
USERNAMES = [a["username"] for a in COMMUNITY["accounts"]]
FOLLOWS = {a["username"]: set(a["follows"]) for a in COMMUNITY["accounts"]}


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """Hash passwords cheaply: twelve Argon2 hashes per seed slow every test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def table_sizes() -> dict[str, int]:
    return {
        "accounts": Account.objects.count(),
        "follows": Follow.objects.count(),
        "posts": Post.objects.count(),
        "timeline entries": TimelineEntry.objects.count(),
        "jobs": DBTaskResult.objects.count(),
    }


def followers_of(username: str) -> set[str]:
    return {name for name, followees in FOLLOWS.items() if username in followees}


# --- the data ----------------------------------------------------------------


def test_community_has_twelve_distinct_valid_accounts():
    assert len(USERNAMES) == 12
    assert len(set(USERNAMES)) == 12
    for account in COMMUNITY["accounts"]:
        assert account["username"].isascii()
        assert all(c.islower() or c.isdigit() or c == "_" for c in account["username"])
        assert account["display_name"].strip()
        assert 0 < len(account["bio"]) <= 200


def test_follow_graph_is_partial_with_popular_accounts():
    for username, followees in FOLLOWS.items():
        assert 3 <= len(followees) <= 9, username
        assert username not in followees
        assert followees <= set(USERNAMES)
    follower_counts = sorted(len(followers_of(u)) for u in USERNAMES)
    # A couple of accounts most people follow, the rest a handful each.
    assert follower_counts[-2] >= 9
    assert follower_counts[0] <= 4
    assert sum(len(f) for f in FOLLOWS.values()) < 12 * 11


def test_every_note_passes_check_note_text():
    notes = COMMUNITY["notes"]
    assert 60 <= len(notes) <= 80
    for note in notes:
        assert check_note_text(note["text"]) == note["text"]
        assert count_characters(note["text"]) <= 140
        assert note["author"] in USERNAMES


def test_notes_spread_over_four_days_at_distinct_times():
    hours = [note["hours_ago"] for note in COMMUNITY["notes"]]
    assert all(0 < h <= 96 for h in hours)
    assert len(set(hours)) == len(hours)
    assert max(hours) > 72
    assert min(hours) < 24
    assert {note["author"] for note in COMMUNITY["notes"]} == set(USERNAMES)


def test_notes_use_links_mentions_tags_and_one_emoji():
    kinds: dict[str, int] = {"url": 0, "mention": 0, "tag": 0}
    for note in COMMUNITY["notes"]:
        for token in tokenize(note["text"]):
            if token.kind == "mention":
                assert token.value in USERNAMES
                assert not token.domain
            if token.kind in kinds:
                kinds[token.kind] += 1
    assert all(count >= 3 for count in kinds.values()), kinds
    with_emoji = [
        n for n in COMMUNITY["notes"] if any(ord(c) >= 0x1F000 for c in n["text"])
    ]
    assert len(with_emoji) == 1


# --- the command -------------------------------------------------------------


def test_seeds_accounts_with_profiles_and_the_demo_password(db):
    output = seed()

    assert output.strip() == (
        "Seeded the demo community: 12 accounts, "
        f"{sum(len(f) for f in FOLLOWS.values())} follows, "
        f"{len(COMMUNITY['notes'])} notes (password: hubbub-demo)."
    )
    assert Account.objects.count() == 12
    for entry in COMMUNITY["accounts"]:
        account = Account.objects.get(username=entry["username"])
        assert account.display_name == entry["display_name"]
        assert account.bio == entry["bio"]
        assert account.bio_html.startswith("<p>")
        # The README promises this password for every demo account.
        assert account.check_password("hubbub-demo")


def test_follow_counts_match_the_json(db):
    seed()

    for username, followees in FOLLOWS.items():
        account = Account.objects.get(username=username)
        assert account.following_count == len(followees)
        assert account.followers_count == len(followers_of(username))
        stored = set(
            Follow.objects.filter(follower=account).values_list(
                "followee__username", flat=True
            )
        )
        assert stored == followees


def test_notes_are_backdated_public_and_counted(db):
    seed()

    posts = list(Post.objects.select_related("author").order_by("id"))
    assert len(posts) == len(COMMUNITY["notes"])
    oldest_first = sorted(COMMUNITY["notes"], key=lambda n: -n["hours_ago"])
    assert [(p.author.username, p.text) for p in posts] == [
        (n["author"], n["text"]) for n in oldest_first
    ]
    created = [p.created_at for p in posts]
    assert created == sorted(created)
    span = created[-1] - created[0]
    assert span.total_seconds() / 3600 == pytest.approx(
        oldest_first[0]["hours_ago"] - oldest_first[-1]["hours_ago"], abs=0.01
    )
    assert all(p.visibility == "public" for p in posts)
    assert all(p.fanned_out_at is not None for p in posts)
    for username in USERNAMES:
        account = Account.objects.get(username=username)
        own = [p for p in posts if p.author_id == account.pk]
        assert account.posts_count == len(own)
        assert account.last_post_at == own[-1].created_at


def mentions(text: str) -> set[str]:
    return {t.value.lower() for t in tokenize(text) if t.kind == "mention"}


def expected_home(username: str) -> list[tuple[str, str]]:
    # Followees' notes and one's own, plus notes that mention one.
    authors = FOLLOWS[username] | {username}
    notes = [
        n
        for n in COMMUNITY["notes"]
        if n["author"] in authors or username in mentions(n["text"])
    ]
    return [
        (n["author"], n["text"]) for n in sorted(notes, key=lambda n: n["hours_ago"])
    ]


def whole_home_timeline(account: Account) -> list[Post]:
    posts: list[Post] = []
    bounds = PageBounds()
    while page := home_timeline(account, bounds):
        posts.extend(page)
        bounds = PageBounds(max_id=page[-1].id)
    return posts


def test_follower_home_timeline_has_followees_notes_newest_first(db):
    seed()
    lena = Account.objects.get(username="lena_reads")
    assert "tess_codes" not in FOLLOWS["lena_reads"]

    first_page = home_timeline(lena, PageBounds())

    expected = expected_home("lena_reads")
    assert len(expected) > 20
    assert [(p.author.username, p.text) for p in first_page] == expected[:20]
    pairs = list(pairwise(first_page))
    assert all(newer.id > older.id for newer, older in pairs)
    assert all(newer.created_at > older.created_at for newer, older in pairs)
    assert all(p.author.username != "tess_codes" for p in first_page)


def test_every_home_timeline_is_complete_without_a_worker(db):
    seed()

    for username in USERNAMES:
        account = Account.objects.get(username=username)
        posts = whole_home_timeline(account)
        assert [(p.author.username, p.text) for p in posts] == expected_home(
            username
        ), username


def test_queued_fan_out_jobs_change_nothing_when_they_run(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        seed()
    entries = set(TimelineEntry.objects.values_list("reader_id", "post_id"))

    for callback in callbacks:
        callback()
    run_queued_tasks()

    fan_outs = DBTaskResult.objects.filter(
        task_path="hubbub.timelines.tasks.fan_out_post"
    )
    assert fan_outs.count() == len(COMMUNITY["notes"])
    assert fan_outs.successful().count() == len(COMMUNITY["notes"])
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    assert set(TimelineEntry.objects.values_list("reader_id", "post_id")) == entries


def test_second_run_refuses_and_writes_nothing(db):
    seed()
    before = table_sizes()
    profiles = list(Account.objects.order_by("id").values())

    with pytest.raises(CommandError, match="already has accounts"):
        seed()

    assert table_sizes() == before
    assert list(Account.objects.order_by("id").values()) == profiles


def test_refuses_when_any_account_exists(db):
    sign_up(username="operator", password=PASSWORD)

    with pytest.raises(CommandError, match="only seeded into an empty database"):
        seed()

    assert list(Account.objects.values_list("username", flat=True)) == ["operator"]
    assert table_sizes() == {
        "accounts": 1,
        "follows": 0,
        "posts": 0,
        "timeline entries": 0,
        "jobs": 0,
    }


def test_invalid_data_is_refused_and_rolled_back(db, monkeypatch):
    broken = {
        "accounts": COMMUNITY["accounts"],
        "notes": [
            *COMMUNITY["notes"],
            {"hours_ago": 0.1, "author": "june_grows", "text": "x" * 141},
        ],
    }
    monkeypatch.setattr(
        "hubbub.core.management.commands.demo.load_community", lambda: broken
    )

    with pytest.raises(CommandError, match="character limit"):
        seed()

    assert set(table_sizes().values()) == {0}
