"""Search queries against the real database (SQLite FTS5 or PostgreSQL)."""

from unittest.mock import patch

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hubbub.accounts.models import Account, Block
from hubbub.posts.models import Mention, Post, Tag, Visibility
from hubbub.search import queries
from hubbub.search.queries import (
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_QUERY_LENGTH,
    count_accounts,
    count_posts,
    count_tags,
    parse_query,
    search_accounts,
    search_posts,
    search_tags,
)
from tests.factories import AccountFactory, FollowFactory, PostFactory

pytestmark = pytest.mark.django_db

# Strings that mean something to FTS5, tsquery, LIKE or SQL. Each must be
# searched for literally and never raise.
HOSTILE = [
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "NEAR(a b, 2)",
    "a AND b OR NOT c",
    '"',
    '""',
    '"unterminated',
    'say "hi',
    "*",
    "a*",
    "^a",
    "text:a",
    "{text}: a",
    "-a",
    "+a",
    "(",
    ")",
    "(a OR b",
    "a & b | !c <-> d:*",
    "' OR 1=1 --",
    "'; DROP TABLE posts_post; --",
    "%",
    "_",
    "\\",
    "%_\\%",
    "\x00",
    "a\x00b",
    "\x00" * 200,
    "\ud800",
    "a\udfffb",
    "\x1b[31mred",
    "\u202eevil",
    "\u200b",
    "🙂",
    "@",
    "#",
    "@#@#",
    "x" * MAX_QUERY_LENGTH,
    "a " * (MAX_QUERY_LENGTH // 2),
    "",
    "   ",
]


def search_all(viewer, q):
    """Run every search and count; return the post, account and tag results."""
    count_accounts(viewer, q)
    count_tags(q)
    count_posts(viewer, q)
    return (
        search_posts(viewer, q, limit=20, offset=0),
        search_accounts(viewer, q, limit=20, offset=0),
        search_tags(q, limit=20, offset=0),
    )


def post_ids(posts):
    return [p.id for p in posts]


def make_tag(name):
    return Tag.objects.create(name=name.lower(), display=name)


# --- parse_query ----------------------------------------------------------


def test_parse_query_trims_and_collapses_whitespace():
    query = parse_query("  hello \t\n world  ")
    assert query.text == "hello world"
    assert query.words == ("hello", "world")
    assert query.kind is None


@pytest.mark.parametrize(
    ("q", "kind", "term"),
    [
        ("@alice", "accounts", "alice"),
        ("#Django", "tags", "Django"),
        ("@", "accounts", ""),
    ],
)
def test_parse_query_recognises_a_leading_at_or_hash(q, kind, term):
    query = parse_query(q)
    assert (query.kind, query.term, query.text) == (kind, term, q)


def test_parse_query_drops_control_characters_and_lone_surrogates():
    query = parse_query("a\x00b\x07c\ud800d\te")
    assert query.text == "a b cd e"
    assert query.words == ("a", "b", "cd", "e")


def test_parse_query_keeps_only_words_with_a_letter_or_digit():
    assert parse_query('* - ( ) "" : ^ hi').words == ("hi",)


def test_parse_query_accepts_the_longest_allowed_query():
    assert parse_query("x" * MAX_QUERY_LENGTH).text == "x" * MAX_QUERY_LENGTH
    # Surrounding whitespace does not count against the limit.
    assert parse_query(" " * 500 + "x" + " " * 500).text == "x"


@pytest.mark.parametrize("length", [MAX_QUERY_LENGTH + 1, 10_000])
def test_parse_query_rejects_longer_queries_with_a_clear_error(length):
    with pytest.raises(ValidationError) as raised:
        parse_query("x" * length)
    assert raised.value.code == "search_too_long"
    assert "at most 200 characters" in raised.value.messages[0]


@pytest.mark.parametrize("q", ["x" * 10_000, "\x00" * 10_000, "NEAR " * 2_000])
def test_every_search_rejects_a_10000_character_query(q, alice):
    for search in (
        lambda: search_posts(alice, q, limit=20, offset=0),
        lambda: search_accounts(alice, q, limit=20, offset=0),
        lambda: search_tags(q, limit=20, offset=0),
        lambda: count_posts(alice, q),
        lambda: count_accounts(alice, q),
        lambda: count_tags(q),
    ):
        with pytest.raises(ValidationError):
            search()


# --- Accounts -------------------------------------------------------------


def test_accounts_match_handle_and_display_name_in_any_case(alice):
    anna = AccountFactory(username="anna", display_name="Alicia Keys")
    AccountFactory(username="zed", display_name="Zed")
    found = search_accounts(None, "ALIC", limit=20, offset=0)
    assert found == [alice, anna]
    assert search_accounts(None, "keys", limit=20, offset=0) == [anna]


def test_accounts_ignore_a_leading_at(alice):
    assert search_accounts(None, "@alice", limit=20, offset=0) == [alice]
    assert search_accounts(None, "@ ali", limit=20, offset=0) == [alice]


def test_an_exact_handle_comes_first_then_handle_then_name_prefixes(db):
    by_name = AccountFactory(username="zz", display_name="Bob the builder")
    contains = AccountFactory(username="abob", display_name="")
    prefix = AccountFactory(username="bobby", display_name="")
    exact = AccountFactory(username="Bob", display_name="Robert")
    found = search_accounts(None, "bob", limit=20, offset=0)
    assert found == [exact, prefix, by_name, contains]


def test_accounts_leave_out_inactive_and_blocked_either_way(alice, bob, carol):
    AccountFactory(username="alina", is_active=False)
    dave = AccountFactory(username="alfred")
    erin = AccountFactory(username="alfie")
    Block.objects.create(account=carol, target=dave)
    Block.objects.create(account=erin, target=carol)
    assert search_accounts(carol, "al", limit=20, offset=0) == [alice]
    assert count_accounts(carol, "al") == 1
    assert search_accounts(bob, "al", limit=20, offset=0) == [erin, dave, alice]


@pytest.mark.parametrize("wildcard", ["%", "_", "\\"])
def test_like_wildcards_in_account_search_match_literally(wildcard, alice, bob):
    # B-40: "%" must not return everyone.
    assert search_accounts(None, wildcard, limit=20, offset=0) == []
    odd = AccountFactory(username="odd", display_name=f"one{wildcard}two")
    assert search_accounts(None, wildcard, limit=20, offset=0) == [odd]
    assert search_accounts(None, f"e{wildcard}t", limit=20, offset=0) == [odd]


def test_account_paging_and_limits(db):
    people = [AccountFactory(username=f"page{n:02}") for n in range(50)]
    first = search_accounts(None, "page", limit=20, offset=0)
    second = search_accounts(None, "page", limit=20, offset=20)
    assert first + second == people[:40]
    assert len(search_accounts(None, "page", limit=1000, offset=0)) == MAX_LIMIT
    assert len(search_accounts(None, "page", limit=0, offset=0)) == 1
    assert search_accounts(None, "page", limit=20, offset=MAX_OFFSET + 1) == []
    with pytest.raises(ValueError, match="offset"):
        search_accounts(None, "page", limit=20, offset=-1)
    assert count_accounts(None, "page") == 50


# --- Tags -----------------------------------------------------------------


def test_tags_match_by_name_with_the_exact_tag_first(db):
    longer = make_tag("Djangocon")
    inner = make_tag("learndjango")
    exact = make_tag("Django")
    make_tag("python")
    assert search_tags("DJANGO", limit=20, offset=0) == [exact, longer, inner]
    assert search_tags("#django", limit=20, offset=0) == [exact, longer, inner]
    assert count_tags("#djan") == 3


@pytest.mark.parametrize("wildcard", ["%", "_"])
def test_like_wildcards_in_tag_search_match_literally(wildcard, db):
    make_tag("plain")
    assert search_tags(wildcard, limit=20, offset=0) == []
    odd = make_tag(f"snake{wildcard}case")
    assert search_tags(wildcard, limit=20, offset=0) == [odd]


def test_an_at_is_not_stripped_from_a_tag_search(db):
    make_tag("alice")
    assert search_tags("@alice", limit=20, offset=0) == []


# --- Posts: matching ------------------------------------------------------


def test_notes_match_whole_words_in_any_case(alice):
    hit = PostFactory(author=alice, text="Kettle is ON, tea soon")
    PostFactory(author=alice, text="kettles everywhere")
    assert post_ids(search_posts(None, "kettle", limit=20, offset=0)) == [hit.id]
    assert post_ids(search_posts(None, "on KETTLE", limit=20, offset=0)) == [hit.id]


def test_every_word_must_be_present(alice):
    both = PostFactory(author=alice, text="green tea")
    PostFactory(author=alice, text="green grass")
    assert post_ids(search_posts(None, "tea green", limit=20, offset=0)) == [both.id]


def test_notes_come_newest_first_and_page(alice):
    posts = [PostFactory(author=alice, text=f"word {n}") for n in range(5)]
    newest = post_ids(reversed(posts))
    found = search_posts(None, "word", limit=2, offset=0)
    assert post_ids(found) == newest[:2]
    assert post_ids(search_posts(None, "word", limit=2, offset=2)) == newest[2:4]
    older = search_posts(None, "word", limit=20, offset=0, max_id=posts[2].id)
    assert post_ids(older) == newest[3:]
    newer = search_posts(None, "word", limit=2, offset=0, min_id=posts[0].id)
    assert post_ids(newer) == [posts[2].id, posts[1].id]
    assert count_posts(None, "word") == 5


def test_a_hashtag_query_finds_notes_with_the_tag(alice):
    tagged = PostFactory(author=alice, text="off to #DjangoCon")
    assert post_ids(search_posts(None, "#djangocon", limit=20, offset=0)) == [tagged.id]


def test_boosts_are_left_out_the_original_is_found(alice, bob):
    original = PostFactory(author=alice, text="boost me")
    PostFactory(author=bob, text="boost me", reblog_of=original)
    assert post_ids(search_posts(None, "boost", limit=20, offset=0)) == [original.id]


def test_search_starts_from_visible_posts(alice):
    """The visibility rule is visible_posts; search must not bypass it."""
    PostFactory(author=alice, text="findable")
    assert search_posts(alice, "findable", limit=20, offset=0)
    with patch.object(queries, "visible_posts", return_value=Post.objects.none()):
        assert search_posts(alice, "findable", limit=20, offset=0) == []
        assert count_posts(alice, "findable") == 0


# --- Posts: visibility ----------------------------------------------------


def visible_to(viewer, word):
    return post_ids(search_posts(viewer, word, limit=20, offset=0))


def test_followers_only_notes_are_for_followers(alice, bob, carol):
    post = PostFactory(author=alice, text="secret", visibility=Visibility.FOLLOWERS)
    FollowFactory(follower=bob, followee=alice)
    assert visible_to(alice, "secret") == [post.id]
    assert visible_to(bob, "secret") == [post.id]
    assert visible_to(carol, "secret") == []
    assert visible_to(None, "secret") == []
    assert count_posts(carol, "secret") == 0


def test_direct_notes_are_for_the_people_mentioned(alice, bob, carol):
    post = PostFactory(author=alice, text="whisper", visibility=Visibility.DIRECT)
    Mention.objects.create(post=post, account=bob)
    FollowFactory(follower=carol, followee=alice)
    assert visible_to(bob, "whisper") == [post.id]
    assert visible_to(carol, "whisper") == []
    assert visible_to(None, "whisper") == []


def test_deleted_notes_are_never_found(alice):
    PostFactory(author=alice, text="gone", deleted_at=timezone.now())
    assert visible_to(alice, "gone") == []
    assert visible_to(None, "gone") == []


def test_blocks_hide_notes_in_both_directions(alice, bob, carol):
    post = PostFactory(author=alice, text="blocked")
    Block.objects.create(account=bob, target=alice)
    Block.objects.create(account=alice, target=carol)
    assert visible_to(bob, "blocked") == []
    assert visible_to(carol, "blocked") == []
    assert visible_to(None, "blocked") == [post.id]


def test_unlisted_notes_are_found(alice, bob):
    post = PostFactory(author=alice, text="quiet", visibility=Visibility.UNLISTED)
    assert visible_to(bob, "quiet") == [post.id]


def test_results_carry_authors_and_viewer_flags(alice, bob):
    PostFactory(author=alice, text="flags")
    (post,) = search_posts(bob, "flags", limit=20, offset=0)
    assert post.author == alice
    assert post.favourited is False
    assert post.boosted is False


# --- Hostile input --------------------------------------------------------


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_never_raise(q, alice):
    PostFactory(author=alice, text="an ordinary note")
    make_tag("kettle")
    assert search_all(alice, q) == ([], [], [])


@pytest.mark.parametrize(
    ("text", "q"),
    [
        ("near or far", "NEAR OR"),
        ("and not this", "AND NOT"),
        ('she said "hi" there', '"hi"'),
        ("she said hi there", 'hi"'),
        ("count(x) is up", "count(x)"),
        ("a:b ratio", "a:b"),
        ("self-hosting rocks", "self-hosting"),
        ("star*gazing", "star*"),
        ("don't stop", "don't"),
    ],
)
def test_operators_and_quotes_are_searched_for_literally(text, q, alice):
    post = PostFactory(author=alice, text=text)
    PostFactory(author=alice, text="unrelated words")
    assert post_ids(search_posts(None, q, limit=20, offset=0)) == [post.id]


def test_operator_words_do_not_widen_the_search(alice):
    PostFactory(author=alice, text="apples")
    PostFactory(author=alice, text="pears")
    # As operators these would match one or both notes; as words, neither.
    assert search_posts(None, "apples OR pears", limit=20, offset=0) == []
    assert search_posts(None, "NOT pears", limit=20, offset=0) == []
    assert search_posts(None, "appl*", limit=20, offset=0) == []


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=MAX_QUERY_LENGTH))
def test_any_allowed_string_is_searched_without_error(alice, q):
    search_all(alice, q)


def test_an_account_named_like_an_operator_is_found(db):
    person = AccountFactory(username="near", display_name="OR NOT")
    assert search_accounts(None, "NEAR", limit=20, offset=0) == [person]
    assert search_accounts(None, "or not", limit=20, offset=0) == [person]


def test_nothing_left_after_cleaning_finds_nothing(alice):
    PostFactory(author=alice, text="anything at all")
    for q in ["", "   ", "\x00\x01", "* ( ) -", '""']:
        assert search_posts(alice, q, limit=20, offset=0) == []
        assert count_posts(alice, q) == 0
    assert Account.objects.exists()
