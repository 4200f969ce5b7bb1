"""(b) The home timeline over HTTP against a bare Django view; (c) its queries.

(b) Two granian servers are started with hubbub's own command line
(``serve.web_command``: ``--interface wsgi``, 2 workers of 4 threads each, no
access log), one serving ``hubbub.wsgi`` and one serving ``bench.bare_app`` —
Django with the same settings and middleware but one view that returns a fixed
body of the home page's size. The seeded readers log in through the ``/login``
form; ``wrk`` then loads ``GET /`` on each server in turn for ``--duration``
seconds, rotating over the readers' cookies, alternating servers for ``--runs``
rounds. The ratio is median(hubbub req/s) / median(bare req/s). Without ``wrk``
a bounded Python client with the same connections is used.

(c) One logged-in ``GET /`` through Django's test client on the same
database, inside ``CaptureQueriesContext``: the number of SQL queries.

    .venv/bin/python -m bench.http [--runs 5] [--duration 10]
"""

import argparse
import http.client
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from bench import env

HOST = "127.0.0.1"
WORKERS = 2
CONNECTIONS = 8
TARGET_SHARE = 0.20
TARGET_QUERIES = 3
HOME_MARKER = b"<h1>Home</h1>"
PLAN_LINES = 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    """One granian process group serving ``app``; stopped on exit."""

    def __init__(
        self, name: str, app: str, log_dir: Path, extra_env: dict[str, str | None]
    ) -> None:
        """``extra_env`` adds to the environment; None removes a variable."""
        from hubbub.core.management.commands.serve import web_command, web_env

        self.name, self.port = name, free_port()
        self.cmd = web_command(host=HOST, port=self.port, workers=WORKERS)
        assert self.cmd[-1] == "hubbub.wsgi:application", self.cmd
        self.cmd[-1] = app
        if var_dir := extra_env.get("HUBBUB_VAR_DIR"):
            # Its static files are those of its own data directory.
            mount = self.cmd.index("--static-path-mount") + 1
            self.cmd[mount] = str(Path(var_dir).resolve() / "static")
        self.env = web_env(
            {
                k: v
                for k, v in {**env.server_env(), **extra_env}.items()
                if v is not None
            }
        )
        self.log_path = log_dir / f"granian-{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> "Server":
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.cmd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            try:
                status, _ = get(self.port, "/", "")
            except OSError:
                time.sleep(0.2)
                continue
            if status < 500:
                return self
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"{self.name} did not start; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this object started
            proc.wait(timeout=15)


def get(port: int, path: str, cookie: str, token: str = "") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def log_in(base: str, username: str, password: str) -> str:
    """Log in through the /login form; return the browser's Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar)
    )
    with opener.open(base + "/login", timeout=30) as response:
        page = response.read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "no CSRF token on the login form"
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": match[1]}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback http only
        base + "/login", data=data, headers={"Referer": base + "/login"}
    )
    with opener.open(request, timeout=30) as response:
        body = response.read()
        assert HOME_MARKER in body, f"{username} did not reach the home page"
    cookies = {c.name: c.value for c in jar}
    assert "sessionid" in cookies, cookies
    assert "csrftoken" in cookies, cookies
    return f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}"


WRK_SCRIPT = """
local cookies = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/", {["Cookie"] = cookies[n %% #cookies + 1]})
end
"""


def wrk(
    port: int, script: Path, seconds: float, connections: int = CONNECTIONS
) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--latency",
            "--timeout",
            "30s",
            "-s",
            str(script),
            f"http://{HOST}:{port}/",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rps, out
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    assert not bad, f"wrk saw failures:\n{out}"
    if errors:
        print(f"  wrk socket errors: {errors[1]}", flush=True)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "rps": float(rps[1]),
        "p50_ms": float(p50[1]) * scale[p50[2]] if p50 else float("nan"),
        "p99_ms": float(p99[1]) * scale[p99[2]] if p99 else float("nan"),
    }


def python_load(port: int, cookies: list[str], seconds: float) -> dict[str, float]:
    """A bounded stand-in for wrk: CONNECTIONS keep-alive clients, fixed time."""
    counts, failures = [0] * CONNECTIONS, [0] * CONNECTIONS
    latencies: list[list[float]] = [[] for _ in range(CONNECTIONS)]
    stop_at = time.monotonic() + seconds

    def client(k: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        n = k
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            conn.request("GET", "/", headers={"Cookie": cookies[n % len(cookies)]})
            response = conn.getresponse()
            response.read()
            latencies[k].append(time.perf_counter() - started)
            if response.status != 200:
                failures[k] += 1
            counts[k] += 1
            n += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    assert not any(failures), f"{sum(failures)} non-200 responses"
    lat = sorted(x for xs in latencies for x in xs)
    return {
        "rps": sum(counts) / seconds,
        "p50_ms": lat[len(lat) // 2] * 1000,
        "p99_ms": lat[int(len(lat) * 0.99)] * 1000,
    }


def run_http(
    runs: int = 5, duration: float = 10.0, warmup: float = 3.0
) -> dict[str, Any]:
    from django.conf import settings
    from django.core.management import call_command

    from bench.seed import PASSWORD, reader_usernames

    call_command("collectstatic", interactive=False, verbosity=0)
    log_dir = Path(settings.VAR_DIR)
    use_wrk = shutil.which("wrk") is not None
    with Server("hubbub", "hubbub.wsgi:application", log_dir, {}) as hubbub:
        cookies = [log_in(hubbub.base, u, PASSWORD) for u in reader_usernames()]
        sizes = []
        for cookie in cookies:
            status, body = get(hubbub.port, "/", cookie)
            assert status == 200, status
            assert HOME_MARKER in body
            assert body.count(b'<article class="post') == settings.HUBBUB_PAGE_SIZE
            sizes.append(len(body))
        body_bytes = round(statistics.mean(sizes))
        bare_env = {
            "DJANGO_SETTINGS_MODULE": "bench.bare_settings",
            "BENCH_BARE_BODY_BYTES": str(body_bytes),
        }
        with Server("bare", "bench.bare_app:application", log_dir, bare_env) as bare:
            status, body = get(bare.port, "/", cookies[0])
            assert status == 200, status
            assert len(body) == body_bytes, (len(body), body_bytes)
            with tempfile.NamedTemporaryFile(
                "w", suffix=".lua", dir=log_dir, delete=False
            ) as f:
                f.write(WRK_SCRIPT % ", ".join(f'"{c}"' for c in cookies))
                script = Path(f.name)
            try:

                def load(server: Server, seconds: float) -> dict[str, float]:
                    if use_wrk:
                        return wrk(server.port, script, seconds)
                    return python_load(server.port, cookies, seconds)

                servers = {"hubbub": hubbub, "bare": bare}
                for server in servers.values():
                    load(server, warmup)
                samples: dict[str, list[dict[str, float]]] = {n: [] for n in servers}
                for i in range(runs):
                    order = ["hubbub", "bare"] if i % 2 == 0 else ["bare", "hubbub"]
                    for name in order:
                        samples[name].append(load(servers[name], duration))
                        print(
                            f"  {name} run {i + 1}: "
                            f"{samples[name][-1]['rps']:,.0f} req/s",
                            flush=True,
                        )
            finally:
                script.unlink()
    median = {
        name: {k: statistics.median(s[k] for s in runs_) for k in runs_[0]}
        for name, runs_ in samples.items()
    }
    share = median["hubbub"]["rps"] / median["bare"]["rps"]
    return {
        "tool": (
            f"wrk -t1 -c{CONNECTIONS} -d{duration:g}s"
            if use_wrk
            else f"Python client, {CONNECTIONS} connections, {duration:g} s"
        ),
        "workers": WORKERS,
        "runs": runs,
        "duration_s": duration,
        "readers": len(cookies),
        "body_bytes": body_bytes,
        "home_sizes": sizes,
        "samples": samples,
        "median": median,
        "share": share,
        "target": TARGET_SHARE,
        "met": share >= TARGET_SHARE,
        "server_cmd": " ".join([Path(hubbub.cmd[0]).name, *hubbub.cmd[1:]]),
    }


def count_queries() -> dict[str, Any]:
    """(c) SQL queries for one logged-in home-timeline request."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.seed import reader_usernames
    from hubbub.accounts.models import Account
    from hubbub.core import kept_responses

    counts, kept_counts, listing, timeline_sql = {}, {}, [], ""
    host = settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "127.0.0.1"
    for username in reader_usernames():
        client = Client(HTTP_HOST=host)
        client.force_login(Account.objects.get(username=username))
        client.get("/")  # a browser's second visit: the CSRF cookie is set
        # Made afresh, as after any change; then kept, as while none comes.
        kept_responses.responses.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/")
        assert response.status_code == 200, response.status_code
        assert HOME_MARKER in response.content
        counts[username] = len(ctx.captured_queries)
        with CaptureQueriesContext(connection) as kept:
            assert client.get("/").status_code == 200
        kept_counts[username] = len(kept.captured_queries)
        if not listing:
            listing = [q["sql"] for q in ctx.captured_queries]
            timeline_sql = next(
                (s for s in listing if "timelines_timelineentry" in s), ""
            )
    worst = max(counts.values())
    return {
        "per_reader": counts,
        "max": worst,
        "kept_max": max(kept_counts.values()),
        "queries": listing,
        "timeline_sql": timeline_sql,
        "timeline": _time_query(timeline_sql) if timeline_sql else {},
        "target": TARGET_QUERIES,
        "met": worst <= TARGET_QUERIES,
    }


def _time_query(sql: str, repeat: int = 50) -> dict[str, Any]:
    """Time the captured timeline query alone and show its plan."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = [" " * 2 * _depth(r, cursor) + str(r[3]) for r in cursor.fetchall()]
        else:
            cursor.execute("EXPLAIN ANALYZE " + sql)
            plan = [r[0] for r in cursor.fetchall()]
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            times.append(time.perf_counter() - started)
    return {"median_ms": statistics.median(times) * 1000, "plan": plan}


def _depth(row: tuple[Any, ...], cursor: Any) -> int:
    # EXPLAIN QUERY PLAN rows are (id, parent, notused, detail); depth by parent.
    parents = getattr(cursor, "_bench_parents", {})
    depth = parents.get(row[1], -1) + 1
    parents[row[0]] = depth
    cursor._bench_parents = parents
    return depth


def report_http(result: dict[str, Any]) -> str:
    h, b = result["median"]["hubbub"], result["median"]["bare"]
    verdict = "met" if result["met"] else "MISSED"
    return "\n".join(
        [
            f"### (b) Home timeline over HTTP ({result['workers']} granian workers)",
            "",
            f"Load: `{result['tool']}`, {result['runs']} alternating runs each, "
            f"{result['readers']} logged-in readers rotated; "
            f"bodies {result['body_bytes']:,} bytes.",
            "",
            "| server | median req/s | p50 latency | p99 latency |",
            "|---|---:|---:|---:|",
            f"| hubbub `GET /` (home timeline) | {h['rps']:,.0f} "
            f"| {h['p50_ms']:.2f} ms | {h['p99_ms']:.2f} ms |",
            f"| bare Django view, same body size | {b['rps']:,.0f} "
            f"| {b['p50_ms']:.2f} ms | {b['p99_ms']:.2f} ms |",
            "",
            f"**hubbub / bare: {result['share']:.1%}** of the bare view's "
            f"requests/s (target ≥ {result['target']:.0%}: {verdict}).",
            "",
            f"Server: `{result['server_cmd']}`",
        ]
    )


def report_queries(result: dict[str, Any]) -> str:
    verdict = "met" if result["met"] else "MISSED"
    lines = [
        "### (c) SQL queries per home-timeline request",
        "",
        f"**{result['max']} queries** made afresh, as after any change (the "
        f"most for any of {len(result['per_reader'])} readers; target ≤ "
        f"{result['target']}: {verdict}); {result['kept_max']} for "
        "the kept page sent while nothing changes.",
        "",
    ]
    lines += [f"{i}. `{shorten(sql)}`" for i, sql in enumerate(result["queries"], 1)]
    timeline = result["timeline"]
    if timeline:
        plan = timeline["plan"]
        if len(plan) > PLAN_LINES:
            # EXPLAIN ANALYZE runs long; its last lines hold the timings.
            cut = len(plan) - PLAN_LINES + 3
            plan = [
                *plan[: PLAN_LINES - 3],
                f"… {cut} lines (see the JSON)",
                *plan[-2:],
            ]
        lines += [
            "",
            f"The timeline query alone: {timeline['median_ms']:.2f} ms (median). Plan:",
            "",
            "```",
            *plan,
            "```",
        ]
    return "\n".join(lines)


def shorten(sql: str, width: int = 160) -> str:
    """Return ``sql`` on one line, cut to ``width`` characters for a report."""
    sql = " ".join(sql.split())
    return sql if len(sql) <= width else sql[: width - 1] + "…"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args(argv)
    env.configure()
    if not args.skip_http:
        print(report_http(run_http(args.runs, args.duration)))
        print()
    print(report_queries(count_queries()))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
