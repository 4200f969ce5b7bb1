"""A digg checks visibility with ``visible_public_originals``: the same
answer ``visible_posts`` gives for a story, refused the same way."""

from collections.abc import Callable

import pytest
from django.http import Http404

from hubbub.accounts.actions import block_account, set_promotional_posts
from hubbub.accounts.models import Account, PromotionalPosts
from hubbub.moderation import actions as moderation
from hubbub.news.actions import digg_story, submit_story
from hubbub.news.models import Story, StoryVote
from hubbub.posts.actions import delete_post
from hubbub.posts.models import Favourite, Post
from hubbub.posts.queries import visible_posts
from tests.news.conftest import member, story_by


def _moderator() -> Account:
    account = member("moderator")
    Account.objects.filter(pk=account.pk).update(is_staff=True)
    account.refresh_from_db()
    return account


def _blocked_by_submitter(story: Story, voter: Account) -> None:
    block_account(story.post.author, target=voter)


def _blocking_submitter(story: Story, voter: Account) -> None:
    block_account(voter, target=story.post.author)


def _deleted(story: Story, voter: Account) -> None:
    delete_post(story.post.author, post=story.post)


def _submitter_suspended(story: Story, voter: Account) -> None:
    moderation.suspend_account(
        _moderator(), account=story.post.author, reason="Spam ring."
    )


def _hidden_by_moderator(story: Story, voter: Account) -> None:
    moderation.hide_post(_moderator(), post=story.post, reason="Off topic.")


def _promotional_to_a_hider(story: Story, voter: Account) -> None:
    moderation.label_post(_moderator(), post=story.post, reason="An advert.")
    set_promotional_posts(voter, choice=PromotionalPosts.HIDE)


def _promotional_to_a_reader(story: Story, voter: Account) -> None:
    moderation.label_post(_moderator(), post=story.post, reason="An advert.")


def _nothing(story: Story, voter: Account) -> None:
    pass


CASES: dict[str, tuple[Callable[[Story, Account], None], bool]] = {
    "a plain story": (_nothing, True),
    "the submitter blocked the voter": (_blocked_by_submitter, False),
    "the voter blocked the submitter": (_blocking_submitter, False),
    "the story is deleted": (_deleted, False),
    "the submitter is suspended": (_submitter_suspended, False),
    "a moderator hid the story": (_hidden_by_moderator, False),
    "promotional, the voter hides those": (_promotional_to_a_hider, False),
    "promotional, the voter shows those": (_promotional_to_a_reader, True),
}


@pytest.mark.parametrize("case", CASES)
def test_a_digg_goes_in_exactly_when_visible_posts_shows_the_story(db, case):
    story = story_by(member("submitter"))
    voter = member()
    arrange, expected = CASES[case]
    arrange(story, voter)
    voter.refresh_from_db()
    visible = visible_posts(voter).filter(id=story.pk).exists()
    assert visible is expected
    if visible:
        digg_story(voter, story=story)
    else:
        with pytest.raises(Http404):
            digg_story(voter, story=story)
    # Refused: nothing written. Taken: the favourite, its count, the vote.
    written = 1 if visible else 0
    assert Favourite.objects.filter(account=voter, post_id=story.pk).count() == written
    assert Post.objects.get(id=story.pk).favourites_count == written
    assert StoryVote.objects.filter(story_id=story.pk, account=voter).count() == written
    assert Story.objects.get(pk=story.pk).diggs == written


def test_the_submitter_diggs_their_own_story_even_when_hiding_promotional(db):
    submitter = member("submitter")
    story = submit_story(
        submitter, url="https://example.com/ad", title="Buy this", promotional=True
    ).story
    set_promotional_posts(submitter, choice=PromotionalPosts.HIDE)
    assert visible_posts(submitter).filter(id=story.pk).exists()
    digg_story(submitter, story=story)
    assert Story.objects.get(pk=story.pk).diggs == 1
