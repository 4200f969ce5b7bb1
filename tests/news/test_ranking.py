"""Promotion and ranking maths, tested as plain functions.

The scenarios replay the worked examples of the research notes' §3.2 and the
rules of §3.3-3.4; the properties check the orderings every page relies on.
"""

import itertools
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubbub.news.ranking import (
    MIN_DWELL,
    PROMOTION_WINDOW,
    THRESHOLD_FLOOR,
    Outcome,
    Reason,
    StoredTally,
    Voter,
    adapt_threshold,
    add_to_cluster,
    bury_limit,
    cluster_value,
    cluster_voters,
    effective_diggs,
    front_page_rank,
    heated_thread_penalty,
    independence,
    promotion_check,
    threshold_sentence,
    trust,
    upcoming_score,
    weight,
    wilson_lower_bound,
)

SUBMITTED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


def member(**fields) -> Voter:
    """An established, active, independent member unless told otherwise."""
    fields.setdefault("age_days", 365)
    fields.setdefault("has_posted", True)
    return Voter(voter_id=next(_ids), **fields)


def members(n: int, **fields) -> list[Voter]:
    return [member(**fields) for _ in range(n)]


def ring(voters: list[Voter]) -> list[tuple[int, int]]:
    """Association edges chaining the voters into one cluster."""
    ids = [v.voter_id for v in voters]
    return list(itertools.pairwise(ids))


def check(diggs, *, threshold=10.0, age=timedelta(hours=1), **options):
    return promotion_check(
        diggs=diggs,
        threshold=threshold,
        submitted_at=SUBMITTED,
        now=SUBMITTED + age,
        **options,
    )


# Weights ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"age_days": 0}, 0.0),
        ({"age_days": 9}, 0.3),
        ({"age_days": 15}, 0.5),
        ({"age_days": 30}, 1.0),
        ({"age_days": 3000}, 1.0),
        ({"age_days": -2}, 0.0),
        ({"has_posted": False}, 0.5),
        ({"standing_penalty": 0.25}, 0.75),
        ({"standing_penalty": 3}, 0.0),
        ({"age_days": 15, "has_posted": False, "standing_penalty": 0.5}, 0.125),
    ],
)
def test_trust(fields, expected):
    assert trust(member(**fields)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, 1.0),
        ({"mutual_follow_with_submitter": True}, 0.3),
        ({"within_invite_hops": True}, 0.3),
        ({"affiliated_with_domain": True}, 0.3),
        (
            {
                "mutual_follow_with_submitter": True,
                "within_invite_hops": True,
                "affiliated_with_domain": True,
            },
            0.3,
        ),
    ],
)
def test_independence_discounts_once_whatever_the_ties(fields, expected):
    assert independence(member(**fields)) == pytest.approx(expected)


def test_the_submitter_may_digg_but_weighs_nothing():
    submitter = member(is_submitter=True)

    tally = effective_diggs([submitter])

    assert weight(submitter) == 0
    assert tally.effective == 0
    assert tally.votes == 1
    assert tally.cluster_count == 0
    assert [g.describe() for g in tally.groups] == [
        "the submitter's own digg counts as 0"
    ]


@pytest.mark.parametrize(
    ("total", "value"), [(0, 0), (0.3, 0.3), (1, 1), (4, 2), (9, 3), (30, 30**0.5)]
)
def test_cluster_value_is_the_root_above_one_and_the_weight_below(total, value):
    assert cluster_value(total) == pytest.approx(value)


# Clusters --------------------------------------------------------------------


def test_clusters_are_connected_components():
    a, b, c, d, e = members(5)

    clusters = cluster_voters(
        [a, b, c, d, e], [(a.voter_id, b.voter_id), (c.voter_id, b.voter_id)]
    )

    assert sorted(len(x) for x in clusters) == [1, 1, 3]


def test_accounts_that_did_not_digg_still_connect_voters():
    a, b = members(2)

    clusters = cluster_voters([a, b], [(a.voter_id, "carol"), ("carol", b.voter_id)])

    assert [len(x) for x in clusters] == [2]


def test_ties_to_the_submitter_and_to_the_site_join_voters():
    followers = members(3, mutual_follow_with_submitter=True)
    invitee = member(within_invite_hops=True)
    staff = members(2, affiliated_with_domain=True)
    submitter = member(is_submitter=True)

    clusters = cluster_voters([*followers, invitee, *staff, submitter], [])

    assert sorted(len(x) for x in clusters) == [2, 5]


def test_a_voter_listed_twice_counts_once():
    a = member()

    assert effective_diggs([a, a]).votes == 1
    assert effective_diggs([a, a]).effective == 1


def test_long_chains_stay_fast_and_whole():
    voters = members(20_000)

    clusters = cluster_voters(voters, ring(voters))

    assert len(clusters) == 1


# The §3.2 table ----------------------------------------------------------------


def _independent():
    return members(30), []


def _new_account_ring():
    voters = members(30, age_days=9)  # trust 0.3
    return voters, ring(voters)


def _followers():
    return members(30, mutual_follow_with_submitter=True), []


def _followers_and_independents():
    return members(10, mutual_follow_with_submitter=True) + members(12), []


@pytest.mark.parametrize(
    ("scenario", "effective", "clusters", "largest_share"),
    [
        (_independent, 30.0, 30, 0.03),
        (_new_account_ring, 3.0, 1, 1.00),
        (_followers, 3.0, 1, 1.00),
        (_followers_and_independents, 13.7, 13, 0.13),
    ],
)
def test_worked_examples(scenario, effective, clusters, largest_share):
    voters, edges = scenario()

    tally = effective_diggs(voters, edges)

    assert round(tally.effective, 1) == effective
    assert tally.cluster_count == clusters
    assert round(tally.largest_share, 2) == largest_share
    assert math.fsum(g.counted for g in tally.groups) == pytest.approx(tally.effective)


def test_thirty_independent_members_promote_when_the_threshold_allows():
    tally = effective_diggs(*_independent())

    assert tally.effective == 30.0
    assert check(tally, threshold=30).outcome is Outcome.PROMOTE
    assert check(tally, threshold=30.1).outcome is Outcome.NEEDS_MORE


def test_a_ring_of_new_accounts_is_refused_with_every_reason():
    tally = effective_diggs(*_new_account_ring())

    result = check(tally, threshold=10, age=timedelta(hours=3))

    assert not result.promote
    assert result.outcome is Outcome.NEEDS_MORE
    assert result.more_effective == pytest.approx(7.0)
    assert result.more_clusters == 4
    assert result.share_excess == pytest.approx(0.6)
    assert result.explain() == (
        "needs 7.0 more effective diggs from at least 4 more independent "
        "groups within 21 h"
    )
    assert [g.describe() for g in tally.discounts] == [
        "30 diggs from accounts under 30 days old counted as 3.0"
    ]


def test_followers_are_discounted_and_the_why_page_says_so():
    tally = effective_diggs(*_followers_and_independents())

    assert [g.describe() for g in tally.groups] == [
        "10 diggs from the submitter's mutual follows and invite tree counted as 1.7",
        "12 diggs from independent members counted as 12.0",
    ]
    assert check(tally, threshold=13.7).promote


def test_an_established_clique_counts_as_associated():
    clique = members(9)
    tally = effective_diggs(clique + members(5), ring(clique))

    assert tally.effective == pytest.approx(8.0)
    assert tally.discounts[0].describe() == (
        "9 diggs from closely associated accounts counted as 3.0"
    )


def test_the_issue_example_sentence():
    # Two strangers and a cluster worth 1.8 (four accounts at trust 0.81).
    diggs = effective_diggs(
        members(2) + (clique := members(4, age_days=24.3)), ring(clique)
    )

    result = check(diggs, threshold=10, age=timedelta(hours=14, minutes=50))

    assert diggs.effective == pytest.approx(3.8)
    assert result.explain() == (
        "needs 6.2 more effective diggs from at least 2 more independent "
        "groups within 9 h"
    )


# The §3.3 rules ------------------------------------------------------------------


def test_five_clusters_are_needed_even_above_the_threshold():
    voters = members(4) + (big := members(36))
    tally = effective_diggs(voters, ring(big))  # 4 + 6 = 10, 5 clusters
    assert check(tally, threshold=5).outcome is Outcome.NEEDS_MORE  # 60% share

    few = effective_diggs(members(4))
    result = check(few, threshold=4)
    assert result.more_clusters == 1
    assert (
        result.explain()
        == "needs diggs from at least 1 more independent group within 23 h"
    )


def test_no_cluster_may_supply_more_than_forty_percent():
    big = members(16)  # counts 4
    tally = effective_diggs(big + members(5), ring(big))  # E = 9, share 0.44

    result = check(tally, threshold=5)

    assert result.outcome is Outcome.NEEDS_MORE
    assert result.share_binds
    assert result.more_effective == pytest.approx(1.0)  # 4 / (9 + 1) = 0.4
    assert result.explain() == (
        "needs 1.0 more effective diggs from outside its largest group within 23 h"
    )
    with_one_more = effective_diggs(big + members(6), ring(big))
    assert check(with_one_more, threshold=5).promote


@pytest.mark.parametrize(
    ("age", "outcome"),
    [
        (timedelta(0), Outcome.DWELLING),
        (MIN_DWELL - timedelta(seconds=1), Outcome.DWELLING),
        (MIN_DWELL, Outcome.PROMOTE),
        (PROMOTION_WINDOW - timedelta(seconds=1), Outcome.PROMOTE),
        (PROMOTION_WINDOW, Outcome.EXPIRED),
        (timedelta(days=3), Outcome.EXPIRED),
    ],
)
def test_dwell_and_window(age, outcome):
    tally = effective_diggs(members(10))

    assert check(tally, age=age).outcome is outcome


def test_dwelling_and_expired_stories_say_when():
    tally = effective_diggs(members(10))

    dwelling = check(tally, age=timedelta(minutes=8, seconds=30))
    expired = check(tally, age=timedelta(hours=30))

    assert dwelling.dwell_remaining == timedelta(minutes=11, seconds=30)
    assert dwelling.explain() == (
        "meets every rule; can be promoted in 12 min (no story is promoted in "
        "its first 20 min)"
    )
    assert expired.explain() == "was not promoted within 24 h"
    assert expired.window_remaining == timedelta(0)


@pytest.mark.parametrize(
    ("buriers", "outcome"), [(16, Outcome.PROMOTE), (17, Outcome.HELD)]
)
def test_buries_hold_at_half_the_diggs_plus_two(buriers, outcome):
    diggs = effective_diggs(members(30))  # limit 0.5 * 30 + 2 = 17
    buries = effective_diggs(members(buriers))

    result = check(diggs, threshold=30, buries=buries)

    assert bury_limit(30) == 17
    assert result.outcome is outcome
    if outcome is Outcome.HELD:
        assert result.buries_over
        assert result.explain() == (
            "held for review: weighted buries (17.0) reached the limit for its "
            "effective diggs (17.0)"
        )


def test_a_bury_brigade_counts_as_one_voice():
    diggs = effective_diggs(members(30))
    brigade = members(100)

    result = check(diggs, threshold=30, buries=effective_diggs(brigade, ring(brigade)))

    assert result.buries == pytest.approx(10.0)
    assert result.promote


def test_a_moderator_hold_stops_promotion():
    result = check(effective_diggs(members(30)), held_by_moderator=True)

    assert result.outcome is Outcome.HELD
    assert result.explain() == "held for review by a moderator"


def test_a_promotable_story_explains_itself():
    result = check(effective_diggs(members(12)), threshold=10)

    assert result.explain() == (
        "meets every rule: 12.0 effective diggs (threshold 10.0) from 12 "
        "independent groups"
    )


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        promotion_check(
            diggs=effective_diggs([]),
            threshold=5,
            submitted_at=datetime(2026, 1, 1),  # noqa: DTZ001 - the point of the test
            now=SUBMITTED,
        )


# The §3.4 threshold --------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "would", "target", "expected"),
    [
        (20, 20, 20, 20),  # on target: unchanged
        (20, 22, 20, 22),  # 10% too many: 10% higher
        (20, 18, 20, 18),
        (20, 100, 20, 24),  # capped at +20%
        (20, 0, 20, 16),  # capped at -20%
        (6, 0, 20, THRESHOLD_FLOOR),  # never below the floor
        (1, 20, 20, THRESHOLD_FLOOR),  # a bad previous value starts at the floor
    ],
)
def test_adapt_threshold(previous, would, target, expected):
    assert adapt_threshold(previous, would, target) == pytest.approx(expected)


def test_hourly_steps_compound_to_the_daily_cap():
    threshold = 20.0
    for _ in range(24):
        threshold = adapt_threshold(threshold, 1000, 20, elapsed_days=1 / 24)

    assert threshold == pytest.approx(24.0)


@pytest.mark.parametrize(
    ("previous", "would", "target"),
    [(20, 1, 0), (20, -1, 20), (math.nan, 1, 20), (math.inf, 1, 20)],
)
def test_adapt_threshold_refuses_nonsense(previous, would, target):
    with pytest.raises(ValueError, match=r"positive|negative|finite"):
        adapt_threshold(previous, would, target)


def test_threshold_is_published_as_a_sentence():
    assert threshold_sentence(23.44) == (
        "Today a story needs 23.4 effective diggs from 5+ independent groups "
        "within 24 h."
    )


# Ordering --------------------------------------------------------------------


def test_upcoming_trades_ten_times_the_diggs_for_twelve_hours():
    older = upcoming_score(100, SUBMITTED)
    newer = upcoming_score(10, SUBMITTED + timedelta(hours=12))

    assert older == pytest.approx(newer)


def test_front_page_rank_matches_the_formula():
    assert front_page_rank(11, 3) == pytest.approx(10**0.8 / 5**1.8)
    assert front_page_rank(11, 3, [0.5, 0.4]) == pytest.approx(0.2 * 10**0.8 / 5**1.8)
    assert front_page_rank(1, 0) == 0
    assert front_page_rank(0.5, 0) == 0
    assert front_page_rank(11, -5) == front_page_rank(11, 0)


def test_penalties_must_be_factors():
    with pytest.raises(ValueError, match="factor"):
        front_page_rank(10, 1, [1.5])


@pytest.mark.parametrize(
    ("effective", "comments", "factor"),
    [(10, 40, 1), (10, 41, (10 / 41) ** 2), (50, 45, 1), (20, 80, 1 / 16)],
)
def test_heated_thread_penalty(effective, comments, factor):
    assert heated_thread_penalty(effective, comments) == pytest.approx(factor)


def _ordered_pair(values):
    return st.tuples(values, values).map(sorted)


_E = st.floats(min_value=1.01, max_value=1e6)
_HOURS = st.floats(min_value=0, max_value=1e4)


@given(_ordered_pair(_E), _HOURS)
def test_front_page_rank_grows_with_support(pair, hours):
    lower, higher = pair
    assert front_page_rank(lower, hours) <= front_page_rank(higher, hours)


@given(_E, _ordered_pair(_HOURS))
def test_front_page_rank_decays_with_time_since_promotion(effective, pair):
    sooner, later = pair
    assert front_page_rank(effective, sooner) >= front_page_rank(effective, later)


@given(_ordered_pair(st.floats(0, 1e6)), st.integers(0, 10**7))
def test_upcoming_score_grows_with_support(pair, seconds):
    lower, higher = pair
    when = SUBMITTED + timedelta(seconds=seconds)
    assert upcoming_score(lower, when) <= upcoming_score(higher, when)


@given(
    st.integers(min_value=0, max_value=10**7), st.integers(min_value=1, max_value=10**6)
)
def test_upcoming_score_favours_newer_stories(seconds, later):
    first = SUBMITTED + timedelta(seconds=seconds)
    assert upcoming_score(5, first) < upcoming_score(
        5, first + timedelta(seconds=later)
    )


_VOTERS = st.lists(
    st.builds(
        Voter,
        voter_id=st.integers(0, 30),
        age_days=st.floats(0, 100),
        has_posted=st.booleans(),
        standing_penalty=st.floats(0, 1),
        mutual_follow_with_submitter=st.booleans(),
        affiliated_with_domain=st.booleans(),
    ),
    max_size=30,
)
_EDGES = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=30)


@given(_VOTERS, _EDGES, st.tuples(st.integers(0, 30), st.integers(0, 30)))
def test_more_association_never_raises_e(voters, edges, extra):
    assert (
        effective_diggs(voters, [*edges, extra]).effective
        <= effective_diggs(voters, edges).effective + 1e-9
    )


@given(_VOTERS, _EDGES)
def test_another_stranger_never_lowers_e(voters, edges):
    stranger = Voter(voter_id="stranger", age_days=365, has_posted=True)

    before = effective_diggs(voters, edges).effective
    after = effective_diggs([*voters, stranger], edges).effective

    assert after == pytest.approx(before + 1)


@given(_VOTERS, _EDGES)
def test_e_never_exceeds_the_raw_weights_and_the_groups_add_up(voters, edges):
    tally = effective_diggs(voters, edges)
    unique = {v.voter_id: v for v in reversed(voters)}.values()

    assert tally.effective <= sum(weight(v) for v in unique) + 1e-9
    assert math.fsum(g.counted for g in tally.groups) == pytest.approx(tally.effective)
    assert sum(g.votes for g in tally.groups) == tally.votes
    assert 0 <= tally.largest_share <= 1


_ADDS = st.lists(
    st.tuples(
        st.sampled_from([0.0, 0.3, 0.5, 1.0, 0.15, 0.9]),
        st.lists(st.integers(0, 40), max_size=3),
    ),
    max_size=40,
)


@given(_ADDS)
def test_adding_votes_one_by_one_keeps_the_full_tally(adds):
    # Each vote has a weight and joins some existing clusters (by index).
    clusters: list[float] = []
    stored = StoredTally(0.0, 0, 0.0)
    for vote_weight, picks in adds:
        joined = sorted({p % len(clusters) for p in picks}) if clusters else []
        stored = add_to_cluster(
            stored, joined=[clusters[i] for i in joined], weight=vote_weight
        )
        merged = vote_weight + math.fsum(clusters[i] for i in joined)
        clusters = [w for i, w in enumerate(clusters) if i not in joined]
        clusters.append(merged)
    values = [cluster_value(w) for w in clusters]
    effective = math.fsum(values)
    assert stored.effective == pytest.approx(effective, abs=1e-9)
    assert stored.clusters == sum(1 for w in clusters if w > 0)
    share = max(values) / effective if effective > 0 else 0.0
    assert stored.largest_share == pytest.approx(share, abs=1e-9)


# Comments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ups", "downs", "z", "expected"),
    [
        (0, 0, 1.281551565545, 0.0),
        (1, 0, 1.281551565545, 1 / (1 + 1.281551565545**2)),  # 0.3784
        (0, 10, 1.96, 0.0),
        (10, 0, 1.96, 0.7225),  # Wilson 95% interval for 10/10: 0.7225-1
        (8, 2, 1.96, 0.4902),  # for 8/10: 0.4902-0.9433
        (5, 5, 1.96, 0.2366),  # for 5/10: 0.2366-0.7634
    ],
)
def test_wilson_lower_bound_known_values(ups, downs, z, expected):
    assert wilson_lower_bound(ups, downs, z) == pytest.approx(expected, abs=5e-5)


def test_wilson_prefers_more_evidence_at_the_same_ratio():
    assert wilson_lower_bound(40, 10) > wilson_lower_bound(4, 1)


def test_wilson_refuses_negative_counts():
    with pytest.raises(ValueError, match="negative"):
        wilson_lower_bound(-1, 2)


_COUNT = st.integers(min_value=0, max_value=10_000)


@given(_COUNT, _COUNT)
def test_wilson_is_a_lower_bound_that_moves_with_the_votes(ups, downs):
    score = wilson_lower_bound(ups, downs)

    assert 0 <= score <= (ups / (ups + downs) if ups + downs else 0) + 1e-12
    assert wilson_lower_bound(ups + 1, downs) >= score
    assert wilson_lower_bound(ups, downs + 1) <= score


def test_reasons_are_listed_in_the_documented_order():
    voters = [
        member(is_submitter=True),
        member(mutual_follow_with_submitter=True),
        member(affiliated_with_domain=True),
        member(age_days=3),
        member(has_posted=False),
        member(standing_penalty=0.5),
        member(),
    ]

    assert [g.reason for g in effective_diggs(voters).groups] == [
        Reason.SUBMITTER,
        Reason.SUBMITTER_TIES,
        Reason.AFFILIATED,
        Reason.NEW_ACCOUNT,
        Reason.NEVER_POSTED,
        Reason.STANDING,
        Reason.FULL,
    ]
