"""Promotion and ranking maths for social news: pure functions, no models.

A digg counts by who gave it, not just that it was given. Each voter has a
weight ``trust * independence``; voters joined by association edges form
clusters, and a cluster counts as the square root of its total weight, so a
ring of thirty counts about as much as a handful of strangers. A story is
promoted once its effective diggs E pass an adaptive threshold with enough
independent clusters, no dominant cluster and buries below their limit,
after a short dwell and inside a 24 h window.

The design and its worked examples are in the team's research notes on
social news (§3, "Recommended promotion design"). The actions call these
functions and store their results; nothing here touches the database, the
clock or settings, so every rule can be tested with plain values.
"""

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

# Voter weight (§3.2) -------------------------------------------------------

# days. Trust ramps linearly to 1 over an account's first 30 days, so a
# freshly made sock puppet starts near 0 and a farm has to be kept for a month.
TRUST_RAMP_DAYS = 30.0
# multiplier. An account that has never posted or commented weighs half:
# accounts that exist only to vote are the cheapest to make (Lemmy #4967).
NEVER_POSTED_FACTOR = 0.5
# multiplier. A voter tied to the submitter (mutual follow, invite tree within
# 2 hops, declared affiliation with the site) still counts, at 0.3: their digg
# says less about the story than a stranger's.
ASSOCIATED_FACTOR = 0.3

# Promotion rule (§3.1, §3.3) -----------------------------------------------

# clusters. Fewer than 5 independent groups is a clique, however large.
MIN_CLUSTERS = 5
# fraction of E. No single group may supply more than 40% of the support.
MAX_CLUSTER_SHARE = 0.4
# effective buries per effective digg, plus a fixed allowance (effective
# buries): B < 0.5·E + 2. The allowance stops two early buries from holding a
# young story; the ratio lets a well-supported story absorb some dissent.
BURY_RATIO = 0.5
BURY_ALLOWANCE = 2.0
# No story is promoted in its first 20 min: buries and moderators get time to
# act, and a ring fired at t=0 gains nothing from being first.
MIN_DWELL = timedelta(minutes=20)
# A story not promoted within 24 h of submission is archived (Digg classic).
PROMOTION_WINDOW = timedelta(hours=24)

# Adaptive threshold (§3.4) -------------------------------------------------

# effective diggs (T_min). Even a quiet instance needs 5 effective diggs,
# which with MIN_CLUSTERS means at least five independent people.
THRESHOLD_FLOOR = 5.0
# fraction per day. The threshold moves at most 20% a day either way, so one
# busy or quiet day cannot swing it and a brigade cannot walk it down fast.
THRESHOLD_MAX_DAILY_CHANGE = 0.2

# Upcoming order (§3.1 point 1) ---------------------------------------------

# Any fixed instant works: only differences matter. A recent one keeps the
# scores small enough to read in a debugger.
UPCOMING_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
# seconds. A story needs 10* the effective diggs to outrank one submitted
# 12 h later (Lobsters uses 22 h, Reddit 12.5 h; Upcoming turns over daily).
UPCOMING_DECAY_SECONDS = 12 * 60 * 60

# Front page (§3.1 point 4, Hacker News constants) --------------------------

# exponent on (E - 1): diminishing returns on more support.
FRONT_PAGE_VOTE_EXPONENT = 0.8
# exponent on age in hours: how fast promoted stories sink.
FRONT_PAGE_GRAVITY = 1.8
# hours added to the age so a just-promoted story's rank is finite and does
# not swamp stories promoted a few minutes earlier.
FRONT_PAGE_AGE_OFFSET_HOURS = 2.0
# comments. Heated-thread damping (§3.5) starts above 40 comments, and only
# when comments also outnumber effective diggs.
HEATED_THREAD_MIN_COMMENTS = 40

# Comments ------------------------------------------------------------------

# standard normal quantile for an 80% one-sided bound, as Reddit's "best".
WILSON_Z = 1.281551565545

# Comparisons of sums of square roots need a little slack: 30 * sqrt(1.0)
# is exact, but other sums that should meet a bar may miss it by an ulp.
_EPSILON = 1e-9

type VoterId = Hashable


# Weights ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Voter:
    """What the promotion rule needs to know about one digg's (or bury's) voter.

    ``voter_id`` is the account's id; the other fields are the weight inputs.
    ``within_invite_hops`` means the voter is within 2 hops of the submitter
    in the invite tree. ``standing_penalty`` is 0 for an account in good
    standing and up to 1 for one that is repeatedly flagged.
    """

    voter_id: VoterId
    age_days: float
    has_posted: bool
    standing_penalty: float = 0.0
    mutual_follow_with_submitter: bool = False
    within_invite_hops: bool = False
    affiliated_with_domain: bool = False
    is_submitter: bool = False

    @property
    def tied_to_submitter(self) -> bool:
        return self.mutual_follow_with_submitter or self.within_invite_hops


def trust(voter: Voter) -> float:
    """Return how much the voter's account is trusted, from 0 to 1."""
    age = min(1.0, max(0.0, voter.age_days) / TRUST_RAMP_DAYS)
    participation = 1.0 if voter.has_posted else NEVER_POSTED_FACTOR
    standing = 1.0 - min(1.0, max(0.0, voter.standing_penalty))
    return age * participation * standing


def independence(voter: Voter) -> float:
    """Return how independent the voter is of the submitter and the site.

    1 for a stranger, ASSOCIATED_FACTOR when any tie holds (the factor is
    applied once, not once per tie: a mutual follow who also works there is
    no less independent than one who only follows).
    """
    tied = voter.tied_to_submitter or voter.affiliated_with_domain
    return ASSOCIATED_FACTOR if tied else 1.0


def weight(voter: Voter) -> float:
    """Return the voter's weight, ``trust * independence``.

    The submitter may digg their own story (classic Digg added that digg
    automatically), but it weighs 0: otherwise every story would start with
    a free vote and submitting would be the cheapest way to digg.
    """
    if voter.is_submitter:
        return 0.0
    return trust(voter) * independence(voter)


def cluster_value(total_weight: float) -> float:
    """Return what a cluster with this total weight counts for in E.

    The square root above 1, the weight itself below. The research formula
    is √(Σw) throughout, but for a lone voter with w < 1 the root would
    *raise* the weight (√0.3 ≈ 0.55), so undetected new accounts would gain
    from the rule meant to discount groups. The two agree at 1, the worked
    examples are unchanged, and the function stays concave, so merging two
    clusters never raises E.
    """
    if total_weight <= 1.0:
        return max(0.0, total_weight)
    return math.sqrt(total_weight)


# Clusters ------------------------------------------------------------------


class _DisjointSets:
    """Union-find with path halving and union by size."""

    def __init__(self) -> None:
        self._parent: dict[VoterId, VoterId] = {}
        self._size: dict[VoterId, int] = {}

    def find(self, item: VoterId) -> VoterId:
        self._size.setdefault(item, 1)
        parent = self._parent.setdefault(item, item)
        while parent != item:
            # Path halving: point each visited node at its grandparent.
            grandparent = self._parent[parent]
            self._parent[item] = grandparent
            item, parent = grandparent, self._parent[grandparent]
        return item

    def union(self, a: VoterId, b: VoterId) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return
        if self._size[root_a] < self._size[root_b]:
            root_a, root_b = root_b, root_a
        self._parent[root_b] = root_a
        self._size[root_a] += self._size[root_b]


class _Anchor(StrEnum):
    # Nodes that are not voters but tie voters together: everyone tied to
    # the submitter is associated through the submitter, and everyone
    # affiliated with the site through the site. Strings never equal an
    # account id of another type, and these are never returned as voters.
    SUBMITTER = "\0submitter"
    DOMAIN = "\0domain"


def cluster_voters(
    voters: Sequence[Voter], edges: Iterable[tuple[VoterId, VoterId]]
) -> list[list[Voter]]:
    """Group voters into association clusters: connected parts of the graph.

    ``edges`` are association links between account ids: mutual follows,
    invite-tree links, high co-digg overlap, a shared referrer burst, a
    shared network hint. Ids in an edge that are not voters still connect
    (two voters who both follow a third account that did not digg are
    associated through it). Voters tied to the submitter share a cluster
    with the submitter, and voters affiliated with the site share one with
    each other. Clusters come back in order of their first voter; a voter
    listed twice is counted once.
    """
    sets = _DisjointSets()
    unique: dict[VoterId, Voter] = {}
    for voter in voters:
        unique.setdefault(voter.voter_id, voter)
        sets.find(voter.voter_id)
        if voter.is_submitter or voter.tied_to_submitter:
            sets.union(voter.voter_id, _Anchor.SUBMITTER)
        if voter.affiliated_with_domain:
            sets.union(voter.voter_id, _Anchor.DOMAIN)
    for a, b in edges:
        sets.union(a, b)
    clusters: dict[VoterId, list[Voter]] = {}
    for voter in unique.values():
        clusters.setdefault(sets.find(voter.voter_id), []).append(voter)
    return list(clusters.values())


# Effective diggs -------------------------------------------------------------


class Reason(StrEnum):
    """Why a digg counted for less than 1, in the order they are assigned.

    Each digg is filed under the first reason that applies to it, so the
    groups on the why page add up to E without counting a digg twice.
    """

    SUBMITTER = "submitter"
    SUBMITTER_TIES = "submitter_ties"
    AFFILIATED = "affiliated"
    NEW_ACCOUNT = "new_account"
    NEVER_POSTED = "never_posted"
    STANDING = "standing"
    ASSOCIATED = "associated"
    FULL = "full"


_REASON_LABELS = {
    Reason.SUBMITTER: "the submitter",
    Reason.SUBMITTER_TIES: "the submitter's mutual follows and invite tree",
    Reason.AFFILIATED: "accounts affiliated with the site",
    Reason.NEW_ACCOUNT: f"accounts under {TRUST_RAMP_DAYS:.0f} days old",
    Reason.NEVER_POSTED: "accounts that have never posted",
    Reason.STANDING: "accounts with a standing penalty",
    Reason.ASSOCIATED: "closely associated accounts",
    Reason.FULL: "independent members",
}


def _reason(voter: Voter, cluster_size: int) -> Reason:
    if voter.is_submitter:
        return Reason.SUBMITTER
    if voter.tied_to_submitter:
        return Reason.SUBMITTER_TIES
    if voter.affiliated_with_domain:
        return Reason.AFFILIATED
    if voter.age_days < TRUST_RAMP_DAYS:
        return Reason.NEW_ACCOUNT
    if not voter.has_posted:
        return Reason.NEVER_POSTED
    if voter.standing_penalty > 0:
        return Reason.STANDING
    if cluster_size > 1:
        return Reason.ASSOCIATED
    return Reason.FULL


@dataclass(frozen=True, slots=True)
class ReasonGroup:
    """The diggs filed under one reason and what they counted for together."""

    reason: Reason
    votes: int
    counted: float

    def describe(self, noun: str = "digg") -> str:
        """Say it for the why page: "14 diggs from … counted as 3.7"."""
        plural = noun if self.votes == 1 else f"{noun}s"
        if self.reason is Reason.SUBMITTER:
            return f"the submitter's own {noun} counts as 0"
        source = _REASON_LABELS[self.reason]
        return f"{self.votes} {plural} from {source} counted as {self.counted:.1f}"


@dataclass(frozen=True, slots=True)
class ClusterSum:
    """One cluster's size, total weight and contribution (no member ids:
    who is associated with whom is never published)."""

    votes: int
    weight: float
    counted: float


@dataclass(frozen=True, slots=True)
class Tally:
    """Effective votes on a story, with what the why page shows about them.

    ``clusters`` holds only clusters with positive weight, largest first;
    a cluster of weightless votes (the submitter alone) is not a group of
    supporters. ``groups`` lists every reason that applied, in Reason order.
    """

    effective: float
    votes: int
    clusters: tuple[ClusterSum, ...]
    groups: tuple[ReasonGroup, ...]

    @property
    def cluster_count(self) -> int:
        return len(self.clusters)

    @property
    def largest(self) -> float:
        return self.clusters[0].counted if self.clusters else 0.0

    @property
    def largest_share(self) -> float:
        """The largest cluster's fraction of E (0 when E is 0)."""
        return self.largest / self.effective if self.effective > 0 else 0.0

    @property
    def discounts(self) -> tuple[ReasonGroup, ...]:
        """The groups that counted for less than their number of votes."""
        return tuple(g for g in self.groups if g.reason is not Reason.FULL)


EMPTY_TALLY = Tally(effective=0.0, votes=0, clusters=(), groups=())


def effective_diggs(
    voters: Sequence[Voter], edges: Iterable[tuple[VoterId, VoterId]] = ()
) -> Tally:
    """Return E = Σ over clusters of cluster_value(Σ weights), with details.

    Buries are weighted and clustered the same way, so the same function
    gives B from a story's buriers.

    Each voter's share of its cluster's value is proportional to its weight
    (``w_i * value / Σw``); those shares are what the reason groups add up.
    """
    clusters = cluster_voters(voters, edges)
    sums: list[ClusterSum] = []
    by_reason: dict[Reason, list[float]] = {}
    for members in clusters:
        weights = [weight(v) for v in members]
        total = sum(weights)
        value = cluster_value(total)
        scale = value / total if total > 0 else 0.0
        if total > 0:
            sums.append(ClusterSum(len(members), total, value))
        for voter, w in zip(members, weights, strict=True):
            by_reason.setdefault(_reason(voter, len(members)), []).append(w * scale)
    sums.sort(key=lambda c: c.counted, reverse=True)
    groups = tuple(
        ReasonGroup(reason, len(by_reason[reason]), math.fsum(by_reason[reason]))
        for reason in Reason
        if reason in by_reason
    )
    return Tally(
        effective=math.fsum(c.counted for c in sums),
        votes=sum(len(members) for members in clusters),
        clusters=tuple(sums),
        groups=groups,
    )


@dataclass(frozen=True, slots=True)
class StoredTally:
    """The aggregates a story keeps of its diggs: E, the number of clusters
    with positive weight, and the largest cluster's share of E."""

    effective: float
    clusters: int
    largest_share: float


def add_to_cluster(
    stored: StoredTally, *, joined: Sequence[float], weight: float
) -> StoredTally:
    """Return the aggregates after one vote of ``weight`` joins the clusters
    whose total weights are ``joined`` (none: it starts its own cluster).

    The merged cluster replaces the joined ones in E. Adding a vote never
    shrinks a cluster, so the largest cluster is the old largest or the
    merged one. ``effective_diggs`` over all the votes gives the same
    numbers up to rounding; re-tallies use that.
    """
    total = weight + math.fsum(joined)
    merged = cluster_value(total)
    effective = max(
        0.0, stored.effective - math.fsum(cluster_value(w) for w in joined) + merged
    )
    clusters = stored.clusters - sum(1 for w in joined if w > 0) + (total > 0)
    largest = max(stored.largest_share * stored.effective, merged)
    share = min(1.0, largest / effective) if effective > 0 else 0.0
    return StoredTally(effective, clusters, share)


def may_promote(
    stored: StoredTally, *, threshold: float, submitted_at: datetime, now: datetime
) -> bool:
    """Say whether a story with these aggregates might pass ``promotion_check``
    now: E, clusters and share meet their bars and the story is between
    MIN_DWELL and PROMOTION_WINDOW old. Buries and holds are left to the
    full check; a False here is final, a True means "check"."""
    age = now - submitted_at
    return (
        stored.effective >= threshold - _EPSILON
        and stored.clusters >= MIN_CLUSTERS
        and stored.largest_share <= MAX_CLUSTER_SHARE + _EPSILON
        and MIN_DWELL <= age < PROMOTION_WINDOW
    )


# Promotion -------------------------------------------------------------------


class Outcome(StrEnum):
    PROMOTE = "promote"
    DWELLING = "dwelling"  # meets every bar, but is younger than MIN_DWELL
    NEEDS_MORE = "needs_more"
    HELD = "held"  # buries at their limit, or a moderator hold
    EXPIRED = "expired"  # the promotion window has closed


def bury_limit(effective: float) -> float:
    """Return the weighted buries at which a story with E diggs is held."""
    return BURY_RATIO * effective + BURY_ALLOWANCE


@dataclass(frozen=True, slots=True)
class PromotionCheck:
    """Whether to promote now and, if not, exactly what is missing.

    Every shortfall is 0 when its rule holds, so the why page can list the
    non-zero ones; ``explain()`` says it as one sentence.
    """

    outcome: Outcome
    effective: float
    threshold: float
    clusters: int
    largest_share: float
    buries: float
    bury_limit: float
    # Effective diggs still needed: the larger of the gap to the threshold
    # and what other clusters must add to dilute the largest one.
    more_effective: float
    more_clusters: int
    # How far the largest cluster's share is above MAX_CLUSTER_SHARE.
    share_excess: float
    buries_over: bool
    held_by_moderator: bool
    dwell_remaining: timedelta
    window_remaining: timedelta
    # more_effective comes from the share rule, so it must come from outside
    # the largest cluster.
    share_binds: bool

    @property
    def promote(self) -> bool:
        return self.outcome is Outcome.PROMOTE

    def explain(self) -> str:
        """Say what the story needs, e.g. "needs 6.2 more effective diggs from
        at least 2 more independent groups within 9 h"."""
        if self.outcome is Outcome.PROMOTE:
            return (
                f"meets every rule: {self.effective:.1f} effective diggs "
                f"(threshold {self.threshold:.1f}) from {self.clusters} "
                f"independent {_plural(self.clusters, 'group')}"
            )
        if self.outcome is Outcome.EXPIRED:
            hours = PROMOTION_WINDOW.total_seconds() / 3600
            return f"was not promoted within {hours:.0f} h"
        if self.outcome is Outcome.HELD:
            if self.held_by_moderator:
                return "held for review by a moderator"
            return (
                f"held for review: weighted buries ({self.buries:.1f}) reached "
                f"the limit for its effective diggs ({self.bury_limit:.1f})"
            )
        if self.outcome is Outcome.DWELLING:
            return (
                f"meets every rule; can be promoted in "
                f"{_duration(self.dwell_remaining)} (no story is promoted in "
                f"its first {_duration(MIN_DWELL)})"
            )
        sources = []
        if self.share_binds:
            sources.append("outside its largest group")
        if self.more_clusters:
            group = _plural(self.more_clusters, "group")
            sources.append(f"at least {self.more_clusters} more independent {group}")
        if self.more_effective > 0:
            amount = math.ceil(self.more_effective * 10 - _EPSILON) / 10
            parts = ["needs", f"{amount:.1f} more effective diggs"]
        else:
            parts = ["needs diggs"]
        if sources:
            parts.append("from " + " and ".join(sources))
        parts.append(f"within {_duration(self.window_remaining)}")
        return " ".join(parts)


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"


def _duration(span: timedelta) -> str:
    # Whole hours, rounded down, from an hour up; whole minutes, rounded up,
    # below, so "within 1 min" is never said of a closed window.
    seconds = span.total_seconds()
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h"
    return f"{max(1, math.ceil(seconds / 60))} min"


def _aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def promotion_check(
    *,
    diggs: Tally,
    buries: Tally = EMPTY_TALLY,
    threshold: float,
    submitted_at: datetime,
    now: datetime,
    held_by_moderator: bool = False,
) -> PromotionCheck:
    """Decide whether a story is promoted now, by the rule of §3.3.

    All must hold inside the window: E ≥ threshold, at least MIN_CLUSTERS
    clusters, the largest cluster ≤ MAX_CLUSTER_SHARE of E, weighted buries
    B < bury_limit(E), no moderator hold, and the story at least MIN_DWELL
    old. Promoting exactly once is the caller's job (one conditional
    update); this function only says whether the rule holds.
    """
    _aware(submitted_at, "submitted_at")
    _aware(now, "now")
    age = max(timedelta(0), now - submitted_at)
    e = diggs.effective
    by_threshold = max(0.0, threshold - e)
    # The largest cluster L stays fixed while others grow: L/(E + x) ≤ 0.4
    # needs x ≥ L/0.4 - E more from other clusters.
    by_share = max(0.0, diggs.largest / MAX_CLUSTER_SHARE - e)
    share_excess = max(0.0, diggs.largest_share - MAX_CLUSTER_SHARE)
    if share_excess <= _EPSILON:
        share_excess = by_share = 0.0
    if by_threshold <= _EPSILON:
        by_threshold = 0.0
    limit = bury_limit(e)
    buries_over = buries.effective >= limit - _EPSILON
    more_clusters = max(0, MIN_CLUSTERS - diggs.cluster_count)
    meets_bar = by_threshold == 0 and by_share == 0 and more_clusters == 0

    if age >= PROMOTION_WINDOW:
        outcome = Outcome.EXPIRED
    elif held_by_moderator or buries_over:
        outcome = Outcome.HELD
    elif not meets_bar:
        outcome = Outcome.NEEDS_MORE
    elif age < MIN_DWELL:
        outcome = Outcome.DWELLING
    else:
        outcome = Outcome.PROMOTE
    return PromotionCheck(
        outcome=outcome,
        effective=e,
        threshold=threshold,
        clusters=diggs.cluster_count,
        largest_share=diggs.largest_share,
        buries=buries.effective,
        bury_limit=limit,
        more_effective=max(by_threshold, by_share),
        more_clusters=more_clusters,
        share_excess=share_excess,
        buries_over=buries_over,
        held_by_moderator=held_by_moderator,
        dwell_remaining=max(timedelta(0), MIN_DWELL - age),
        window_remaining=max(timedelta(0), PROMOTION_WINDOW - age),
        share_binds=by_share > by_threshold,
    )


# Threshold -------------------------------------------------------------------


def adapt_threshold(
    previous: float,
    would_have_promoted_per_day: float,
    target_per_day: float,
    *,
    elapsed_days: float = 1.0,
) -> float:
    """Return the next promotion threshold T (§3.4).

    ``would_have_promoted_per_day`` is how many stories a day passed the
    rule at ``previous`` over the trailing window (7 days). T moves in
    proportion: twice as many as wanted doubles it, none halves it, but
    never by more than THRESHOLD_MAX_DAILY_CHANGE per elapsed day (a job
    run hourly passes ``elapsed_days=1/24``; the cap compounds to 20% a
    day) and never below THRESHOLD_FLOOR.
    """
    if target_per_day <= 0:
        raise ValueError("target_per_day must be positive")
    if would_have_promoted_per_day < 0 or elapsed_days < 0:
        raise ValueError("counts and elapsed time cannot be negative")
    if not math.isfinite(previous):
        raise ValueError("previous threshold must be a finite number")
    current = max(previous, THRESHOLD_FLOOR)
    desired = current * (would_have_promoted_per_day / target_per_day)
    low = current * math.pow(1 - THRESHOLD_MAX_DAILY_CHANGE, elapsed_days)
    high = current * math.pow(1 + THRESHOLD_MAX_DAILY_CHANGE, elapsed_days)
    return max(THRESHOLD_FLOOR, min(high, max(low, desired)))


def threshold_sentence(threshold: float) -> str:
    """Publish T on Upcoming: "Today a story needs 23.4 effective diggs …"."""
    hours = PROMOTION_WINDOW.total_seconds() / 3600
    return (
        f"Today a story needs {threshold:.1f} effective diggs from "
        f"{MIN_CLUSTERS}+ independent groups within {hours:.0f} h."
    )


# Ordering --------------------------------------------------------------------


def upcoming_score(effective: float, submitted_at: datetime) -> float:
    """Return the Upcoming sort key: ``log10(max(E, 1)) + t / 12 h``.

    ``t`` is seconds from UPCOMING_EPOCH to submission, so the key never
    changes with the clock and newer stories start higher. Higher sorts
    first.
    """
    _aware(submitted_at, "submitted_at")
    seconds = (submitted_at - UPCOMING_EPOCH).total_seconds()
    return math.log10(max(effective, 1.0)) + seconds / UPCOMING_DECAY_SECONDS


def front_page_rank(
    effective: float, hours_since_promotion: float, penalties: Iterable[float] = ()
) -> float:
    """Return the front-page rank: ``(E - 1)^0.8 / (h + 2)^1.8 * Π penalties``.

    Hacker News's gravity, keyed on time since *promotion* so every promoted
    story gets its moment. E ≤ 1 ranks 0. A negative age (clock skew between
    workers) counts as 0. Penalties are factors in [0, 1], each shown on the
    why page with its reason.
    """
    factor = 1.0
    for penalty in penalties:
        if not 0.0 <= penalty <= 1.0:
            raise ValueError(f"a penalty is a factor from 0 to 1, not {penalty}")
        factor *= penalty
    if effective <= 1.0:
        return 0.0
    hours = max(0.0, hours_since_promotion) + FRONT_PAGE_AGE_OFFSET_HOURS
    support = math.pow(effective - 1.0, FRONT_PAGE_VOTE_EXPONENT)
    return support / math.pow(hours, FRONT_PAGE_GRAVITY) * factor


def heated_thread_penalty(effective: float, comments: int) -> float:
    """Return the heated-thread factor (§3.5), 1 when it does not apply.

    When a thread has more than HEATED_THREAD_MIN_COMMENTS comments and more
    comments than effective diggs, the story is damped by (E / comments)².
    """
    if comments <= HEATED_THREAD_MIN_COMMENTS or comments <= effective:
        return 1.0
    return (max(0.0, effective) / comments) ** 2


def wilson_lower_bound(ups: int, downs: int, z: float = WILSON_Z) -> float:
    """Return the lower bound of the Wilson score interval for ups/(ups+downs).

    Sorting comments by it ("best") ranks 40 up / 10 down above 4 up / 1
    down: same ratio, more evidence. 0 when there are no up votes.
    """
    if ups < 0 or downs < 0:
        raise ValueError("vote counts cannot be negative")
    n = ups + downs
    if ups == 0:
        # Exactly 0: the formula's two terms cancel only up to rounding.
        return 0.0
    p = ups / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * math.sqrt((p * (1 - p) + z2 / (4 * n)) / n)
    return max(0.0, (centre - spread) / (1 + z2 / n))
