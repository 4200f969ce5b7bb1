"""Where a home-timeline request spends its time (a diagnostic for (b)).

Runs logged-in ``GET /`` requests in-process through Django's WSGI handler
(no server, no load generator) and times the phases by wrapping the
functions the view calls:

* auth: ``django.contrib.auth.get_user`` (session row, then account row);
* timeline: ``hubbub.timelines.queries.home_timeline_rows`` (run the
  prepared query, read its rows; model instances are built later, during
  rendering, only for notes with no kept rendering), with the time spent
  inside the database driver for its SQL shown apart;
* render: Django template rendering of the page;
* the rest: middleware, CSRF, URL resolving, the response.

The same handler serving the bare view (``bench.bare_app``) gives the floor.

    .venv/bin/python -m bench.breakdown
"""

import io
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from bench import env

REQUESTS = 100
BLOCKS = 5


@contextmanager
def _timed(
    target: Any, name: str, totals: dict[str, float], key: str, active: list[str]
) -> Iterator[None]:
    original = getattr(target, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        active.append(key)
        try:
            return original(*args, **kwargs)
        finally:
            active.pop()
            totals[key] += time.perf_counter() - started

    with mock.patch.object(target, name, wrapper):
        yield


def run(requests: int = REQUESTS) -> dict[str, Any]:
    from django.contrib import auth
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.template.backends.django import Template
    from django.test import Client
    from django.test.utils import override_settings

    import bench.bare_app
    from bench.seed import reader_usernames
    from hubbub.accounts.models import Account
    from hubbub.core import kept_responses
    from hubbub.timelines import queries

    cookies = []
    for username in reader_usernames():
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(Account.objects.get(username=username))
        client.get("/")
        cookies.append("; ".join(f"{k}={m.value}" for k, m in client.cookies.items()))
    handler = WSGIHandler()

    def request(cookie: str) -> int:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_COOKIE": cookie,
            "wsgi.input": io.BytesIO(),
            "wsgi.url_scheme": "http",
        }
        statuses: list[str] = []
        body = b"".join(handler(environ, lambda s, h, e=None: statuses.append(s)))
        assert statuses[0].startswith("200"), statuses
        return len(body)

    def timings(call: Callable[[], object], n: int) -> list[float]:
        for _ in range(3):
            call()
        times = []
        for _ in range(n):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        return times

    def made(cookie: str) -> int:
        kept_responses.responses.clear()
        return request(cookie)

    # Alternate blocks of hubbub and bare requests, so that other work on
    # the machine slows both alike.
    full_times: list[float] = []
    made_times: list[float] = []
    bare_times: list[float] = []
    for _ in range(BLOCKS):
        full_times += timings(lambda: request(cookies[0]), requests // BLOCKS)
        made_times += timings(lambda: made(cookies[0]), requests // BLOCKS)
        with override_settings(ROOT_URLCONF=bench.bare_app.__name__):
            bare_times += timings(lambda: request(cookies[0]), requests // BLOCKS)
    full = statistics.median(full_times) * 1000
    made_ms = statistics.median(made_times) * 1000
    bare = statistics.median(bare_times) * 1000

    totals: dict[str, float] = defaultdict(float)
    active: list[str] = []

    def sql_timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            phase = active[-1] if active else "other"
            totals[f"sql_{phase}"] += time.perf_counter() - started

    with (
        _timed(auth, "get_user", totals, "auth", active),
        _timed(queries, "home_timeline_rows", totals, "timeline", active),
        _timed(Template, "render", totals, "render", active),
        connection.execute_wrapper(sql_timer),
    ):
        for _ in range(3):
            made(cookies[0])
        totals.clear()
        started = time.perf_counter()
        for i in range(requests):
            made(cookies[i % len(cookies)])
        wrapped = time.perf_counter() - started
    per = {k: v / requests * 1000 for k, v in totals.items()}
    return {
        "requests": requests,
        "full_ms": full,
        "made_ms": made_ms,
        "wrapped_ms": wrapped / requests * 1000,
        "auth_ms": per.get("auth", 0.0),
        "timeline_ms": per.get("timeline", 0.0),
        "timeline_sql_ms": per.get("sql_timeline", 0.0),
        "other_sql_ms": sum(v for k, v in per.items() if k.startswith("sql_"))
        - per.get("sql_timeline", 0.0),
        "render_ms": per.get("render", 0.0),
        "bare_ms": bare,
    }


def report(result: dict[str, Any]) -> str:
    wrapped = result["wrapped_ms"]
    timeline_sql = result["timeline_sql_ms"]
    rows = [
        ("session + account lookup (`auth.get_user`)", result["auth_ms"]),
        ("home timeline, Python work", result["timeline_ms"] - timeline_sql),
        ("home timeline, SQL in the driver", timeline_sql),
        ("template rendering", result["render_ms"]),
    ]
    rest = wrapped - sum(v for _, v in rows)
    rows.append(("the rest (middleware, CSRF, routing, response)", rest))
    lines = [
        "### Where a home-timeline request goes (in-process, no server)",
        "",
        f"Median logged-in `GET /` through Django's WSGI handler, the kept "
        f"page: **{result['full_ms']:.2f} ms**; made afresh (nothing kept): "
        f"**{result['made_ms']:.2f} ms**; the bare view through the same "
        f"handler: **{result['bare_ms']:.2f} ms** "
        f"({result['bare_ms'] / result['full_ms']:.1%} and "
        f"{result['bare_ms'] / result['made_ms']:.1%}). "
        f"Phases of the page made afresh, mean of {result['requests']} requests:",
        "",
        "| phase | ms | share |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {ms:.2f} | {ms / wrapped:.0%} |" for name, ms in rows]
    return "\n".join(lines)


def main() -> None:
    env.configure()
    print(report(run()))


if __name__ == "__main__":
    main()
