"""Reports and what moderators do, at the action level, on the real database."""

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from oauth2_provider.models import AccessToken

from hubbub.accounts.actions import follow_account
from hubbub.accounts.models import Account
from hubbub.moderation import actions
from hubbub.moderation.models import Action, HiddenPost, LogEntry, Reason, Report
from hubbub.posts.actions import boost_post, publish_note
from hubbub.posts.models import Post, Visibility
from hubbub.posts.queries import public_posts, tag_posts, visible_posts
from hubbub.search.queries import search_posts
from hubbub.timelines.queries import home_timeline
from hubbub.timelines.store import PageBounds
from tests.api.conftest import make_token
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def mod(db) -> Account:
    return Account.objects.create_user("mod", password=PASSWORD, is_staff=True)


def sees(viewer: Account | None, post: Post) -> bool:
    return visible_posts(viewer).filter(id=post.id).exists()


# --- reports ---------------------------------------------------------------------


def test_a_report_about_a_post_names_its_author(alice, bob):
    post = publish_note(bob, text="buy my thing")
    report = actions.report_post(
        alice, post=post, reason=Reason.PROMOTIONAL, comment=" an advert "
    )
    assert (report.account_id, report.post_id) == (bob.pk, post.id)
    assert report.comment == "an advert"
    # Reporting again while it is open is the same report.
    again = actions.report_post(alice, post=post, reason=Reason.SPAM)
    assert again.pk == report.pk
    assert Report.objects.count() == 1


def test_reporting_a_boost_reports_its_original(alice, bob, carol):
    post = publish_note(bob, text="original")
    boost = boost_post(carol, post=post)
    report = actions.report_post(alice, post=boost, reason=Reason.SPAM)
    assert (report.post_id, report.account_id) == (post.id, bob.pk)


def test_a_post_one_cannot_see_cannot_be_reported(alice, bob):
    secret = publish_note(bob, text="followers only", visibility=Visibility.FOLLOWERS)
    with pytest.raises(Http404):
        actions.report_post(alice, post=secret, reason=Reason.SPAM)
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("reason", "comment", "code"),
    [("bogus", "", "reason"), (Reason.SPAM, "x" * 1001, "long")],
)
def test_bad_reports_are_refused_and_write_nothing(alice, bob, reason, comment, code):
    with pytest.raises(ValidationError) as refused:
        actions.report_account(alice, account=bob, reason=reason, comment=comment)
    assert refused.value.code == code
    assert not Report.objects.exists()


def test_nobody_reports_themselves(alice):
    with pytest.raises(ValidationError) as refused:
        actions.report_account(alice, account=alice, reason=Reason.SPAM)
    assert refused.value.code == "self"


# --- moderators' actions ------------------------------------------------------------


def test_only_moderators_act_and_a_reason_is_required(alice, bob, mod):
    post = publish_note(bob, text="hello")
    with pytest.raises(PermissionDenied):
        actions.hide_post(alice, post=post, reason="no")
    with pytest.raises(ValidationError):
        actions.hide_post(mod, post=post, reason="  ")
    assert not HiddenPost.objects.exists()
    assert not LogEntry.objects.exists()


def test_hiding_leaves_the_post_to_its_author_until_restored(alice, bob, mod):
    post = publish_note(bob, text="hello #cats")
    boost = boost_post(alice, post=post)
    report = actions.report_post(alice, post=post, reason=Reason.ABUSE)

    entry = actions.hide_post(mod, post=post, reason="Harassment")

    assert (entry.action, entry.reason, entry.post_id) == (
        Action.HIDE,
        "Harassment",
        post.id,
    )
    assert entry.account_id == bob.pk
    assert sees(bob, post)
    assert not sees(alice, post)
    assert not sees(None, post)
    assert not sees(None, boost)
    report.refresh_from_db()
    assert report.resolved_by_id == mod.pk

    actions.restore_post(mod, post=post, reason="On appeal")
    assert sees(alice, post)
    assert sees(None, boost)


def test_a_moderator_deletes_a_post_as_its_author_would(alice, bob, mod):
    post = publish_note(bob, text="to go")
    actions.delete_post(mod, post=post, reason="Spam")
    post.refresh_from_db()
    bob.refresh_from_db()
    assert post.deleted_at is not None
    assert bob.posts_count == 0
    assert LogEntry.objects.get().action == Action.DELETE


def test_silence_keeps_posts_to_followers(alice, bob, carol, mod, run_jobs):
    follow_account(alice, followee=bob)
    with run_jobs():
        post = publish_note(bob, text="quietly #news")
    actions.silence_account(mod, account=bob, reason="Flooding the public timeline")

    bounds = PageBounds(limit=20)
    for listing in (public_posts, lambda v: tag_posts(v, "news")):
        assert post in listing(alice)
        assert post in listing(bob)
        assert post not in listing(carol)
        assert post not in listing(None)
    found = {
        who: [p.id for p in search_posts(who, "quietly", limit=5, offset=0)]
        for who in (alice, carol)
    }
    assert found == {alice: [post.id], carol: []}
    # Followers still get it at home, and anyone can still open it.
    assert post.id in [p.id for p in home_timeline(alice, bounds)]
    assert sees(carol, post)


def test_suspension_ends_tokens_and_log_ins_and_hides_posts(alice, bob, mod):
    post = publish_note(bob, text="hello")
    make_token(bob, "read write")
    actions.report_account(alice, account=bob, reason=Reason.SPAM)

    actions.suspend_account(mod, account=bob, reason="Spam network")

    bob.refresh_from_db()
    assert not bob.is_active
    assert bob.suspended_at is not None
    assert not AccessToken.objects.filter(user=bob).exists()
    assert authenticate(username="bob", password=PASSWORD) is None
    assert not sees(alice, post)
    assert not Report.objects.filter(resolved_at__isnull=True).exists()

    actions.unsuspend_account(mod, account=bob, reason="Appeal upheld")
    assert authenticate(username="bob", password=PASSWORD) == bob
    assert sees(alice, post)
    assert [e.action for e in LogEntry.objects.order_by("id")] == [
        Action.SUSPEND,
        Action.UNSUSPEND,
    ]


def test_moderators_cannot_be_suspended(mod):
    other = Account.objects.create_user("mod2", password=PASSWORD, is_staff=True)
    with pytest.raises(ValidationError):
        actions.suspend_account(mod, account=other, reason="no")
    other.refresh_from_db()
    assert other.is_active


def test_the_queue_acts_on_a_report(alice, bob, mod):
    post = publish_note(bob, text="hello")
    on_post = actions.report_post(alice, post=post, reason=Reason.PROMOTIONAL)
    on_account = actions.report_account(alice, account=bob, reason=Reason.SPAM)

    actions.act_on_report(mod, report=on_post, action="label", reason="An advert")
    post.refresh_from_db()
    assert (post.promotional_source, post.promotional_reason) == (
        "moderator",
        "An advert",
    )
    with pytest.raises(ValidationError):
        # Post actions need a report about a post.
        actions.act_on_report(mod, report=on_account, action="hide", reason="x")
    with pytest.raises(ValidationError):
        actions.act_on_report(mod, report=on_account, action="explode", reason="x")
    actions.act_on_report(
        mod, report=on_account, action="dismiss", reason="Not spam, a fan"
    )

    assert not Report.objects.filter(resolved_at__isnull=True).exists()
    assert [(e.action, e.reason) for e in LogEntry.objects.order_by("id")] == [
        (Action.LABEL, "An advert"),
        (Action.DISMISS, "Not spam, a fan"),
    ]
