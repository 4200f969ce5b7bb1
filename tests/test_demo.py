"""The demo community: its data, and the ``demo`` command that seeds it."""

from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks_db.models import DBTaskResult

from hubbub.accounts.actions import sign_up
from hubbub.accounts.models import Account, Follow, FollowRequest
from hubbub.blog.models import Article
from hubbub.core.management.commands.demo import load_community
from hubbub.core.text import check_note_text, count_characters, tokenize
from hubbub.posts.models import Favourite, Post
from hubbub.timelines.models import TimelineEntry
from hubbub.timelines.queries import home_timeline
from hubbub.timelines.store import PageBounds
from tests.conftest import run_queued_tasks
from tests.factories import PASSWORD

COMMUNITY = load_community()
USERNAMES = [a["username"] for a in COMMUNITY["accounts"]]
FOLLOWS = {a["username"]: set(a["follows"]) for a in COMMUNITY["accounts"]}
NOTES = {n["key"]: n for n in COMMUNITY["notes"] if "key" in n}
REPLIES = [n for n in COMMUNITY["notes"] if "in_reply_to" in n]
ARTICLES = COMMUNITY["articles"]
# Every comment, with the author it answers: the article's, or a comment's.
COMMENTS = [
    {
        **c,
        "answers": {x["key"]: x for x in a["comments"]}.get(
            c.get("in_reply_to", ""), a
        )["author"],
    }
    for a in ARTICLES
    for c in a["comments"]
]


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
        "favourites": Favourite.objects.count(),
        "follow requests": FollowRequest.objects.count(),
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
    assert 60 <= len(notes) <= 90
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


def thread_of(note: dict) -> list[dict]:
    """Return ``note`` and the notes it answers, up to the thread's root."""
    thread = [note]
    while "in_reply_to" in thread[-1]:
        thread.append(NOTES[thread[-1]["in_reply_to"]])
    return thread


def test_replies_make_threads_several_replies_deep_and_mention_whom_they_answer():
    assert len(NOTES) == len([n for n in COMMUNITY["notes"] if "key" in n])
    assert all("key" in n for n in REPLIES)
    depths = {}
    for reply in REPLIES:
        parent = NOTES[reply["in_reply_to"]]
        assert parent["hours_ago"] > reply["hours_ago"]
        assert parent["author"] != reply["author"]
        assert parent["author"] in mentions(reply["text"])
        thread = thread_of(reply)
        depths[thread[-1]["key"]] = max(
            depths.get(thread[-1]["key"], 0), len(thread) - 1
        )
    assert len(depths) >= 2
    assert all(depth >= 3 for depth in depths.values()), depths


def test_favourites_boosts_and_a_locked_account_name_real_notes_and_people():
    favourites, boosts = COMMUNITY["favourites"], COMMUNITY["boosts"]
    assert len(favourites) >= 3
    assert len(boosts) >= 3
    for username, key in favourites + boosts:
        assert username in USERNAMES
        assert NOTES[key]["author"] != username
    assert len({tuple(f) for f in favourites}) == len(favourites)
    assert len({key for _, key in boosts}) == len(boosts)
    locked = [a["username"] for a in COMMUNITY["accounts"] if a.get("locked")]
    assert locked == ["ana_hikes"]
    assert COMMUNITY["follow_requests"] == [["sam_fixes", "ana_hikes"]]
    assert "ana_hikes" not in FOLLOWS["sam_fixes"]


# --- the command -------------------------------------------------------------


def test_seeds_accounts_with_profiles_and_the_demo_password(db):
    output = seed()

    assert output.startswith(
        "Seeded the demo community: 12 accounts, "
        f"{sum(len(f) for f in FOLLOWS.values())} follows, "
        f"{len(COMMUNITY['notes'])} notes, {len(COMMUNITY['favourites'])} "
        f"favourites, {len(COMMUNITY['boosts'])} boosts, 1 follow request, "
        f"{len(ARTICLES)} articles; "
    )
    assert output.strip().endswith("(password: hubbub-demo).")
    # The news community's members are counted in tests/test_demo_news.py.
    assert Account.objects.filter(username__in=USERNAMES).count() == 12
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

    posts = list(
        Post.objects.filter(reblog_of=None, kind="note", author__username__in=USERNAMES)
        .exclude(conversation_id__in=Article.objects.values("post_id"))
        .select_related("author")
        .order_by("id")
    )
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
        own = list(Post.objects.filter(author=account, reblog_of=None))
        assert account.posts_count == len(own)
        assert account.last_post_at == max(p.created_at for p in own)


def test_replies_hang_off_their_notes_in_threads(db):
    seed()

    by_text = {p.text: p for p in Post.objects.filter(reblog_of=None)}
    for key, note in NOTES.items():
        post = by_text[note["text"]]
        answers = [r for r in REPLIES if r["in_reply_to"] == key]
        assert post.replies_count == len(answers), key
        root = by_text[thread_of(note)[-1]["text"]]
        assert post.conversation_id == root.id
        if "in_reply_to" in note:
            assert post.in_reply_to_id == by_text[NOTES[note["in_reply_to"]]["text"]].id
        else:
            assert post.in_reply_to_id is None


def test_favourites_and_boosts_are_counted_on_their_notes(db):
    seed()

    for key, note in NOTES.items():
        post = Post.objects.get(text=note["text"])
        favourited_by = {u for u, k in COMMUNITY["favourites"] if k == key}
        boosted_by = {u for u, k in COMMUNITY["boosts"] if k == key}
        assert post.favourites_count == len(favourited_by), key
        assert post.reblogs_count == len(boosted_by), key
        assert {
            f.account.username for f in Favourite.objects.filter(post=post)
        } == favourited_by
        assert {
            b.author.username for b in Post.objects.filter(reblog_of=post)
        } == boosted_by
    microblog = Favourite.objects.filter(account__username__in=USERNAMES)
    assert microblog.count() == len(COMMUNITY["favourites"])
    assert Post.objects.filter(reblog_of__isnull=False).count() == len(
        COMMUNITY["boosts"]
    )


def test_the_locked_account_keeps_its_followers_and_has_one_request(db):
    seed()

    ana = Account.objects.get(username="ana_hikes")
    assert ana.locked
    assert ana.followers_count == len(followers_of("ana_hikes"))
    assert list(
        FollowRequest.objects.values_list("follower__username", "followee__username")
    ) == [("sam_fixes", "ana_hikes")]
    assert not Follow.objects.filter(follower__username="sam_fixes", followee=ana)
    assert Account.objects.filter(locked=True).count() == 1


def mentions(text: str) -> set[str]:
    return {t.value.lower() for t in tokenize(text) if t.kind == "mention"}


def note_readers(note: dict) -> set[str]:
    """Whose home timelines a note reaches: its author, the people it
    mentions, and its author's followers; a reply reaches only those of them
    who follow the author it answers, or are that author."""
    author = note["author"]
    followers = followers_of(author)
    if "in_reply_to" in note:
        answered = NOTES[note["in_reply_to"]]["author"]
        if answered != author:
            followers = {
                f for f in followers if f == answered or answered in FOLLOWS[f]
            }
    return {author} | mentions(note["text"]) | followers


def article_readers(article: dict) -> set[str]:
    """An article reaches its author and their followers."""
    return {article["author"]} | followers_of(article["author"])


def comment_readers(comment: dict) -> set[str]:
    """A comment is a reply: see ``note_readers``."""
    author, answered = comment["author"], comment["answers"]
    followers = followers_of(author)
    if answered != author:
        followers = {f for f in followers if f == answered or answered in FOLLOWS[f]}
    return {author} | mentions(comment["text"]) | followers


def expected_homes() -> dict[str, list[tuple[str, str]]]:
    """Every home timeline, newest first, as (author, text) pairs; a boost is
    (booster, "boosted " + original's author and text).

    Boosts are made now, after every backdated note, so they come first. A
    boost reaches its booster and the booster's followers, except the
    original's author and anyone who already has the original or a boost
    of it, so it shows once.
    """
    # (hours ago, entry, readers) for notes, articles and their comments.
    posts = [
        (n["hours_ago"], (n["author"], n["text"]), note_readers(n), n["text"])
        for n in COMMUNITY["notes"]
    ]
    posts += [
        (
            a["hours_ago"],
            (a["author"], f"article: {a['title']}"),
            article_readers(a),
            a["title"],
        )
        for a in ARTICLES
    ]
    posts += [(c["hours_ago"], (c["author"], c["text"]), comment_readers(c),
               c["text"]) for c in COMMENTS]  # fmt: skip
    shown: dict[str, set[str]] = {u: set() for u in USERNAMES}
    homes: dict[str, list[tuple[str, str]]] = {u: [] for u in USERNAMES}
    for _, entry, readers, text in sorted(posts, key=lambda p: -p[0]):
        for reader in readers:
            homes[reader].insert(0, entry)
            shown[reader].add(text)
    for booster, key in COMMUNITY["boosts"]:
        original = NOTES[key]
        readers = {booster} | {
            f
            for f in followers_of(booster)
            if f != original["author"] and original["text"] not in shown[f]
        }
        entry = (booster, f"boosted @{original['author']}: {original['text']}")
        for reader in readers:
            homes[reader].insert(0, entry)
            shown[reader].add(original["text"])
    return homes


EXPECTED_HOMES = expected_homes()


def expected_home(username: str) -> list[tuple[str, str]]:
    return EXPECTED_HOMES[username]


def described(post: Post) -> tuple[str, str]:
    original = post.reblog_of
    if post.kind == "article":
        return (post.author.username, f"article: {post.article.title}")
    if original is None:
        return (post.author.username, post.text)
    return (
        post.author.username,
        f"boosted @{original.author.username}: {original.text}",
    )


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
    assert [described(p) for p in first_page] == expected[:20]
    pairs = list(pairwise(first_page))
    assert all(newer.id > older.id for newer, older in pairs)
    assert all(newer.created_at > older.created_at for newer, older in pairs)
    assert all(p.author.username != "tess_codes" for p in first_page)


def test_every_home_timeline_is_complete_without_a_worker(db):
    seed()

    for username in USERNAMES:
        account = Account.objects.get(username=username)
        posts = whole_home_timeline(account)
        assert [described(p) for p in posts] == expected_home(username), username


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
    news = COMMUNITY["news"]
    news_posts = len(news["accounts"]) + sum(
        1 + len(story.get("comments", [])) for story in news["stories"]
    )
    posts = (
        len(COMMUNITY["notes"])
        + len(COMMUNITY["boosts"])
        + len(ARTICLES)
        + len(COMMENTS)
        + news_posts
    )
    # At most one job a post: a post whose job would wait behind another
    # queued fan-out job is taken by that job instead.
    assert 0 < fan_outs.count() <= posts
    assert fan_outs.successful().count() == fan_outs.count()
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
        "favourites": 0,
        "follow requests": 0,
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


def test_articles_have_excerpts_comments_and_one_more_marker(db):
    seed()

    assert sum("<!--more" in a["source"] for a in ARTICLES) == 1
    for entry in ARTICLES:
        article = Article.objects.select_related("post").get(title=entry["title"])
        assert article.state == "published"
        assert article.post.replies_count == sum(
            "in_reply_to" not in c for c in entry["comments"]
        )
        comments = Post.objects.filter(
            conversation_id=article.post_id, kind="note", visibility="public"
        )
        # A story submitted from the article shares its conversation.
        on_news = [
            comment
            for story in COMMUNITY["news"]["stories"]
            if story.get("article") == entry["key"]
            for comment in story["comments"]
        ]
        assert comments.count() == len(entry["comments"]) + len(on_news)
        if "<!--more" in entry["source"]:
            assert article.more_label == "Read the whole routine"
            assert "## Feeding" not in article.excerpt_html
        assert article.excerpt_html.strip()
    assert all(len(c["text"]) <= 140 for c in COMMENTS)
