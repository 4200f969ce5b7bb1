"""The Mastodon API's home timeline over HTTP against a bare JSON view.

``GET /api/v1/timelines/home`` (20 statuses, a bearer token per seeded
reader, rotated) through granian with 2 workers, started by hubbub's own
command line, against ``bench.bare_app``'s JSON view of the same body
size through the same server with no middleware at all
(``bench.bare_api_settings``). Each hubbub target (SQLite, or PostgreSQL +
Redis) is its own server on its own seeded database; all servers run side
by side and every round loads each in turn, in a rotating order, so the
ratios come from one run on one equally busy machine.

* ratio: median(hubbub req/s) / median(bare req/s), and p99 likewise;
* PostgreSQL + Redis against SQLite: their medians' ratio;
* queries per request: one authorised request through Django's test
  client on each target's database, inside ``CaptureQueriesContext``;
* memory: VmRSS of each hubbub server's granian workers after its runs;
* load steps: one shorter run per server at each number of connections,
  for the chart of throughput and latency against load.

The parts that need Django run in a child process per target
(``python -m bench.api prepare``), as one process talks to one database.

    .venv/bin/python -m bench.api [--runs 5] [--duration 10]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import env
from bench.http import Server, get, shorten, wrk

PATH = "/api/v1/timelines/home"
BARE_PATH = "/api"
PAGE = 20
CONNECTIONS = 8
STEPS = (1, 2, 4, 8, 16, 32)
TARGET_SHARE, STRETCH_SHARE = 0.20, 0.35
TARGET_P99 = 8.0
TARGET_QUERIES = 3
TARGET_BACKEND_SHARE = 0.80
TARGET_RSS_MB = 150
APP_NAME = "hubbub bench"
# The benchmark loads one token far past the API's per-token limit; the
# counter still runs on every request, only its ceiling is lifted.
NO_CEILING = {"HUBBUB_API_RATE_LIMIT": str(10**9)}

WRK_SCRIPT = """
local tokens = {%s}
local n = 0
request = function()
  n = n + 1
  local token = tokens[n %% #tokens + 1]
  return wrk.format("GET", "%s", {["Authorization"] = "Bearer " .. token})
end
"""


def reader_tokens() -> list[str]:
    """Issue a fresh read token to each seeded reader; revoke older ones."""
    import secrets

    from django.utils import timezone
    from oauth2_provider.models import AccessToken, set_token_value

    from bench.seed import reader_usernames
    from hubbub.accounts.models import Account
    from hubbub.api.models import Application

    app, _ = Application.objects.get_or_create(
        name=APP_NAME,
        defaults={
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read",
        },
    )
    AccessToken.objects.filter(application=app).delete()
    tokens = []
    for username in reader_usernames():
        raw = secrets.token_urlsafe(30)
        token = AccessToken(
            user=Account.objects.get(username=username),
            application=app,
            scope="read",
            expires=timezone.now() + timedelta(days=1),
        )
        set_token_value(token, raw)
        token.save()
        tokens.append(raw)
    return tokens


def count_queries(tokens: list[str]) -> dict[str, Any]:
    """SQL queries of one authorised home-timeline request per reader:
    made afresh, as after any change (nothing kept, the token looked up),
    and the kept answer a client's next request gets while nothing changes."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from hubbub.api import auth
    from hubbub.core import kept_responses

    host = settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "127.0.0.1"
    counts, kept_counts, listing = [], [], []
    for token in tokens:
        client = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {token}")
        client.get(PATH)  # a client's second request: its caches are warm
        kept_responses.responses.clear()
        auth.known_tokens.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(PATH)
        assert response.status_code == 200, response.content[:200]
        assert len(json.loads(response.content)) == PAGE
        counts.append(len(ctx.captured_queries))
        listing = listing or [q["sql"] for q in ctx.captured_queries]
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(PATH).content == response.content
        kept_counts.append(len(ctx.captured_queries))
    cache.clear()  # the rate-limit counters of these requests
    return {
        "per_reader": counts,
        "max": max(counts),
        "kept_max": max(kept_counts),
        "queries": listing,
    }


def prepare() -> dict[str, Any]:
    """Tokens and query counts for the configured database (run in a child)."""
    from django.core.management import call_command
    from django.db import connection

    from bench.seed import reader_usernames
    from hubbub.accounts.models import Account
    from hubbub.timelines.tasks import rebuild_home_timeline

    call_command("collectstatic", interactive=False, verbosity=0)
    # With Redis, the readers are active: their timelines are in Redis, as
    # the rebuild job a first read queues would leave them.
    for reader in Account.objects.filter(username__in=reader_usernames()):
        rebuild_home_timeline.call(reader.id)
    tokens = reader_tokens()
    return {
        "vendor": connection.vendor,
        "tokens": tokens,
        "queries": count_queries(tokens),
    }


def target_env(database_url: str | None, redis_url: str | None) -> dict[str, Any]:
    """The environment of one backend: None removes an inherited setting."""
    return {
        "HUBBUB_DATABASE_URL": database_url,
        "HUBBUB_REDIS_URL": redis_url,
        **NO_CEILING,
    }


def child(args: list[str], extra_env: dict[str, Any]) -> str:
    """Run ``python -m <args>`` with a target's environment; its stdout."""
    run_env = {
        k: v for k, v in {**env.server_env(), **extra_env}.items() if v is not None
    }
    return subprocess.run(
        [sys.executable, "-m", *args],
        env=run_env,
        cwd=env.ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=3600,
    ).stdout


def worker_rss_mb(pid: int) -> list[float]:
    """VmRSS, in MB, of the children (granian's workers) of process ``pid``."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(
            line.split(":\t", 1) for line in text.splitlines() if ":\t" in line
        )
        if fields.get("PPid", "").strip() == str(pid) and "VmRSS" in fields:
            sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sorted(sizes)


def _cpu_busy() -> Iterator[float]:
    """Yield the CPUs' busy fraction since the previous value."""
    from bench.run import _cpu_times

    total0, idle0 = _cpu_times()
    while True:
        total1, idle1 = _cpu_times()
        yield 1 - (idle1 - idle0) / max(1, total1 - total0)
        total0, idle0 = total1, idle1


@contextmanager
def _script(tokens: list[str], path: str, directory: Path) -> Iterator[Path]:
    with tempfile.NamedTemporaryFile(
        "w", suffix=".lua", dir=directory, delete=False
    ) as f:
        f.write(WRK_SCRIPT % (", ".join(f'"{t}"' for t in tokens), path))
    try:
        yield Path(f.name)
    finally:
        Path(f.name).unlink()


def run(
    targets: dict[str, dict[str, Any]],
    *,
    runs: int = 5,
    duration: float = 10.0,
    warmup: float = 3.0,
    steps: tuple[int, ...] = STEPS,
    step_duration: float = 5.0,
    log_dir: Path,
) -> dict[str, Any]:
    """Load every target's hubbub and the bare view; the raw numbers.

    ``targets`` maps a name to its environment (``target_env``); each
    database must be seeded already.
    """
    env.configure()  # the servers' command line reads settings
    prepared = {
        name: json.loads(child(["bench.api", "prepare"], extra))
        for name, extra in targets.items()
    }
    with ExitStack() as stack:
        servers: dict[str, Server] = {}
        scripts: dict[str, Path] = {}
        sizes = []
        for name, extra in targets.items():
            server = Server(name, "hubbub.wsgi:application", log_dir, extra)
            servers[name] = stack.enter_context(server)
            tokens = prepared[name]["tokens"]
            for token in tokens:
                status, body = get(server.port, PATH, "", token)
                assert status == 200, (name, status, body[:200])
                assert len(json.loads(body)) == PAGE, name
                sizes.append(len(body))
            scripts[name] = stack.enter_context(_script(tokens, PATH, log_dir))
        body_bytes = round(statistics.mean(sizes))
        bare_env = {
            "DJANGO_SETTINGS_MODULE": "bench.bare_api_settings",
            "BENCH_BARE_BODY_BYTES": str(body_bytes),
            "HUBBUB_VAR_DIR": next(iter(targets.values())).get("HUBBUB_VAR_DIR"),
        }
        bare = Server("bare-api", "bench.bare_app:application", log_dir, bare_env)
        servers["bare"] = stack.enter_context(bare)
        status, body = get(bare.port, BARE_PATH, "")
        assert status == 200, status
        assert len(body) == body_bytes, (len(body), body_bytes)
        scripts["bare"] = stack.enter_context(_script(["-"], BARE_PATH, log_dir))

        names = list(servers)
        busy = _cpu_busy()
        next(busy)

        def load(name: str, seconds: float, connections: int) -> dict[str, float]:
            return wrk(servers[name].port, scripts[name], seconds, connections)

        for name in names:
            load(name, warmup, CONNECTIONS)
        samples: dict[str, list[dict[str, float]]] = {n: [] for n in names}
        for i in range(runs):
            for name in names[i % len(names) :] + names[: i % len(names)]:
                samples[name].append(load(name, duration, CONNECTIONS))
                print(
                    f"  {name} run {i + 1}: {samples[name][-1]['rps']:,.0f} req/s, "
                    f"p99 {samples[name][-1]['p99_ms']:.1f} ms",
                    flush=True,
                )
        busy_runs = next(busy)
        sweep: dict[str, dict[int, dict[str, float]]] = {n: {} for n in names}
        for k, connections in enumerate(steps):
            for name in names[k % len(names) :] + names[: k % len(names)]:
                sweep[name][connections] = load(name, step_duration, connections)
            print(f"  load step {connections} connections done", flush=True)
        rss = {n: worker_rss_mb(servers[n].proc.pid) for n in targets}  # type: ignore[union-attr]
    median = {
        name: {k: statistics.median(s[k] for s in runs_) for k in runs_[0]}
        for name, runs_ in samples.items()
    }
    bare_m = median["bare"]
    result: dict[str, Any] = {
        "runs": runs,
        "duration_s": duration,
        "connections": CONNECTIONS,
        "workers": 2,
        "body_bytes": body_bytes,
        "busy_during_runs": busy_runs,
        "samples": samples,
        "median": median,
        "sweep": sweep,
        "targets": {},
    }
    for name in targets:
        m = median[name]
        result["targets"][name] = {
            "vendor": prepared[name]["vendor"],
            "share": m["rps"] / bare_m["rps"],
            "p99_ratio": m["p99_ms"] / bare_m["p99_ms"],
            "queries": prepared[name]["queries"],
            "rss_mb": rss[name],
        }
    if "sqlite" in targets and "postgresql" in targets:
        result["postgresql_vs_sqlite"] = (
            median["postgresql"]["rps"] / median["sqlite"]["rps"]
        )
    return result


def report(result: dict[str, Any]) -> str:
    """The Markdown section for ``run``'s result."""
    bare = result["median"]["bare"]
    lines = [
        f"### Home timeline through the Mastodon API ({result['workers']} granian "
        "workers)",
        "",
        f"`GET {PATH}` ({PAGE} statuses, bearer tokens of the seeded readers "
        f"rotated) against a bare Django JSON view of the same size "
        f"({result['body_bytes']:,} bytes) with no middleware, same server. "
        f"`wrk -t1 -c{result['connections']} -d{result['duration_s']:g}s "
        f"--latency`, {result['runs']} rounds, servers in rotating order; "
        f"CPUs {result['busy_during_runs']:.0%} busy during the rounds "
        "(the servers and wrk included).",
        "",
        "| server | median req/s | p50 | p99 | req/s vs bare | p99 vs bare "
        "| SQL queries (made / kept) | worker RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, t in result["targets"].items():
        m = result["median"][name]
        rss = ", ".join(f"{x:.0f}" for x in t["rss_mb"])
        lines.append(
            f"| hubbub, {name} | {m['rps']:,.0f} | {m['p50_ms']:.1f} ms "
            f"| {m['p99_ms']:.1f} ms | **{t['share']:.1%}** "
            f"| **{t['p99_ratio']:.1f}x** | **{t['queries']['max']}** / "
            f"{t['queries']['kept_max']} | {rss} MB |"
        )
    lines.append(
        f"| bare JSON view | {bare['rps']:,.0f} | {bare['p50_ms']:.1f} ms "
        f"| {bare['p99_ms']:.1f} ms | | | | |"
    )
    lines += [
        "",
        f"Targets: req/s ≥ {TARGET_SHARE:.0%} of bare (stretch "
        f"{STRETCH_SHARE:.0%}), p99 ≤ {TARGET_P99:g}x bare, ≤ {TARGET_QUERIES} "
        f"queries, worker RSS ≤ {TARGET_RSS_MB} MB. While nothing stored "
        "changes, as during these rounds, each reader's answer is the kept one "
        '(`hubbub.core.kept_responses`); "made" counts a request after a '
        "change.",
    ]
    if "postgresql_vs_sqlite" in result:
        lines += [
            "",
            f"**PostgreSQL + Redis / SQLite: {result['postgresql_vs_sqlite']:.0%}** "
            f"of SQLite's requests/s (target ≥ {TARGET_BACKEND_SHARE:.0%}).",
        ]
    lines += ["", "Under load (one run per step, req/s and p99):", ""]
    names = list(result["sweep"])
    steps = list(next(iter(result["sweep"].values())))
    lines.append("| connections | " + " | ".join(names) + " |")
    lines.append("|---:|" + "---:|" * len(names))
    for c in steps:
        cells = [
            f"{step['rps']:,.0f} / {step['p99_ms']:.0f} ms"
            for step in (result["sweep"][n][c] for n in names)
        ]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    for name, t in result["targets"].items():
        lines += ["", f"Queries on {name}, made afresh:", ""]
        lines += [
            f"{i}. `{shorten(q)}`" for i, q in enumerate(t["queries"]["queries"], 1)
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["prepare"]:
        env.configure()
        print(json.dumps(prepare()))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--step-duration", type=float, default=5.0)
    args = parser.parse_args(argv)
    os.environ.setdefault("HUBBUB_VAR_DIR", str(env.DEFAULT_VAR_DIR))
    database = os.environ.get("HUBBUB_DATABASE_URL")
    name = "postgresql" if database else "sqlite"
    targets = {name: target_env(database, os.environ.get("HUBBUB_REDIS_URL"))}
    result = run(
        targets,
        runs=args.runs,
        duration=args.duration,
        step_duration=args.step_duration,
        log_dir=Path(os.environ["HUBBUB_VAR_DIR"]),
    )
    print(report(result))


if __name__ == "__main__":
    main()
