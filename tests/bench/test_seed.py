"""The benchmark's seeder: the issue's graph, and rows hubbub could have written."""

import numpy as np
import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Max, Q

from bench import seed
from hubbub.accounts.models import Account, Follow
from hubbub.posts.models import Post
from hubbub.timelines.models import TimelineEntry

ACCOUNTS, NOTES = 2_000, 4_000


@pytest.fixture(scope="module")
def plan():
    return seed.Plan(ACCOUNTS, NOTES)


def test_the_graph_has_a_mean_of_about_75_followers(plan):
    mean = len(plan.follower) / ACCOUNTS
    assert abs(mean - seed.MEAN_FOLLOWERS) <= seed.MEAN_TOLERANCE, mean
    assert plan.followers_count.mean() == mean


def test_in_degrees_follow_a_power_law_and_out_degrees_a_floor(plan):
    ordered = np.sort(plan.followers_count[1:])[::-1]
    # The most followed account has over ten times the mean; the median
    # account has fewer than the mean.
    assert ordered[0] > 10 * seed.MEAN_FOLLOWERS
    assert np.median(ordered) < 0.75 * seed.MEAN_FOLLOWERS
    others = plan.following_count[seed.READERS + 1 :]
    assert others.min() >= seed.OUT_MIN


def test_readers_and_the_fanout_author_are_as_the_benchmarks_need(plan):
    assert plan.following_count[1 : seed.READERS + 1].tolist() == [200] * 8
    assert plan.followers_count[0] == seed.fanout_followers_for(ACCOUNTS)
    assert plan.following_count[0] == 0
    readers_following_author = plan.follower[plan.followee == 0]
    assert readers_following_author.min() > seed.READERS


def test_follows_are_distinct_and_nobody_follows_themself(plan):
    keys = plan.follower.astype(np.int64) * ACCOUNTS + plan.followee
    assert len(np.unique(keys)) == len(keys)
    assert not (plan.follower == plan.followee).any()
    assert (np.diff(keys) > 0).all()  # in the unique index's order


def _indexes(table):
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {name: (c["columns"], c["unique"]) for name, c in found.items()}


@pytest.mark.django_db(transaction=True)
def test_written_rows_hold_what_hubbubs_actions_would_have_written(plan):
    tables = [Account, Follow, Post, TimelineEntry]
    before = {m: _indexes(m._meta.db_table) for m in tables}
    seed.write(plan)

    # Every index is back after the load.
    assert {m: _indexes(m._meta.db_table) for m in tables} == before
    assert seed.is_seeded(ACCOUNTS, NOTES)
    assert not seed.is_seeded(ACCOUNTS, NOTES + 1)

    def per_account(model, field):
        return dict(model.objects.values_list(field).annotate(n=Count("*")))

    followers = per_account(Follow, "followee")
    following = per_account(Follow, "follower")
    posts = per_account(Post, "author")
    last_post = dict(
        Post.objects.values_list("author").annotate(last=Max("created_at"))
    )
    for account in Account.objects.all():
        assert account.followers_count == followers.get(account.pk, 0)
        assert account.following_count == following.get(account.pk, 0)
        assert account.posts_count == posts.get(account.pk, 0)
        assert account.last_post_at == last_post.get(account.pk)

    stats = seed.graph_stats()
    assert abs(stats["mean_in"] - seed.MEAN_FOLLOWERS) <= seed.MEAN_TOLERANCE
    assert stats["reader_following"] == [200] * seed.READERS

    # A follow is made after both accounts joined.
    late = Follow.objects.filter(
        Q(created_at__lte=F("follower__date_joined"))
        | Q(created_at__lte=F("followee__date_joined"))
    )
    assert not late.exists()

    # Readers hold only their own notes and those of followees fanned out
    # on write, at most a timeline's length each.
    limit = settings.HUBBUB_FANOUT_LIMIT
    for reader in Account.objects.filter(username__in=seed.reader_usernames()):
        entries = TimelineEntry.objects.filter(reader=reader)
        assert 0 < entries.count() <= settings.HUBBUB_TIMELINE_LENGTH
        sources = Follow.objects.filter(
            follower=reader, followee__followers_count__lte=limit
        ).values("followee")
        assert not entries.exclude(
            Q(post__author__in=sources) | Q(post__author=reader)
        ).exists()
