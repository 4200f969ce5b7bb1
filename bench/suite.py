"""The scale-out suite behind ``hubbub bench`` (issue 7).

For each size (10,000, 100,000 and, when asked, 1,000,000 accounts) and
each backend (SQLite, and PostgreSQL + Redis when given):

* the Mastodon API's home timeline against a bare JSON view
  (``bench.api``): req/s and p99 ratios, queries per request, web worker
  RSS, PostgreSQL + Redis against SQLite, and a sweep over connections;
* sustained posting (``bench.posting``): publication to fan-out done.

It writes ``bench/results/<date>.md`` and ``<date>.png`` (throughput and
p99 against connections at the largest size, and how each figure grows
with the number of accounts). Each database is seeded first if it does
not hold its size's data set; the PostgreSQL database of a size is the
given URL with ``_<size>`` appended to its name (``hubbub_bench_10k``),
the SQLite one lives in ``var/bench-<size>``. The given Redis database is
emptied before each size: the sizes' readers share ids.
"""

import datetime
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench import api, env, posting
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


def run(
    sizes: list[int],
    *,
    postgres: str | None,
    redis_url: str | None,
    runs: int,
    duration: float,
    rate: float,
    posting_seconds: float,
    quiet_wait: float,
) -> dict[str, Any]:
    """Run the suite; the raw numbers of every size."""
    results: dict[str, Any] = {"sizes": {}}
    for accounts in sizes:
        label = size_label(accounts)
        targets = targets_for(accounts, postgres, redis_url)
        for name, extra in targets.items():
            Path(extra["HUBBUB_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
            print(f"{label} {name}: seeding if needed ...", flush=True)
            api.child(
                [
                    "bench.seed",
                    "--accounts",
                    str(accounts),
                    "--notes",
                    str(SIZES[accounts]),
                ],
                extra,
            )
        if redis_url:
            _flush(redis_url)
        busy = wait_for_quiet(f"{label} API", max_wait=quiet_wait)
        print(f"{label}: API home timeline ...", flush=True)
        http = api.run(
            targets,
            runs=runs,
            duration=duration,
            log_dir=Path(targets["sqlite"]["HUBBUB_VAR_DIR"]),
        )
        posts = {}
        # No posting part at all for 0 seconds (API-only runs).
        for name, extra in targets.items() if posting_seconds > 0 else ():
            print(f"{label} {name}: posting at {rate:g}/s ...", flush=True)
            out = api.child(
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
            posts[name] = json.loads(out.strip().splitlines()[-1])
        results["sizes"][label] = {
            "accounts": accounts,
            "notes": SIZES[accounts],
            "busy_before": busy,
            "api": http,
            "posting": posts,
        }
    return results


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
        "| accounts | backend | API req/s vs bare | p99 vs bare | queries "
        "| worker RSS (MB) | PG+Redis / SQLite | posting p99 (reached rate) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in results["sizes"].values():
        http = size["api"]
        for name, t in http["targets"].items():
            post = size["posting"].get(name)
            ratio = (
                f"{http['postgresql_vs_sqlite']:.0%}"
                if name == "postgresql" and "postgresql_vs_sqlite" in http
                else ""
            )
            lines.append(
                f"| {size['accounts']:,} | {name} | {t['share']:.1%} "
                f"| {t['p99_ratio']:.1f}x | {t['queries']['max']} "
                f"| {max(t['rss_mb'], default=0):.0f} | {ratio} "
                + (
                    f"| {post['p99_s']:.2f} s ({post['reached_rate']:.0f}/s) |"
                    if post
                    else "| not run |"
                )
            )
    lines += [
        "",
        f"Targets: API req/s ≥ {api.TARGET_SHARE:.0%} of bare (stretch "
        f"{api.STRETCH_SHARE:.0%}), p99 ≤ {api.TARGET_P99:g}x, ≤ "
        f"{api.TARGET_QUERIES} queries, RSS ≤ {api.TARGET_RSS_MB} MB, "
        f"PostgreSQL + Redis ≥ {api.TARGET_BACKEND_SHARE:.0%} of SQLite, posting "
        f"at {posting.RATE:.0f} notes/s fanned out within "
        f"{posting.TARGET_P99_S:g} s at p99.",
        "",
        f"![throughput and latency]({results['chart']})",
    ]
    for label, size in results["sizes"].items():
        lines += [
            "",
            f"## {size['accounts']:,} accounts, {size['notes']:,} notes ({label})",
            "",
            f"CPUs {size['busy_before']:.0%} busy before the API runs.",
            "",
            api.report(size["api"]),
        ]
        for post in size["posting"].values():
            lines += ["", posting.report(post)]
    return "\n".join(lines) + "\n"


def chart(results: dict[str, Any], path: Path) -> None:
    """Throughput and p99 against connections; the ratios against size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = list(results["sizes"].values())
    largest = sizes[-1]
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    (rps_ax, p99_ax), (share_ax, grow_ax) = axes
    for name, steps in largest["api"]["sweep"].items():
        connections = [int(c) for c in steps]
        rps_ax.plot(connections, [s["rps"] for s in steps.values()], "o-", label=name)
        p99_ax.plot(
            connections, [s["p99_ms"] for s in steps.values()], "o-", label=name
        )
    for ax, title in (
        (rps_ax, "requests/s"),
        (p99_ax, "p99 latency (ms)"),
    ):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("connections")
        ax.set_title(f"{title}, {largest['accounts']:,} accounts")
        ax.legend()
    accounts = [s["accounts"] for s in sizes]
    for name in largest["api"]["targets"]:
        share_ax.plot(
            accounts,
            [100 * s["api"]["targets"][name]["share"] for s in sizes],
            "o-",
            label=f"{name}: req/s % of bare",
        )
        if all(name in s["posting"] for s in sizes):
            grow_ax.plot(
                accounts,
                [s["posting"][name]["p99_s"] for s in sizes],
                "o-",
                label=f"{name}: posting p99 (s)",
            )
        grow_ax.plot(
            accounts,
            [s["api"]["targets"][name]["p99_ratio"] for s in sizes],
            "s--",
            label=f"{name}: API p99 / bare",
        )
    share_ax.axhline(20, color="grey", linestyle=":", label="target 20%")
    grow_ax.axhline(1, color="grey", linestyle=":", label="1 s / 1x")
    for ax, title in ((share_ax, "API throughput share"), (grow_ax, "growth")):
        ax.set_xscale("log")
        ax.set_xlabel("accounts")
        ax.set_title(title)
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
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
