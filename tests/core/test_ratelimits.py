"""Each action limit through exactly its own path: hit, refused, recovered.

Windows are two seconds here (``rate_limits`` sets them) and aligned to
the clock, so each test starts with most of a window ahead of it, takes
its page's CSRF token before counting (one light request per action), and
recovers by waiting out the ``Retry-After`` it was given.
"""

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest
from django.apps import apps
from django.core.cache import cache as django_cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern
from django.utils import timezone

from hubbub.accounts.models import Account, Follow
from hubbub.api.models import Application
from hubbub.api.urls import api
from hubbub.blog.models import Article
from hubbub.core.ratelimits import (
    ACTIONS,
    JSON_PATHS,
    RateLimitedError,
    enforce,
    forget_old_counters,
    hit,
)
from hubbub.core.redis_client import client, run
from hubbub.moderation.models import RateCounter, Report
from hubbub.news.actions import submit_story
from hubbub.news.models import Story
from hubbub.posts.actions import publish_note
from hubbub.posts.models import Favourite, Post
from tests.api.conftest import ApiClient, make_app, make_token
from tests.api.test_ratelimit import password_grant
from tests.conftest import logged_in
from tests.factories import PASSWORD, AccountFactory
from tests.live import hubbub_env
from tests.threads import run_together
from tests.web.test_pages import csrf_token, text_of

pytestmark = pytest.mark.django_db
WINDOW = 2
# The least time a test has left in its window when it starts counting.
SLACK = 1.5
# A longer window for paths that do more per request (a story's detector
# and preview job, an article's rendering), so three requests fit in one
# window on a loaded machine.
SLOW_WINDOW = 6


def fresh_window(window: int = WINDOW) -> None:
    """Sleep into the next window unless most of this one remains."""
    left = window - time.time() % window
    if left < window - (WINDOW - SLACK):
        time.sleep(left + 0.01)


def form_poster(client: Client, page: str):
    """Return ``post(action, data, **extra)``: a form post from ``page``
    with its CSRF token, taken once, as a browser reuses it."""
    token = csrf_token(client, page)

    def post(action: str, data: dict, **extra):
        return client.post(action, {**data, "csrfmiddlewaretoken": token}, **extra)

    return post


def wait_out(response) -> None:
    time.sleep(int(response["Retry-After"]))


def assert_refused_page(response, doing: str, window: int = WINDOW) -> None:
    assert response.status_code == 429
    assert f"the limit for {doing}" in text_of(response)
    assert 1 <= int(response["Retry-After"]) <= window


def assert_refused_api(response, doing: str, window: int = WINDOW) -> None:
    assert response.status_code == 429
    assert f"the limit for {doing}" in response.json()["error"]
    assert 1 <= int(response["Retry-After"]) <= window
    assert response["X-RateLimit-Remaining"] == "0"


def old(account: Account) -> Account:
    """Make ``account`` two days old, past the stricter first day."""
    account.date_joined = timezone.now() - timedelta(days=2)
    account.save(update_fields=["date_joined"])
    return account


# --- posting ---------------------------------------------------------------------


def test_posting_through_the_compose_form(rate_limits, csrf_client, alice):
    rate_limits(post__account=(2, WINDOW))
    form = form_poster(logged_in(csrf_client, alice), "/")

    def post(n: int):
        return form("/notes", {"text": f"note {n}", "visibility": "public"})

    fresh_window()
    assert [post(n).status_code for n in range(2)] == [302, 302]
    refused = post(2)
    assert_refused_page(refused, "posting")
    assert Post.objects.count() == 2
    wait_out(refused)
    assert post(3).status_code == 302
    assert Post.objects.count() == 3


def test_posting_through_the_api(rate_limits, alice):
    rate_limits(post__account=(2, WINDOW))
    api = ApiClient(make_token(alice, "write"))

    def post(n: int):
        return api.post_json("/api/v1/statuses", {"status": f"note {n}"})

    fresh_window()
    assert [post(n).status_code for n in range(2)] == [200, 200]
    refused = post(2)
    assert_refused_api(refused, "posting")
    assert refused["X-RateLimit-Limit"] == "2"
    assert Post.objects.count() == 2
    wait_out(refused)
    assert post(3).status_code == 200


def test_first_day_accounts_have_the_stricter_limit(rate_limits, alice, bob):
    rate_limits(post__account=(3, WINDOW), post__new=(1, WINDOW))
    old(bob)
    fresh_window()
    publish_note(alice, text="hello")
    with pytest.raises(RateLimitedError):
        publish_note(alice, text="again")
    for n in range(3):
        publish_note(bob, text=f"established {n}")
    with pytest.raises(RateLimitedError) as refused:
        publish_note(bob, text="one too many")
    assert "3 in 2 seconds" in refused.value.message
    time.sleep(refused.value.quota.retry_after)
    publish_note(alice, text="next window")
    assert Post.objects.filter(author=alice).count() == 2


def test_the_burst_limit_holds_inside_the_longer_one(rate_limits, alice):
    rate_limits(post__account=(100, 60), post__burst=(2, WINDOW))
    fresh_window()
    publish_note(alice, text="one")
    publish_note(alice, text="two")
    with pytest.raises(RateLimitedError) as refused:
        publish_note(alice, text="three")
    time.sleep(refused.value.quota.retry_after)
    publish_note(alice, text="three, later")
    assert Post.objects.count() == 3


def test_one_address_is_limited_across_accounts(rate_limits, csrf_client, alice, bob):
    rate_limits(post__ip=(2, WINDOW))
    mine = form_poster(logged_in(csrf_client, alice), "/")
    theirs = form_poster(logged_in(Client(enforce_csrf_checks=True), bob), "/")
    data = {"text": "hi", "visibility": "public"}
    fresh_window()
    assert mine("/notes", data).status_code == 302
    assert theirs("/notes", data).status_code == 302
    assert theirs("/notes", data, REMOTE_ADDR="192.0.2.9").status_code == 302
    refused = mine("/notes", data)
    assert_refused_page(refused, "posting")
    assert Post.objects.count() == 3


def test_an_htmx_post_gets_the_message_alone(rate_limits, csrf_client, alice):
    rate_limits(post__account=(0, WINDOW))
    client = logged_in(csrf_client, alice)
    token = client.get("/").cookies["csrftoken"].value
    response = client.post(
        "/notes",
        {"text": "hi"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 429
    assert text_of(response).startswith('<p class="error" role="alert">')
    assert "<html" not in text_of(response)


# --- following, digging ------------------------------------------------------------


def test_following_through_the_profile_button(rate_limits, csrf_client, alice):
    rate_limits(follow__account=(2, WINDOW))
    form = form_poster(logged_in(csrf_client, alice), "/")
    people = AccountFactory.create_batch(4)

    def follow(person: Account):
        return form(f"/@{person.username}/follow", {})

    fresh_window()
    assert [follow(p).status_code for p in people[:2]] == [302, 302]
    # Following someone already followed changes nothing and costs nothing.
    assert follow(people[0]).status_code == 302
    refused = follow(people[2])
    assert_refused_page(refused, "following")
    assert Follow.objects.filter(follower=alice).count() == 2
    wait_out(refused)
    assert follow(people[3]).status_code == 302
    assert Follow.objects.filter(follower=alice).count() == 3


def test_digging_through_the_api_favourite(rate_limits, alice, bob):
    rate_limits(digg__account=(2, WINDOW))
    posts = [publish_note(bob, text=f"story {n}") for n in range(4)]
    api = ApiClient(make_token(alice, "write"))

    def digg(post: Post):
        return api.post(f"/api/v1/statuses/{post.id}/favourite")

    fresh_window()
    assert [digg(p).status_code for p in posts[:2]] == [200, 200]
    refused = digg(posts[2])
    assert_refused_api(refused, "digging and favouriting")
    assert Favourite.objects.count() == 2
    wait_out(refused)
    assert digg(posts[3]).status_code == 200
    assert Favourite.objects.count() == 3


# --- signing up and logging in ------------------------------------------------------


def test_signing_up_from_one_address(rate_limits, db):
    rate_limits(signup__ip=(2, WINDOW))

    # Each sign-up logs its browser in: one browser per sign-up.
    forms = [form_poster(Client(enforce_csrf_checks=True), "/signup") for _ in range(5)]

    def sign_up(name: str, address: str = "127.0.0.1"):
        data = {"username": name, "password": PASSWORD, "display_name": ""}
        return forms.pop()("/signup", data, REMOTE_ADDR=address)

    fresh_window()
    assert [sign_up(n).status_code for n in ("ann", "ben")] == [302, 302]
    refused = sign_up("cat")
    assert_refused_page(refused, "signing up")
    assert sign_up("dot", address="192.0.2.1").status_code == 302
    assert not Account.objects.filter(username="cat").exists()
    wait_out(refused)
    assert sign_up("cat").status_code == 302


def login_form():
    """Return ``log_in(username, password, address)`` from a fresh browser
    that has the log-in page open."""
    form = form_poster(Client(enforce_csrf_checks=True), "/login")

    def log_in(username: str, password: str, address: str = "127.0.0.1"):
        data = {"username": username, "password": password}
        return form("/login", data, REMOTE_ADDR=address)

    return log_in


def browsers(count: int):
    """Return ``log_in(...)`` that tries each time from the next of
    ``count`` browsers, their log-in pages opened beforehand."""
    forms = [login_form() for _ in range(count)]
    return lambda *args: forms.pop(0)(*args)


def test_logging_in_from_one_address(rate_limits, alice):
    rate_limits(login__ip=(2, WINDOW))
    _log_in = browsers(4)
    fresh_window()
    # Wrong guesses count as much as right ones.
    assert _log_in("alice", "wrong").status_code == 400
    assert _log_in("bob", "wrong").status_code == 400
    refused = _log_in("alice", PASSWORD)
    assert_refused_page(refused, "logging in")
    assert not refused.wsgi_request.user.is_authenticated
    wait_out(refused)
    assert _log_in("alice", PASSWORD).status_code == 302


def test_logging_in_to_one_account_from_many_addresses(rate_limits, alice):
    rate_limits(login__account=(2, WINDOW))
    _log_in = browsers(5)
    fresh_window()
    assert _log_in("alice", "wrong", "192.0.2.1").status_code == 400
    assert _log_in("ALICE", "wrong", "192.0.2.2").status_code == 400
    refused = _log_in("alice", PASSWORD, "192.0.2.3")
    assert_refused_page(refused, "logging in")
    # Another account is not held up by alice's attacker.
    assert _log_in("bob", "wrong", "192.0.2.4").status_code == 400
    wait_out(refused)
    assert _log_in("alice", PASSWORD, "192.0.2.5").status_code == 302


def test_logging_in_through_the_password_grant(rate_limits, settings, alice):
    settings.HUBBUB_OAUTH_PASSWORD_GRANT = True
    rate_limits(login__account=(1, WINDOW))
    app, secret = make_app()

    def grant(password: str):
        return password_grant(Client(), app, secret, password=password)

    fresh_window()
    assert grant(PASSWORD).status_code == 200
    refused = grant(PASSWORD)
    assert_refused_api(refused, "logging in")
    wait_out(refused)
    assert grant(PASSWORD).json()["access_token"]


# --- the counter --------------------------------------------------------------------


def test_no_limit_is_counted_when_they_are_off(settings, alice):
    settings.HUBBUB_RATE_LIMITS = {"post:account": (0, 60)}
    enforce("post", account=alice)  # off by default in tests: no refusal


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_never_share_the_last_slot():
    used: list[int] = []
    run_together(
        [
            lambda: used.extend(
                hit("race", limit=50, period=60, now=6000.0).used for _ in range(10)
            )
            for _ in range(8)
        ]
    )
    assert sorted(used) == list(range(1, 81))


def test_a_redis_counter_outlives_its_window_under_the_caches_key(settings):
    url = os.environ.get("HUBBUB_REDIS_URL") or "redis://127.0.0.1:6379/7"
    settings.REDIS_URL = url
    now = time.time()
    bucket = f"redis-{now}"
    assert [hit(bucket, limit=5, period=60, now=now).used for _ in "abc"] == [1, 2, 3]
    key = django_cache.make_and_validate_key(f"ratelimit:{bucket}:60:{int(now // 60)}")
    redis = client(url)
    try:
        assert int(redis.get(key)) == 3
        # Created with its expiry, not by INCR alone (which sets none).
        assert 60 < redis.ttl(key) <= 120
    finally:
        redis.delete(key)


def test_a_redis_counter_outlasts_a_lost_script_and_a_dropped_connection(settings):
    """The count runs on the thread's own connection, by the script's
    hash: a Redis that lost its scripts (restarted, SCRIPT FLUSH) or the
    connection (CLIENT KILL) costs a retry, never a count."""
    url = os.environ.get("HUBBUB_REDIS_URL") or "redis://127.0.0.1:6379/7"
    settings.REDIS_URL = url
    now = time.time()
    bucket = f"redis-lost-{now}"
    redis = client(url)

    def count() -> int:
        return hit(bucket, limit=5, period=60, now=now).used

    try:
        assert count() == 1
        redis.script_flush()
        assert count() == 2
        own = run(url, "CLIENT", "ID")
        assert redis.client_kill_filter(_id=own) == 1
        assert count() == 3
        assert run(url, "CLIENT", "ID") != own  # a new connection
    finally:
        redis.delete(
            django_cache.make_and_validate_key(
                f"ratelimit:{bucket}:60:{int(now // 60)}"
            )
        )


def test_reporting_through_the_api(rate_limits, alice):
    rate_limits(report__account=(2, WINDOW))
    people = AccountFactory.create_batch(4)
    api = ApiClient(make_token(alice, "write:reports"))

    def report(person: Account):
        return api.post_json("/api/v1/reports", {"account_id": str(person.pk)})

    fresh_window()
    assert [report(p).status_code for p in people[:2]] == [200, 200]
    refused = report(people[2])
    assert_refused_api(refused, "reporting")
    assert Report.objects.count() == 2
    wait_out(refused)
    assert report(people[3]).status_code == 200
    assert Report.objects.count() == 3


# Run in each of two processes: wait for the go file, count 200 hits on one
# bucket in one window, print the counts each hit got back.
_COUNTING = """
import sys, time
from pathlib import Path
import django
django.setup()
from hubbub.core.ratelimits import hit
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.01)
print(" ".join(str(hit("shared", limit=10, period=3600, now=7200.0).used)
               for _ in range(200)))
"""


@pytest.mark.django_db(transaction=True)
def test_two_processes_share_one_counter(tmp_path):
    """Two processes on the test database (Redis when the suite has it)
    count into one bucket at once: no count is given out twice."""
    go = tmp_path / "go"
    env = hubbub_env(tmp_path)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _COUNTING, str(go)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(0.5)
    go.touch()
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    counts = [int(n) for out, _ in outputs for n in out.split()]
    assert sorted(counts) == list(range(1, 401))
    # The next window of the same bucket starts from one.
    assert hit("shared", limit=10, period=3600, now=10800.0).used == 1
    quota = hit("shared", limit=10, period=3600, now=10800.0)
    assert (quota.used, quota.remaining, quota.exceeded) == (2, 8, False)


def test_finished_windows_are_forgotten(settings):
    settings.REDIS_URL = ""  # the database's counters
    hit("gone", limit=5, period=60, now=60.0)
    hit("kept", limit=5, period=60, now=time.time())
    assert forget_old_counters() == 1
    assert list(RateCounter.objects.values_list("bucket", flat=True)) == [
        "ratelimit:kept:60"
    ]
    assert hit("kept", limit=5, period=60).used == 2


def test_a_long_subject_is_counted_under_a_fixed_size_key(settings):
    settings.REDIS_URL = ""
    handle = "x" * 500
    assert [hit(f"login:account:{handle}", limit=1, period=60).used for _ in "ab"] == [
        1,
        2,
    ]
    assert RateCounter.objects.get().bucket.startswith("ratelimit:sha256:")


# --- each remaining action through its own paths -------------------------------------


def test_following_through_the_api(rate_limits, alice):
    rate_limits(follow__account=(2, WINDOW))
    people = AccountFactory.create_batch(4)
    api = ApiClient(make_token(alice, "follow"))

    def follow(person: Account):
        return api.post(f"/api/v1/accounts/{person.pk}/follow")

    fresh_window()
    assert [follow(p).status_code for p in people[:2]] == [200, 200]
    refused = follow(people[2])
    assert_refused_api(refused, "following")
    assert Follow.objects.filter(follower=alice).count() == 2
    wait_out(refused)
    assert follow(people[3]).status_code == 200
    assert Follow.objects.filter(follower=alice).count() == 3


def test_digging_through_the_favourite_button(rate_limits, csrf_client, alice, bob):
    rate_limits(digg__account=(2, WINDOW))
    posts = [publish_note(bob, text=f"note {n}") for n in range(4)]
    form = form_poster(logged_in(csrf_client, alice), "/")

    def favourite(post: Post):
        return form(f"/notes/{post.id}/favourite", {})

    fresh_window()
    assert [favourite(p).status_code for p in posts[:2]] == [302, 302]
    refused = favourite(posts[2])
    assert_refused_page(refused, "digging and favouriting")
    assert Favourite.objects.count() == 2
    wait_out(refused)
    assert favourite(posts[3]).status_code == 302
    assert Favourite.objects.count() == 3


def stories(author: Account, count: int) -> list[Post]:
    return [
        submit_story(
            author, url=f"https://example.com/{n}", title=f"Story {n}"
        ).story.post
        for n in range(count)
    ]


def test_digging_through_the_news_digg_button(rate_limits, csrf_client, alice, bob):
    rate_limits(digg__account=(2, SLOW_WINDOW))
    posts = stories(bob, 4)
    form = form_poster(logged_in(csrf_client, alice), "/news")

    def digg(post: Post):
        return form(f"/news/{post.id}/digg", {})

    fresh_window(SLOW_WINDOW)
    assert [digg(p).status_code for p in posts[:2]] == [302, 302]
    refused = digg(posts[2])
    assert_refused_page(refused, "digging and favouriting", SLOW_WINDOW)
    assert Favourite.objects.count() == 2
    wait_out(refused)
    assert digg(posts[3]).status_code == 302
    assert Favourite.objects.count() == 3


def test_digging_through_the_news_api(rate_limits, alice, bob):
    rate_limits(digg__account=(2, SLOW_WINDOW))
    posts = stories(bob, 4)
    api = ApiClient(make_token(alice, "write"))

    def digg(post: Post):
        return api.post(f"/api/hubbub/v1/stories/{post.id}/digg")

    fresh_window(SLOW_WINDOW)
    assert [digg(p).status_code for p in posts[:2]] == [200, 200]
    refused = digg(posts[2])
    assert_refused_api(refused, "digging and favouriting", SLOW_WINDOW)
    assert Favourite.objects.count() == 2
    wait_out(refused)
    assert digg(posts[3]).status_code == 200
    assert Favourite.objects.count() == 3


def test_submitting_stories_through_the_form(rate_limits, csrf_client, alice):
    rate_limits(story__account=(2, SLOW_WINDOW))
    form = form_poster(logged_in(csrf_client, alice), "/news/submit")

    def submit(n: int):
        data = {"url": f"https://example.com/{n}", "title": f"Story {n}"}
        return form("/news/submit", data)

    fresh_window(SLOW_WINDOW)
    assert [submit(n).status_code for n in range(2)] == [302, 302]
    refused = submit(2)
    assert_refused_page(refused, "submitting stories", SLOW_WINDOW)
    assert Story.objects.count() == 2
    wait_out(refused)
    assert submit(3).status_code == 302
    assert Story.objects.count() == 3


def test_submitting_stories_through_the_api(rate_limits, alice):
    rate_limits(story__account=(2, SLOW_WINDOW))
    api = ApiClient(make_token(alice, "write"))

    def submit(n: int):
        data = {"url": f"https://example.com/{n}", "title": f"Story {n}"}
        return api.post_json("/api/hubbub/v1/stories", data)

    fresh_window(SLOW_WINDOW)
    assert [submit(n).status_code for n in range(2)] == [200, 200]
    refused = submit(2)
    assert_refused_api(refused, "submitting stories", SLOW_WINDOW)
    assert Story.objects.count() == 2
    wait_out(refused)
    assert submit(3).status_code == 200
    assert Story.objects.count() == 3


def test_reporting_through_the_report_form(rate_limits, csrf_client, alice, bob):
    rate_limits(report__account=(2, WINDOW))
    posts = [publish_note(bob, text=f"note {n}") for n in range(4)]
    form = form_poster(logged_in(csrf_client, alice), "/")

    def report(post: Post):
        return form(f"/news/posts/{post.id}/report", {"reason": "spam"})

    fresh_window()
    assert [report(p).status_code for p in posts[:2]] == [302, 302]
    refused = report(posts[2])
    assert_refused_page(refused, "reporting")
    assert Report.objects.count() == 2
    wait_out(refused)
    assert report(posts[3]).status_code == 302
    assert Report.objects.count() == 3


def test_commenting_on_a_story_counts_as_posting(rate_limits, csrf_client, alice, bob):
    rate_limits(post__account=(2, SLOW_WINDOW))
    (story,) = stories(bob, 1)
    form = form_poster(logged_in(csrf_client, alice), "/news")

    def comment(n: int):
        return form(f"/news/{story.id}/comments", {"text": f"comment {n}"})

    fresh_window(SLOW_WINDOW)
    assert [comment(n).status_code for n in range(2)] == [302, 302]
    refused = comment(2)
    assert_refused_page(refused, "posting", SLOW_WINDOW)
    assert Post.objects.filter(in_reply_to=story).count() == 2
    wait_out(refused)
    assert comment(3).status_code == 302
    assert Post.objects.filter(in_reply_to=story).count() == 3


def test_writing_articles_through_the_api_counts_as_posting(rate_limits, alice):
    rate_limits(post__account=(2, SLOW_WINDOW))
    api = ApiClient(make_token(alice, "write"))

    def draft(n: int):
        return api.post_json(
            "/api/hubbub/v1/articles", {"title": f"Essay {n}", "source": "Words."}
        )

    fresh_window(SLOW_WINDOW)
    assert [draft(n).status_code for n in range(2)] == [200, 200]
    refused = draft(2)
    assert_refused_api(refused, "posting", SLOW_WINDOW)
    assert Article.objects.count() == 2
    wait_out(refused)
    assert draft(3).status_code == 200
    assert Article.objects.count() == 3


def test_deleting_through_the_delete_button(rate_limits, csrf_client, alice):
    rate_limits(delete__account=(2, WINDOW))
    posts = [publish_note(alice, text=f"note {n}") for n in range(4)]
    form = form_poster(logged_in(csrf_client, alice), "/")

    def delete(post: Post):
        return form(f"/notes/{post.id}/delete", {})

    fresh_window()
    assert [delete(p).status_code for p in posts[:2]] == [302, 302]
    refused = delete(posts[2])
    assert_refused_page(refused, "deleting and taking back boosts")
    assert Post.objects.filter(deleted_at__isnull=False).count() == 2
    wait_out(refused)
    assert delete(posts[3]).status_code == 302
    assert Post.objects.filter(deleted_at__isnull=False).count() == 3


def test_deleting_and_unboosting_through_the_api(rate_limits, alice, bob):
    rate_limits(delete__account=(2, WINDOW))
    mine = [publish_note(alice, text=f"note {n}") for n in range(2)]
    theirs = [publish_note(bob, text=f"boosted {n}") for n in range(2)]
    api = ApiClient(make_token(alice, "write"))
    for post in theirs:
        assert api.post(f"/api/v1/statuses/{post.id}/reblog").status_code == 200

    fresh_window()
    assert api.delete(f"/api/v1/statuses/{mine[0].id}").status_code == 200
    assert api.post(f"/api/v1/statuses/{theirs[0].id}/unreblog").status_code == 200
    refused = api.delete(f"/api/v1/statuses/{mine[1].id}")
    assert_refused_api(refused, "deleting and taking back boosts")
    assert_refused_api(
        api.post(f"/api/v1/statuses/{theirs[1].id}/unreblog"),
        "deleting and taking back boosts",
    )
    assert Post.objects.filter(deleted_at__isnull=False).count() == 2
    wait_out(refused)
    assert api.delete(f"/api/v1/statuses/{mine[1].id}").status_code == 200
    assert Post.objects.filter(deleted_at__isnull=False).count() == 3


def test_registering_apps_from_one_address(rate_limits, db):
    rate_limits(app__ip=(2, WINDOW))

    def register(n: int, address: str = "127.0.0.1"):
        data = {"client_name": f"app {n}", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}
        return Client().post(
            "/api/v1/apps", data, content_type="application/json", REMOTE_ADDR=address
        )

    fresh_window()
    assert [register(n).status_code for n in range(2)] == [200, 200]
    refused = register(2)
    assert_refused_api(refused, "registering apps")
    assert register(3, address="192.0.2.7").status_code == 200
    assert Application.objects.count() == 3
    wait_out(refused)
    assert register(4).status_code == 200


# --- every change has a limit: generated from the URL map ----------------------------

UNSAFE = ("post", "put", "patch", "delete")


def _routes(patterns, prefix: str = "") -> list[tuple[str, URLPattern]]:
    """Every URL pattern but the admin's, with the prefix it is under."""
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            # Django's admin is for staff; its log-in goes through the one
            # AccountBackend and so has the logging-in limit.
            if entry.app_name != "admin":
                found += _routes(entry.url_patterns, prefix + str(entry.pattern))
        else:
            found.append((prefix, entry))
    return found


def _sample_path(prefix: str, pattern: URLPattern) -> str:
    """Return a path ``pattern`` matches: each parameter 1, or the first
    choice of a converter that takes a word (``feed.<feedformat:fmt>``)."""
    route = prefix + str(pattern.pattern)
    if isinstance(pattern.pattern, RegexPattern):  # the API's JSON 404
        return "/api/no-such-endpoint"
    converters = pattern.pattern.converters

    def sample(match: re.Match) -> str:
        converter = converters.get(match[1])
        if converter is None or re.fullmatch(converter.regex, "1"):
            return "1"
        return converter.regex.split("|")[0].strip("()")

    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", sample, route)
    assert resolve(path).route == route, path
    return path


def _unsafe_methods(path: str) -> list[str]:
    """Return the API operation's unsafe methods, every one for a page
    (a page's view may take any method: the limit comes first)."""
    operations = _api_schema()["paths"]
    for template, methods in operations.items():
        if re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", template), path):
            return [m for m in methods if m in UNSAFE]
    return list(UNSAFE)


@cache
def _api_schema() -> dict:
    return api.get_openapi_schema()


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model is not RateCounter
    }


def test_every_change_to_every_endpoint_counts_toward_the_change_limit(
    rate_limits, alice
):
    """POST, PUT, PATCH and DELETE to every route, pages and API alike, with
    the change limit at 0 are refused before anything is done. A new
    endpoint is in this list by being in the URL map."""
    rate_limits(change__ip=(0, 60))
    browser = logged_in(Client(), alice)
    api_client = ApiClient(make_token(alice, "read write follow"))
    before = _row_counts()
    problems, sent = [], 0
    # The API names each method of one path as a pattern of its own.
    paths = {_sample_path(*route) for route in _routes(get_resolver().url_patterns)}
    for path in sorted(paths):
        json = path.startswith(JSON_PATHS)
        client = api_client if json else browser
        for method in _unsafe_methods(path) if json else UNSAFE:
            response = getattr(client, method)(path)
            sent += 1
            text = response.json()["error"] if json else text_of(response)
            if (
                response.status_code != 429
                or "the limit for making changes" not in text
            ):
                problems.append(f"{method.upper()} {path}: {response.status_code}")
            elif not 1 <= int(response["Retry-After"]) <= 60:
                problems.append(f"{method.upper()} {path}: no Retry-After")
    assert not problems, "\n".join(problems)
    assert _row_counts() == before
    # Pages and API operations, each with its methods.
    assert sent > 100


def test_the_change_limit_counts_a_signed_in_account_across_addresses(
    rate_limits, csrf_client, alice
):
    rate_limits(change__account=(2, WINDOW))
    form = form_poster(logged_in(csrf_client, alice), "/settings/reading")

    def save(address: str):
        return form(
            "/settings/reading", {"quiet_broadcasters": "on"}, REMOTE_ADDR=address
        )

    fresh_window()
    assert save("192.0.2.1").status_code == 302
    assert save("192.0.2.2").status_code == 302
    refused = save("192.0.2.3")
    assert_refused_page(refused, "making changes")
    wait_out(refused)
    assert save("192.0.2.4").status_code == 302


def test_reads_never_count_toward_the_change_limit(rate_limits, alice):
    rate_limits(change__ip=(0, 60))
    client = logged_in(Client(), alice)
    assert [client.get(path).status_code for path in ("/", "/news", "/public")] == [
        200,
        200,
        200,
    ]
    home = ApiClient(make_token(alice, "read")).get("/api/v1/timelines/home")
    assert home.status_code == 200


# --- first-day and per-address keys, table-driven through the API -------------------


def _api_doer(action: str, account: Account):
    """Return ``do()``: one ``action`` by ``account`` through its API path,
    on a fresh target each time; it returns the response."""
    api = ApiClient(make_token(account, "read write follow"))
    count = iter(range(1000))
    if action == "follow":
        return lambda: api.post(f"/api/v1/accounts/{AccountFactory().pk}/follow")
    if action == "digg":
        author = AccountFactory()
        return lambda: api.post(
            f"/api/v1/statuses/{publish_note(author, text='hi').id}/favourite"
        )
    if action == "report":
        return lambda: api.post_json(
            "/api/v1/reports", {"account_id": str(AccountFactory().pk)}
        )
    if action == "story":
        return lambda: api.post_json(
            "/api/hubbub/v1/stories",
            {
                "url": f"https://example.com/{account.pk}/{next(count)}",
                "title": "A story",
            },
        )
    raise AssertionError(action)


PER_ACTION = ["follow", "digg", "report", "story"]


@pytest.mark.parametrize("action", PER_ACTION)
def test_a_first_day_account_has_the_stricter_limit(rate_limits, alice, bob, action):
    rate_limits(
        **{f"{action}__new": (1, SLOW_WINDOW), f"{action}__account": (3, SLOW_WINDOW)}
    )
    new, established = _api_doer(action, alice), _api_doer(action, old(bob))
    fresh_window(SLOW_WINDOW)
    assert new().status_code == 200
    refused = new()
    assert_refused_api(refused, ACTIONS[action], SLOW_WINDOW)
    assert [established().status_code for _ in range(3)] == [200, 200, 200]
    assert established().status_code == 429
    wait_out(refused)
    assert new().status_code == 200


@pytest.mark.parametrize("action", PER_ACTION)
def test_one_address_is_limited_across_accounts_for(rate_limits, alice, bob, action):
    rate_limits(**{f"{action}__ip": (2, SLOW_WINDOW)})
    mine, theirs = _api_doer(action, alice), _api_doer(action, bob)
    fresh_window(SLOW_WINDOW)
    assert mine().status_code == 200
    assert theirs().status_code == 200
    refused = mine()
    assert_refused_api(refused, ACTIONS[action], SLOW_WINDOW)
    wait_out(refused)
    assert theirs().status_code == 200


def test_a_first_day_account_has_the_stricter_change_limit(
    rate_limits, csrf_client, alice
):
    rate_limits(change__new=(1, WINDOW), change__account=(5, WINDOW))
    form = form_poster(logged_in(csrf_client, alice), "/settings/reading")
    fresh_window()
    assert form("/settings/reading", {"quiet_broadcasters": "on"}).status_code == 302
    refused = form("/settings/reading", {})
    assert_refused_page(refused, "making changes")
    alice.refresh_from_db()
    assert alice.quiet_broadcasters
    wait_out(refused)
    assert form("/settings/reading", {}).status_code == 302


def test_every_default_limit_has_a_test_that_sets_it(settings):
    """Each "<action>:<key>" hubbub ships is switched on by some test here
    (by name, or by the tables above), so a new limit needs a test."""
    source = Path(__file__).read_text()
    tested = {m.replace("__", ":") for m in re.findall(r"\b(\w+__\w+)=\(", source)}
    tested |= {f"{a}:{key}" for a in PER_ACTION for key in ("new", "ip")}
    assert not set(settings.HUBBUB_RATE_LIMITS) - tested
