"""The scale-out suite behind ``hubbub bench`` (issue 7).

For each size (10,000, 100,000 and, when asked, 1,000,000 accounts, with
a power-law follow graph of about 75 followers an account) and each
backend (SQLite, and PostgreSQL + Redis when given):

* fan-out of one note to the fan-out author's 10,000 followers against a
  bare ``INSERT … SELECT`` of the same rows (``bench.fanout``; with Redis,
  every follower active and the baseline's rows ``ZADD``-ed to Redis too);
* the Mastodon API's home timeline against a bare JSON view
  (``bench.api``): req/s and p99 ratios, queries per request, web worker
  RSS, PostgreSQL + Redis against SQLite, and a sweep over connections;
* sustained posting (``bench.posting``): publication to fan-out done.

It writes ``bench/results/<date>.md``, ``.json`` and ``.png``: the growth
table (every target's figure per size and backend), the time each phase
took, and a chart of throughput and p99 against connections at the
largest size and of each target's figure against the number of accounts.
Each database is seeded first if it does not hold its size's data set
(``bench.seed.is_seeded``); the PostgreSQL database of a size is the given
URL with ``_<size>`` appended to its name (``hubbub_bench_10k``), the
SQLite one lives in ``var/bench-<size>``. The given Redis database is
emptied before each size: the sizes' readers share ids.
"""

import datetime
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench import api, env, fanout, posting
from bench.run import RESULTS, _read, machine, wait_for_quiet

# Accounts -> notes. The largest keeps 1,000,000 notes: ten per account
# would take hours to seed.
SIZES = {10_000: 100_000, 100_000: 1_000_000, 1_000_000: 1_000_000}


def size_label(accounts: int) -> str:
    """10_000 -> "10k", 1_000_000 -> "1m"."""
    if accounts % 1_000_000 == 0:
        return f"{accounts // 1_000_000}m"
    if accounts % 1000 == 0:
        return f"{accounts // 1000}k"
    return str(accounts)


def check_redis_url(url: str) -> None:
    """Refuse a Redis URL the suite may not empty (database 0, or none)."""
    db = urlsplit(url).path.strip("/") or "0"
    if not db.isdigit() or db == "0":
        raise ValueError(
            f"{url!r}: name a Redis database other than 0 (…/N); "
            "the benchmark empties it"
        )


def postgres_url(base: str, accounts: int) -> str:
    """The PostgreSQL database of one size: ``<name>_<size>``."""
    parts = urlsplit(base)
    name = parts.path.strip("/")
    if "bench" not in name:
        raise ValueError(f"{base!r}: the database name must contain 'bench'")
    return urlunsplit(parts._replace(path=f"/{name}_{size_label(accounts)}"))


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database ``url`` names if it is missing;
    whether it was created."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.strip("/")
    # Connect to the server's maintenance database to look for it.
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if found is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return found is None


def targets_for(
    accounts: int, postgres: str | None, redis_url: str | None
) -> dict[str, dict[str, Any]]:
    var_dir = str(env.ROOT / "var" / f"bench-{size_label(accounts)}")
    targets = {"sqlite": api.target_env(None, None) | {"HUBBUB_VAR_DIR": var_dir}}
    if postgres:
        targets["postgresql"] = api.target_env(
            postgres_url(postgres, accounts), redis_url
        ) | {"HUBBUB_VAR_DIR": var_dir}
    return targets


def _flush(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def _timed_child(
    phases: dict[str, float], phase: str, args: list[str], extra: dict[str, Any]
) -> dict[str, Any]:
    """Run a child that ends with a JSON line; its numbers, and the time taken."""
    print(f"{phase} ...", flush=True)
    started = time.perf_counter()
    out = api.child(args, extra)
    phases[phase] = time.perf_counter() - started
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def run(
    sizes: list[int],
    *,
    postgres: str | None,
    redis_url: str | None,
    runs: int,
    duration: float,
    rate: float,
    posting_seconds: float,
    fanout_runs: int,
    quiet_wait: float,
) -> dict[str, Any]:
    """Run the suite; the raw numbers of every size."""
    results: dict[str, Any] = {"sizes": {}}
    for accounts in sizes:
        label = size_label(accounts)
        targets = targets_for(accounts, postgres, redis_url)
        phases: dict[str, float] = {}
        seeds, fanouts, posts = {}, {}, {}
        for name, extra in targets.items():
            Path(extra["HUBBUB_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
            if extra["HUBBUB_DATABASE_URL"]:
                ensure_database(extra["HUBBUB_DATABASE_URL"])
            seeds[name] = _timed_child(
                phases,
                f"{label} {name}: seed",
                [
                    "bench.seed",
                    "--json",
                    "--accounts",
                    str(accounts),
                    "--notes",
                    str(SIZES[accounts]),
                ],
                extra,
            )
        if redis_url:
            _flush(redis_url)
        for name, extra in targets.items() if fanout_runs > 0 else ():
            fanouts[name] = _timed_child(
                phases,
                f"{label} {name}: fan-out",
                ["bench.fanout", "--json", "--runs", str(fanout_runs)],
                extra,
            )
        busy = wait_for_quiet(f"{label} API", max_wait=quiet_wait)
        print(f"{label}: API home timeline ...", flush=True)
        started = time.perf_counter()
        http = api.run(
            targets,
            runs=runs,
            duration=duration,
            log_dir=Path(targets["sqlite"]["HUBBUB_VAR_DIR"]),
        )
        phases[f"{label}: API home timeline"] = time.perf_counter() - started
        # No posting part at all for 0 seconds (API-only runs).
        for name, extra in targets.items() if posting_seconds > 0 else ():
            posts[name] = _timed_child(
                phases,
                f"{label} {name}: posting at {rate:g}/s",
                [
                    "bench.posting",
                    "--json",
                    "--rate",
                    str(rate),
                    "--seconds",
                    str(posting_seconds),
                ],
                extra,
            )
        results["sizes"][label] = {
            "accounts": accounts,
            "notes": SIZES[accounts],
            "busy_before": busy,
            "seed": seeds,
            "fanout": fanouts,
            "api": http,
            "posting": posts,
            "phases_s": phases,
        }
    return results


@dataclass(frozen=True)
class Figure:
    """One of issue 7's targets, as the growth table and chart show it."""

    title: str
    target: float
    # The figure of one backend at one size, or None where it was not run.
    value: Callable[[dict[str, Any], str], float | None]
    text: Callable[[float], str]
    # Whether the target is a floor (at least) rather than a ceiling.
    floor: bool = False


def _posting_p99(size: dict[str, Any], name: str) -> float | None:
    post = size["posting"].get(name)
    return None if post is None else float(post["p99_s"])


def _fanout_ratio(size: dict[str, Any], name: str) -> float | None:
    result = size["fanout"].get(name)
    return None if result is None else float(result["ratio"])


def _backend_share(size: dict[str, Any], name: str) -> float | None:
    share = size["api"].get("postgresql_vs_sqlite")
    return 100 * share if name == "postgresql" and share is not None else None


FIGURES = [
    Figure(
        "API req/s, % of bare",
        100 * api.TARGET_SHARE,
        lambda size, name: 100 * size["api"]["targets"][name]["share"],
        lambda v: f"{v:.1f}%",
        floor=True,
    ),
    Figure(
        "API p99 / bare",
        api.TARGET_P99,
        lambda size, name: size["api"]["targets"][name]["p99_ratio"],
        lambda v: f"{v:.1f}x",
    ),
    Figure(
        "SQL queries per request",
        api.TARGET_QUERIES,
        lambda size, name: size["api"]["targets"][name]["queries"]["max"],
        lambda v: f"{v:.0f}",
    ),
    Figure(
        "PostgreSQL + Redis, % of SQLite req/s",
        100 * api.TARGET_BACKEND_SHARE,
        _backend_share,
        lambda v: f"{v:.0f}%",
        floor=True,
    ),
    Figure(
        "fan-out of one note / bare",
        fanout.TARGET,
        _fanout_ratio,
        lambda v: f"{v:.2f}x",
    ),
    Figure(
        f"posting at {posting.RATE:.0f}/s: p99 (s)",
        posting.TARGET_P99_S,
        _posting_p99,
        lambda v: f"{v:.2f} s",
    ),
    Figure(
        "web worker RSS (MB)",
        api.TARGET_RSS_MB,
        lambda size, name: max(size["api"]["targets"][name]["rss_mb"], default=0),
        lambda v: f"{v:.0f} MB",
    ),
]


def _mark(figure: Figure, value: float) -> str:
    met = value >= figure.target if figure.floor else value <= figure.target
    return figure.text(value) if met else f"**{figure.text(value)}** ✗"


def growth_table(results: dict[str, Any]) -> list[str]:
    """Every target's figure per size and backend; a missed one in bold, ✗."""
    lines = [
        "| accounts | backend | " + " | ".join(f.title for f in FIGURES) + " |",
        "|---:|---|" + "---:|" * len(FIGURES),
    ]
    for size in results["sizes"].values():
        for name in size["api"]["targets"]:
            cells = []
            for figure in FIGURES:
                value = figure.value(size, name)
                cells.append("" if value is None else _mark(figure, value))
            lines.append(
                f"| {size['accounts']:,} | {name} | " + " | ".join(cells) + " |"
            )
    targets = ", ".join(
        f"{f.title} {'≥' if f.floor else '≤'} {f.text(f.target)}" for f in FIGURES
    )
    return [*lines, "", f"Targets: {targets}. A missed target is marked ✗."]


def _graph_line(name: str, seed: dict[str, Any]) -> str:
    graph = seed["graph"]
    return (
        f"Seeded graph ({name}): {graph['n']:,} accounts, {graph['follows']:,} "
        f"follows (mean {graph['mean_in']:.1f} followers), most followed "
        f"{', '.join(f'{v:,}' for v in graph['top_in_degrees'])}; "
        f"{graph['above_fanout_limit']} accounts above the fan-out limit "
        f"({graph['fanout_limit']:,}); {graph['notes']:,} notes."
    )


def _seed_detail(done: dict[str, Any]) -> str:
    if not done["seeded"]:
        return " (already seeded)"
    tables = ("accounts", "follows", "notes", "timelines")
    return (
        f" (drawn in {done['generate_s']:.0f} s; "
        + ", ".join(
            f"{t} {done[t]:.0f} s, indexes {done.get(f'{t}_indexes', 0):.0f} s"
            for t in tables
        )
        + ")"
    )


def report(results: dict[str, Any], command: str, info: dict[str, str]) -> str:
    lines = [
        f"# Scale-out benchmark, {results['date']}",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} RAM; "
        f"Python {info['python']}, Django {info['django']}, {info['granian']}, "
        f"{info['wrk']}; hubbub at `{info['git']}`. Load average at the end: "
        f"{results['loadavg_end']}.",
        "",
        "## Growth",
        "",
        *growth_table(results),
        "",
        f"![throughput, latency and growth]({results['chart']})",
        "",
        "## Time taken",
        "",
        "| phase | seconds |",
        "|---|---:|",
    ]
    for label, size in results["sizes"].items():
        details = {
            f"{label} {name}: seed": _seed_detail(done)
            for name, done in size["seed"].items()
        }
        lines += [
            f"| {phase}{details.get(phase, '')} | {seconds:,.0f} |"
            for phase, seconds in size["phases_s"].items()
        ]
    for label, size in results["sizes"].items():
        lines += [
            "",
            f"## {size['accounts']:,} accounts, {size['notes']:,} notes ({label})",
            "",
        ]
        lines += [_graph_line(name, seed) for name, seed in size["seed"].items()]
        lines += ["", f"CPUs {size['busy_before']:.0%} busy before the API runs."]
        for name, result in size["fanout"].items():
            lines += ["", f"On {name}:", "", fanout.report(result)]
        lines += ["", api.report(size["api"])]
        for post in size["posting"].values():
            lines += ["", posting.report(post)]
    return "\n".join(lines) + "\n"


def chart(results: dict[str, Any], path: Path) -> None:
    """Throughput and p99 against connections at the largest size, then each
    target's figure against the number of accounts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = list(results["sizes"].values())
    largest = sizes[-1]
    fig, axes = plt.subplots(3, 3, figsize=(15, 13))
    flat = list(axes.flat)
    rps_ax, p99_ax = flat[:2]
    for name, steps in largest["api"]["sweep"].items():
        connections = [int(c) for c in steps]
        rps_ax.plot(connections, [s["rps"] for s in steps.values()], "o-", label=name)
        p99_ax.plot(
            connections, [s["p99_ms"] for s in steps.values()], "o-", label=name
        )
    for ax, title in ((rps_ax, "requests/s"), (p99_ax, "p99 latency (ms)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("connections")
        ax.set_title(f"{title}, {largest['accounts']:,} accounts")
        ax.legend(fontsize="small")
    accounts = [s["accounts"] for s in sizes]
    for ax, figure in zip(flat[2:], FIGURES, strict=True):
        for name in largest["api"]["targets"]:
            values = [figure.value(s, name) for s in sizes]
            shown = [(a, v) for a, v in zip(accounts, values, strict=True) if v]
            if shown:
                ax.plot(*zip(*shown, strict=True), "o-", label=name)
        ax.axhline(figure.target, color="grey", linestyle=":", label="target")
        ax.set_ylim(bottom=0)
        ax.set_xscale("log")
        ax.set_xticks(accounts, [size_label(a) for a in accounts])
        ax.set_xlabel("accounts")
        ax.set_title(figure.title)
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(
    *,
    sizes: list[int],
    postgres: str | None,
    redis_url: str | None,
    runs: int,
    duration: float,
    rate: float,
    posting_seconds: float,
    fanout_runs: int,
    quiet_wait: float,
    command: str,
) -> Path:
    """Run the suite and write its report and chart; the report's path."""
    # This process only starts the servers: its static files are those of
    # the first size (every size's are the same).
    var_dir = env.ROOT / "var" / f"bench-{size_label(sizes[0])}"
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["HUBBUB_VAR_DIR"] = str(var_dir)
    env.configure()
    info = machine()
    results = run(
        sizes,
        postgres=postgres,
        redis_url=redis_url,
        runs=runs,
        duration=duration,
        rate=rate,
        posting_seconds=posting_seconds,
        fanout_runs=fanout_runs,
        quiet_wait=quiet_wait,
    )
    today = datetime.datetime.now(tz=datetime.UTC).date().isoformat()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{today}.md"
    results |= {
        "date": today,
        "chart": f"{today}.png",
        "loadavg_end": " ".join(_read("/proc/loadavg").split()[:3]),
        "command": command,
        "machine": info,
    }
    chart(results, out.with_suffix(".png"))
    out.write_text(report(results, command, info))
    out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    return out
