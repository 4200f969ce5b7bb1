"""Each action limit through exactly its own path: hit, refused, recovered.

Windows are two seconds here (``rate_limits`` sets them) and aligned to
the clock, so each test starts with most of a window ahead of it, takes
its page's CSRF token before counting (one light request per action), and
recovers by waiting out the ``Retry-After`` it was given.
"""

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from hubbub.accounts.models import Account, Follow
from hubbub.core.ratelimits import RateLimitedError, enforce, forget_old_counters, hit
from hubbub.moderation.models import RateCounter, Report
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


def fresh_window() -> None:
    """Sleep into the next window unless SLACK seconds of this one remain."""
    left = WINDOW - time.time() % WINDOW
    if left < SLACK:
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


def assert_refused_page(response, doing: str) -> None:
    assert response.status_code == 429
    assert f"the limit for {doing}" in text_of(response)
    assert 1 <= int(response["Retry-After"]) <= WINDOW


def assert_refused_api(response, doing: str) -> None:
    assert response.status_code == 429
    assert f"the limit for {doing}" in response.json()["error"]
    assert 1 <= int(response["Retry-After"]) <= WINDOW
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
