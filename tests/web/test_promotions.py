"""The promotional settings page and the composer's "promotional" box."""

import re

import pytest

from hubbub.accounts.actions import set_promotional_posts
from hubbub.accounts.models import Account, PromotionalPosts
from hubbub.posts.models import Post, PromotionalSource
from tests.conftest import logged_in
from tests.web.test_pages import submit

pytestmark = pytest.mark.django_db

PAGE = "/settings/promotions"


def test_the_page_offers_three_labelled_choices(csrf_client, alice):
    html = logged_in(csrf_client, alice).get(PAGE).content.decode()
    for choice in PromotionalPosts:
        assert f'value="{choice.value}"' in html
        assert f">{choice.label}</label>" in html
    # Collapse is the default, and it is what the page starts on.
    checked = re.findall(r'<input type="radio"[^>]*value="(\w+)"[^>]*checked', html)
    assert checked == ["collapse"]


@pytest.mark.parametrize("choice", list(PromotionalPosts))
def test_saving_a_choice(csrf_client, alice, choice):
    client = logged_in(csrf_client, alice)
    response = submit(client, PAGE, PAGE, {"promotional_posts": choice.value})
    assert response.status_code == 200
    assert "Saved" in response.content.decode()
    alice.refresh_from_db()
    assert alice.promotional_posts == choice


@pytest.mark.parametrize("bad", ["dim", "", "HIDE"])
def test_a_bad_choice_is_refused_and_changes_nothing(csrf_client, alice, bad):
    client = logged_in(csrf_client, alice)
    response = submit(client, PAGE, PAGE, {"promotional_posts": bad})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    alice.refresh_from_db()
    assert alice.promotional_posts == PromotionalPosts.COLLAPSE


def test_the_action_refuses_a_bad_choice(alice):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        set_promotional_posts(alice, choice="sometimes")
    assert caught.value.code == "invalid_choice"
    assert Account.objects.get(pk=alice.pk).promotional_posts == "collapse"


def test_signed_out_visitors_are_sent_to_log_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/login")


def test_the_composer_box_labels_the_note_as_the_authors(csrf_client, alice):
    client = logged_in(csrf_client, alice)
    submit(client, "/", "/notes", {"text": "Mugs for sale", "promotional": "on"})
    submit(client, "/", "/notes", {"text": "Just a note"})
    sources = dict(Post.objects.values_list("text", "promotional_source"))
    assert sources == {
        "Mugs for sale": PromotionalSource.AUTHOR,
        "Just a note": "",
    }
    html = client.get("/").content.decode()
    assert "This is promotional" in html
    # The author sees their own advert open, with its label.
    assert "labelled by the author" in html
    assert '<details class="promotion">' not in html
