"""The promotional label's four sources, and what each reader gets."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from hubbub.accounts.actions import follow_account
from hubbub.accounts.models import Account, PromotionalPosts
from hubbub.moderation.labels import (
    COMMUNITY_MIN_CLUSTERS,
    label_promotional,
    promotional_reports,
    unlabel_promotional,
    weigh_promotional_reports,
)
from hubbub.moderation.models import Action, LogEntry, Reason, Report
from hubbub.news.actions import report
from hubbub.posts.actions import boost_post, publish_note
from hubbub.posts.models import Post, PromotionalSource
from hubbub.posts.queries import promotion_collapsed, visible_posts
from tests.conftest import make_account

pytestmark = pytest.mark.django_db

ADVERT = (
    "Flash sale! 30% off all hoodies this weekend only. Shop now "
    "https://threads.example.shop/sale"
)


def reload(post: Post) -> Post:
    return Post.objects.get(pk=post.pk)


# --- the author ---------------------------------------------------------------


def test_the_author_marks_a_note_promotional(alice):
    note = publish_note(alice, text="New mugs in the shop", promotional=True)
    assert note.promotional_source == PromotionalSource.AUTHOR
    assert note.promotional_reason == "Marked promotional by its author"
    # The author's own choice is not a moderation action.
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize(("tag", "name"), [("#ad", "ad"), ("#Sponsored", "sponsored")])
def test_ad_tags_label_a_note_as_the_authors(alice, tag, name):
    note = publish_note(alice, text=f"Loving these trainers {tag}")
    assert note.promotional_source == PromotionalSource.AUTHOR
    assert note.promotional_reason == f"Tagged #{name} by its author"


def test_words_that_only_contain_ad_do_not_label(alice):
    note = publish_note(alice, text="Reading about #adders and #adverbs today")
    assert note.promotional_source == ""


# --- the detector -------------------------------------------------------------


def test_the_detector_labels_an_advert_and_logs_it(alice):
    note = publish_note(alice, text=ADVERT)
    assert note.promotional_source == PromotionalSource.DETECTOR
    assert note.promotional_reason.startswith("Automatic: ")
    entry = LogEntry.objects.get()
    assert (entry.action, entry.moderator, entry.post_id) == (
        Action.LABEL,
        None,
        note.id,
    )
    assert entry.reason == note.promotional_reason


def test_the_detector_leaves_conversation_alone(alice, bob):
    note = publish_note(alice, text="Party at mine Saturday from 8, bring snacks!")
    reply = publish_note(bob, text="@alice I'll bring crisps!", in_reply_to=note)
    assert reload(note).promotional_source == ""
    assert reload(reply).promotional_source == ""
    assert not LogEntry.objects.exists()


def test_the_detector_reads_the_authors_site_and_habits(alice, bob):
    text = "Fresh batch this week https://hotdrop.shop"
    assert publish_note(bob, text=text).promotional_source == ""
    Account.objects.filter(pk=alice.pk).update(bio="Hot sauce https://hotdrop.shop")
    alice.refresh_from_db()
    for n in range(11):
        publish_note(alice, text=f"Batch {n} https://hotdrop.shop/{n}")
    again = publish_note(alice, text=text)
    assert again.promotional_source == PromotionalSource.DETECTOR
    assert again.promotional_reason == (
        "Automatic: repeats a link the author keeps posting"
        " and links to the author's own site"
    )


# --- moderators ---------------------------------------------------------------


@pytest.fixture
def moderator(db) -> Account:
    mod = make_account("mona")
    Account.objects.filter(pk=mod.pk).update(is_staff=True)
    mod.refresh_from_db()
    return mod


def test_a_moderator_labels_and_clears_with_a_logged_reason(alice, moderator):
    note = publish_note(alice, text="My cousin's cafe is great")
    labelled = label_promotional(moderator, post=note, reason="Undisclosed ad")
    assert labelled.promotional_source == PromotionalSource.MODERATOR
    assert labelled.promotional_reason == "Undisclosed ad"
    cleared = unlabel_promotional(moderator, post=note, reason="Appeal upheld")
    assert cleared.promotional_source == ""
    assert cleared.promotional_reason == ""
    log = list(LogEntry.objects.order_by("id").values_list("action", "reason"))
    assert log == [(Action.LABEL, "Undisclosed ad"), (Action.UNLABEL, "Appeal upheld")]


def test_a_moderator_overrides_the_detector(alice, moderator):
    note = publish_note(alice, text=ADVERT)
    assert note.promotional_source == PromotionalSource.DETECTOR
    label_promotional(moderator, post=note, reason="Checked: an advert")
    assert reload(note).promotional_source == PromotionalSource.MODERATOR


def test_labelling_a_boost_labels_its_original(alice, bob, moderator):
    note = publish_note(alice, text="just a note")
    boost = boost_post(bob, post=note)
    label_promotional(moderator, post=boost, reason="Paid placement")
    assert reload(note).promotional_source == PromotionalSource.MODERATOR
    assert reload(boost).promotional_source == ""


def test_only_moderators_label(alice, bob):
    note = publish_note(alice, text="just a note")
    with pytest.raises(PermissionDenied):
        label_promotional(bob, post=note, reason="I don't like it")
    with pytest.raises(PermissionDenied):
        unlabel_promotional(alice, post=note, reason="mine")
    assert reload(note).promotional_source == ""
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize(
    ("reason", "code"), [(" \n", "reason_required"), ("x" * 201, "reason_too_long")]
)
def test_a_moderator_must_give_a_short_reason(alice, moderator, reason, code):
    note = publish_note(alice, text="just a note")
    with pytest.raises(ValidationError) as caught:
        label_promotional(moderator, post=note, reason=reason)
    assert caught.value.code == code
    assert reload(note).promotional_source == ""
    assert not LogEntry.objects.exists()


# --- community reports --------------------------------------------------------


def established(name: str) -> Account:
    """An account a month and a half old that has posted: full trust."""
    account = make_account(name)
    publish_note(account, text=f"hello from {name}")
    Account.objects.filter(pk=account.pk).update(
        date_joined=timezone.now() - timedelta(days=45)
    )
    account.refresh_from_db()
    return account


@pytest.fixture
def rival_note(db, run_jobs) -> Post:
    rival = make_account("rival")
    return publish_note(rival, text="Our bakery opens late on Fridays now")


def report_all(reporters: list[Account], post: Post, run_jobs) -> None:
    with run_jobs():
        for reporter in reporters:
            report(reporter, post=post, reason=Reason.PROMOTIONAL)


def test_independent_reporters_label_a_post(rival_note, run_jobs):
    reporters = [established(f"reader{n}") for n in range(COMMUNITY_MIN_CLUSTERS)]
    report_all(reporters, rival_note, run_jobs)
    note = reload(rival_note)
    assert note.promotional_source == PromotionalSource.COMMUNITY
    assert note.promotional_reason == (
        "Reported as promotional by 3 independent groups of readers"
    )
    entry = LogEntry.objects.get(post=note)
    assert (entry.action, entry.moderator) == (Action.LABEL, None)


def test_a_brigade_of_associated_accounts_cannot_label_a_rival(rival_note, run_jobs):
    brigade = [established(f"ring{n}") for n in range(12)]
    # They organise among themselves: each follows the next, round a ring.
    for member, other in zip(brigade, brigade[1:] + brigade[:1], strict=True):
        follow_account(member, followee=other)
    report_all(brigade, rival_note, run_jobs)
    tally = promotional_reports(rival_note)
    # Twelve full-trust reports count as one group, sqrt(12) ~ 3.5: over
    # the threshold by weight, but a single group cannot label.
    assert tally.votes == 12
    assert tally.cluster_count == 1
    assert reload(rival_note).promotional_source == ""
    assert not LogEntry.objects.filter(post=rival_note).exists()


def test_fresh_sock_puppets_cannot_label_a_rival(rival_note, run_jobs):
    puppets = [make_account(f"puppet{n}") for n in range(15)]
    report_all(puppets, rival_note, run_jobs)
    tally = promotional_reports(rival_note)
    assert tally.cluster_count == 15
    assert tally.effective < 1
    assert reload(rival_note).promotional_source == ""


def test_the_authors_own_report_weighs_nothing(db, run_jobs):
    author = established("selfie")
    note = publish_note(author, text="my own note")
    # Refused outright; and were such a row written, it would weigh 0.
    with pytest.raises(ValidationError):
        report_all([author], note, run_jobs)
    Report.objects.create(
        reporter=author, account=author, post=note, reason=Reason.PROMOTIONAL
    )
    assert promotional_reports(note).effective == 0


def test_reports_do_not_relabel_what_a_moderator_cleared(rival_note, run_jobs):
    mod = established("mona")
    Account.objects.filter(pk=mod.pk).update(is_staff=True)
    mod.refresh_from_db()
    unlabel_promotional(mod, post=rival_note, reason="Not an advert")
    report_all([established(f"reader{n}") for n in range(4)], rival_note, run_jobs)
    assert reload(rival_note).promotional_source == ""
    assert weigh_promotional_reports(rival_note.id) is False


def test_reporting_twice_is_one_report(rival_note, bob, run_jobs):
    report_all([bob, bob], rival_note, run_jobs)
    assert Report.objects.filter(reporter=bob).count() == 1


def test_a_report_needs_a_known_reason_and_a_visible_post(alice, bob):
    note = publish_note(alice, text="psst", visibility="direct")
    with pytest.raises(Http404):
        report(bob, post=note, reason=Reason.PROMOTIONAL)
    public = publish_note(alice, text="hello")
    with pytest.raises(ValidationError):
        report(bob, post=public, reason="because")
    with pytest.raises(ValidationError):
        report(bob, post=public, reason=Reason.SPAM, comment="x" * 1001)
    assert not Report.objects.exists()


# --- what readers get ---------------------------------------------------------


def choose(account: Account, choice: str) -> Account:
    Account.objects.filter(pk=account.pk).update(promotional_posts=choice)
    account.refresh_from_db()
    return account


def test_a_reader_who_hides_promotions_sees_none_but_their_own(alice, bob, carol):
    advert = publish_note(alice, text="Mugs for sale", promotional=True)
    plain = publish_note(alice, text="just a note")
    boost = boost_post(carol, post=advert)
    own = publish_note(bob, text="my own advert #ad")
    bob = choose(bob, PromotionalPosts.HIDE)
    seen = set(visible_posts(bob).values_list("id", flat=True))
    assert plain.id in seen
    assert own.id in seen
    assert advert.id not in seen
    assert boost.id not in seen  # a boost hides with its original
    for choice in (PromotionalPosts.SHOW, PromotionalPosts.COLLAPSE):
        carol = choose(carol, choice)
        assert {advert.id, boost.id} <= set(
            visible_posts(carol).values_list("id", flat=True)
        )


def test_collapse_is_the_default_and_authors_see_their_own_open(alice, bob, carol):
    advert = publish_note(alice, text="Mugs for sale", promotional=True)
    plain = publish_note(alice, text="just a note")
    boost = boost_post(carol, post=advert)
    assert bob.promotional_posts == PromotionalPosts.COLLAPSE
    assert promotion_collapsed(advert, bob)
    assert promotion_collapsed(boost, bob)
    assert promotion_collapsed(advert, None)
    assert not promotion_collapsed(plain, bob)
    assert not promotion_collapsed(advert, alice)
    assert not promotion_collapsed(advert, choose(bob, PromotionalPosts.SHOW))
