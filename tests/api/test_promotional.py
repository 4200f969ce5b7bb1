"""The promotional label through the client API: the author's parameter
and the FilterResult that collapses a labelled status in clients."""

import pytest

from hubbub.accounts.actions import set_promotional_posts
from hubbub.posts.models import Post, PromotionalSource
from tests.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_api(alice) -> ApiClient:
    return ApiClient(make_token(alice, "read write"))


def test_the_author_marks_a_status_promotional(alice_api, bob):
    response = alice_api.post_json(
        "/api/v1/statuses", {"status": "Mugs for sale", "promotional": True}
    )
    assert response.status_code == 200
    status = response.json()
    post = Post.objects.get(id=status["id"])
    assert post.promotional_source == PromotionalSource.AUTHOR
    # The author's own status is never filtered for them.
    assert "filtered" not in status

    bobs = ApiClient(make_token(bob, "read"))
    seen = bobs.get(f"/api/v1/statuses/{post.id}").json()
    [result] = seen["filtered"]
    assert result == {
        "filter": {
            "id": "promotional",
            "title": "Promotional (labelled by the author): "
            "Marked promotional by its author",
            "context": ["home", "notifications", "public", "thread", "account"],
            "expires_at": None,
            "filter_action": "warn",
        },
        "keyword_matches": None,
        "status_matches": [str(post.id)],
    }
    set_promotional_posts(bob, choice="show")
    assert "filtered" not in bobs.get(f"/api/v1/statuses/{post.id}").json()
    set_promotional_posts(bob, choice="hide")
    assert bobs.get(f"/api/v1/statuses/{post.id}").status_code == 404


def test_a_form_encoded_flag_works_too(alice_api):
    response = alice_api.post(
        "/api/v1/statuses", {"status": "Tickets on sale", "promotional": "true"}
    )
    assert response.status_code == 200
    assert Post.objects.get().promotional_source == PromotionalSource.AUTHOR


def test_a_bad_flag_is_refused_and_nothing_is_posted(alice_api):
    response = alice_api.post_json(
        "/api/v1/statuses", {"status": "Mugs", "promotional": "perhaps"}
    )
    assert response.status_code == 422
    assert "error" in response.json()
    assert not Post.objects.exists()
