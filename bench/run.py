"""Run the microblog benchmark: seed if needed, then (a), (b), (c) and (d).

    .venv/bin/python -m bench.run                 # 100,000 accounts, 1,000,000 notes
    .venv/bin/python -m bench.run --quick         # 10,000 / 100,000, shorter runs
    .venv/bin/python -m bench.run news [--quick]  # social news (bench/news.py)
    HUBBUB_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hubbub_bench \\
        .venv/bin/python -m bench.run

Prints a Markdown report and writes it (and the raw numbers as JSON) to
``bench/results/<YYYY-MM-DD>-microblog[-quick][-<backend>].md``. The data
lives in ``var/bench`` (or ``HUBBUB_VAR_DIR`` / ``HUBBUB_DATABASE_URL``),
never in the development database.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import env

RESULTS = Path(__file__).resolve().parent / "results"


def _command(argv: list[str]) -> str:
    prefix = []
    for name in ("HUBBUB_DATABASE_URL", "HUBBUB_VAR_DIR"):
        if value := os.environ.get(name):
            # Never write a password into a report.
            value = re.sub(r"(//[^:/@]+):[^@]*@", r"\1:***@", value)
            prefix.append(f"{name}={shlex.quote(value)}")
    return " ".join([*prefix, ".venv/bin/python -m bench.run", *map(shlex.quote, argv)])


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _cpu_times() -> tuple[int, int]:
    fields = [int(x) for x in _read("/proc/stat").split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields), idle


def wait_for_quiet(
    label: str, *, busy_below: float = 0.3, max_wait: float = 90
) -> float:
    """Wait (bounded) until other work leaves the CPUs mostly idle.

    Returns the busy fraction seen last; the report shows it, since other
    processes on the machine make every number noisier.
    """
    deadline = time.monotonic() + max_wait
    while True:
        total0, idle0 = _cpu_times()
        time.sleep(1.0)
        total1, idle1 = _cpu_times()
        busy = 1 - (idle1 - idle0) / max(1, total1 - total0)
        if busy < busy_below or time.monotonic() >= deadline:
            print(f"{label}: CPUs {busy:.0%} busy before starting", flush=True)
            return busy
        time.sleep(4.0)


def machine() -> dict[str, str]:
    import sqlite3

    import django
    from django.db import connection

    meminfo = re.search(r"MemTotal:\s+(\d+) kB", _read("/proc/meminfo"))
    cpu = re.search(r"model name\s*:\s*(.+)", _read("/proc/cpuinfo"))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            backend = f"PostgreSQL {cursor.fetchone()[0]}"
    else:
        backend = f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL)"
    tools = {}
    for name, args in (("granian", [sys.executable, "-m", "granian", "--version"]),
                       ("wrk", ["wrk", "-v"])):  # fmt: skip
        if name == "wrk" and not shutil.which("wrk"):
            tools[name] = "not installed (Python client used)"
            continue
        out = subprocess.run(args, capture_output=True, text=True, timeout=30)
        first = (out.stdout or out.stderr).strip().splitlines()[0]
        tools[name] = first.split(" Copyright")[0].replace("python -m ", "")
    git = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=env.ROOT,
    ).stdout.strip()
    # A source tree without .git (an exported commit) names itself here.
    git = git or os.environ.get("BENCH_SOURCE", "")
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu[1].strip() if cpu else platform.processor(),
        "memory": f"{int(meminfo[1]) / 1024 / 1024:.1f} GiB" if meminfo else "?",
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "backend": backend,
        "granian": tools["granian"],
        "wrk": tools["wrk"],
        "git": git or "?",
    }


def main(argv: list[str] | None = None) -> None:
    from bench.seed import DEFAULT_ACCOUNTS, DEFAULT_NOTES

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["news"]:
        # The social news benchmark (bench/news.py) has its own data.
        from bench import news

        news.main(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=None)
    parser.add_argument("--notes", type=int, default=None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="10,000 accounts, 100,000 notes, short runs",
    )
    parser.add_argument("--runs", type=int, default=None, help="HTTP runs per server")
    parser.add_argument("--duration", type=float, default=None, help="seconds per run")
    parser.add_argument("--fanout-runs", type=int, default=None)
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=90,
        help="seconds to wait at most for idle CPUs before (a) and (b)",
    )
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--skip-http", action="store_true", help="skip (b)")
    args = parser.parse_args(argv)
    quick = args.quick
    accounts = args.accounts or (10_000 if quick else DEFAULT_ACCOUNTS)
    notes = args.notes or (100_000 if quick else DEFAULT_NOTES)
    runs = args.runs or (3 if quick else 5)
    duration = args.duration or (5.0 if quick else 10.0)
    fanout_runs = args.fanout_runs or (9 if quick else 21)

    command = _command(argv)  # before configure() fills in the defaults
    env.configure()
    from django.db import connection

    from bench import breakdown, fanout, http, seed, serialise

    info = machine()
    seeding = seed.seed(accounts, notes, force=args.reseed)
    stats = seed.graph_stats()
    busy = {"a": wait_for_quiet("(a) fan-out", max_wait=args.quiet_wait)}
    result_a = fanout.run(fanout_runs)
    print(fanout.report(result_a).splitlines()[-1], flush=True)
    result_b = None
    if not args.skip_http:
        busy["b"] = wait_for_quiet("(b) HTTP", max_wait=args.quiet_wait)
        result_b = http.run_http(runs, duration)
    print("(c) queries ...", flush=True)
    result_c = http.count_queries()
    print("where the time goes ...", flush=True)
    result_d = breakdown.run()
    print("(d) status serialisation ...", flush=True)
    result_e = serialise.run()
    load = _read("/proc/loadavg").split()[:3]

    today = datetime.datetime.now(tz=datetime.UTC).date().isoformat()
    summary = [
        "| | measured | target | |",
        "|---|---:|---:|---|",
        f"| (a) fan-out to {result_a['followers']:,} followers, hubbub / bare "
        f"`INSERT … SELECT` | {result_a['ratio']:.2f}x | ≤ 1.5x "
        f"| {'met' if result_a['met'] else '**missed**'} |",
    ]
    if result_b:
        summary.append(
            "| (b) home timeline req/s, hubbub / bare Django view "
            f"| {result_b['share']:.1%} | ≥ 20% "
            f"| {'met' if result_b['met'] else '**missed**'} |"
        )
    summary.append(
        f"| (c) SQL queries per home-timeline request | {result_c['max']} | ≤ 3 "
        f"| {'met' if result_c['met'] else '**missed**'} |"
    )
    summary.append(
        f"| (d) one API status's serialisation, µs (vs bare `orjson.dumps`) "
        f"| {result_e['status_us']:.1f} ({result_e['ratio']:.0f}x) "
        f"| < {result_e['target_us']:.0f} "
        f"| {'met' if result_e['met'] else '**missed**'} |"
    )
    data = (
        f"{stats['n']:,} accounts, {stats['follows']:,} follows "
        f"(followers: mean {stats['mean_in']:.1f}, top "
        f"{', '.join(f'{n:,}' for n in stats['top_in_degrees'])}; "
        f"{stats['above_fanout_limit']} above the fan-out limit of "
        f"{stats['fanout_limit']:,}, {stats['at_least_1000_followers']} with "
        f"≥ 1,000), {stats['notes']:,} notes; {len(stats['reader_following'])} "
        f"readers following {stats['reader_following'][0]} accounts each, "
        f"{stats['reader_entries']:,} stored timeline entries between them."
    )
    if seeding.get("seeded"):
        data += f" Seeded in {seeding['total_s']:.0f} s."
    lines = [
        f"# Microblog benchmark, {today}",
        "",
        f"Command: `{command}`",
        "",
        *summary,
        "",
        f"Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} RAM, "
        f"{info['os']}; Python {info['python']}, Django {info['django']}, "
        f"{info['backend']}, {info['granian']}, {info['wrk']}; "
        f"hubbub at `{info['git']}`. Other load: CPUs "
        + ", ".join(f"{v:.0%} busy before ({k})" for k, v in busy.items())
        + f"; load average {' '.join(load)} at the end.",
        "",
        f"Data: {data}",
        "",
        fanout.report(result_a),
        "",
    ]
    if result_b:
        lines += [http.report_http(result_b), ""]
    lines += [http.report_queries(result_c), "", breakdown.report(result_d), ""]
    lines += [serialise.report(result_e), ""]
    text = "\n".join(lines)
    print()
    print(text)

    # Only the full size is "the" result; other sizes never overwrite it.
    if (accounts, notes) == (DEFAULT_ACCOUNTS, DEFAULT_NOTES):
        size = ""
    elif (accounts, notes) == (10_000, 100_000):
        size = "-quick"
    else:
        size = f"-{accounts}-{notes}"
    backend = "" if connection.vendor == "sqlite" else f"-{connection.vendor}"
    suffix = size + backend
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{today}-microblog{suffix}.md"
    out.write_text(text)
    raw = {
        "command": command,
        "machine": info,
        "busy_before": busy,
        "loadavg_end": load,
        "seed": {**seeding, **stats},
        "fanout": result_a,
        "http": result_b,
        "queries": result_c,
        "breakdown": result_d,
        "serialise": result_e,
    }
    out.with_suffix(".json").write_text(json.dumps(raw, indent=2, default=str) + "\n")
    print(f"\nWrote {out.relative_to(env.ROOT)}")


if __name__ == "__main__":
    main()
