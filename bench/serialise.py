"""What one status costs to serialise in Python, against orjson alone.

Builds a page of statuses in memory, as a home timeline holds them (a
handful of authors, replies, boosts, mentions and tags, the viewer's
flags), with no database: the page data the API loads in its two batch
queries is handed over ready. It then renders the page as the API does —
a fresh ``Serializer`` per page, as per request, then ``orjson.dumps`` —
and, alternating with it, dumps the very same dicts already built, the
floor any Python serialiser stands on. It reports the median cost per
status of each and their ratio.

    .venv/bin/python -m bench.serialise [--pages 2000]
"""

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import env

PAGE = 40  # statuses per page: the API's largest status page
AUTHORS = 12
PAGES = 2000
BLOCKS = 10
TARGET_US = 100.0  # "well under 0.1 ms" per status (issue 4)
BASE = "https://social.example"


def build_page() -> tuple[Any, list[Any], Any]:
    """Return (viewer, posts, page data) for one realistic page."""
    from hubbub.accounts.models import Account
    from hubbub.api.serializers import PageData
    from hubbub.posts.models import Post, Tag

    start = datetime(2026, 11, 1, 12, tzinfo=UTC)
    accounts = [
        Account(
            id=1000 + n,
            username=f"person{n}",
            display_name=f"Person {n}",
            bio_html=f"<p>Bio of person {n}</p>",
            date_joined=start - timedelta(days=400 + n),
            last_post_at=start,
            followers_count=10 * n,
            following_count=n,
            posts_count=100 + n,
        )
        for n in range(AUTHORS)
    ]
    viewer = accounts[0]
    tags = [Tag(id=50 + n, name=f"tag{n}", display=f"Tag{n}") for n in range(5)]
    posts: list[Post] = []
    data = PageData(viewer=viewer)
    for n in range(PAGE):
        author = accounts[n % AUTHORS]
        post = Post(
            id=(int(start.timestamp() * 1000) + n * 60_000) << 16,
            author=author,
            visibility=("public", "unlisted", "followers")[n % 3],
            html=f'<p>Status {n} with a <a href="https://example.com/{n}">link</a>'
            f" and some words to make it as long as a real one</p>",
            created_at=start + timedelta(minutes=n),
            replies_count=n % 4,
            reblogs_count=n % 7,
            favourites_count=n % 11,
        )
        if n % 3 == 1:  # a reply, to the previous status's author
            post.in_reply_to_id = posts[-1].id
            data.reply_authors[posts[-1].id] = posts[-1].author_id
        if n % 2 == 0:  # mentions someone
            data.mentions[post.id] = [accounts[(n + 5) % AUTHORS]]
        if n % 5 < 2:  # one or two tags
            data.tags[post.id] = tags[: n % 5 + 1]
        if n % 10 == 9:  # a boost of an earlier status
            boost = Post(
                id=post.id + 1,
                author=accounts[(n + 3) % AUTHORS],
                visibility="public",
                html="",
                created_at=post.created_at,
                reblog_of=post,
            )
            post = boost
        post.favourited = n % 4 == 0  # type: ignore[attr-defined]
        post.boosted = n % 6 == 0  # type: ignore[attr-defined]
        posts.append(post)
    return viewer, posts, data


def run(pages: int = PAGES) -> dict[str, Any]:
    """Time rendering pages as the API does against dumping built dicts."""
    import orjson

    from hubbub.api.serializers import Serializer

    viewer, posts, data = build_page()
    built = Serializer(BASE, viewer).render_statuses(posts, data)

    def serialise() -> None:
        orjson.dumps(Serializer(BASE, viewer).render_statuses(posts, data))

    def dump() -> None:
        orjson.dumps(built)

    def per_status(call: Any, n: int) -> list[float]:
        call()
        times = []
        for _ in range(n):
            started = time.perf_counter_ns()
            call()
            times.append((time.perf_counter_ns() - started) / PAGE / 1000)
        return times

    # Alternate blocks, so other work on the machine slows both alike.
    full: list[float] = []
    bare: list[float] = []
    for _ in range(BLOCKS):
        full += per_status(serialise, pages // BLOCKS)
        bare += per_status(dump, pages // BLOCKS)
    full_us = statistics.median(full)
    bare_us = statistics.median(bare)
    return {
        "pages": pages,
        "page_size": PAGE,
        "bytes_per_status": len(orjson.dumps(built)) // PAGE,
        "status_us": full_us,
        "orjson_us": bare_us,
        "ratio": full_us / bare_us,
        "target_us": TARGET_US,
        "met": full_us < TARGET_US,
    }


def report(result: dict[str, Any]) -> str:
    """Return the Markdown section for ``result``."""
    return "\n".join(
        [
            "## Status serialisation",
            "",
            f"One page of {result['page_size']} statuses (replies, boosts, "
            "mentions, tags, viewer flags; ~"
            f"{result['bytes_per_status']:,} bytes of JSON each) rendered "
            f"{result['pages']:,} times in memory, a fresh serializer per page as "
            "per request, then `orjson.dumps`; against `orjson.dumps` of the "
            "same dicts already built. Medians per status:",
            "",
            "| | µs per status |",
            "|---|---:|",
            f"| hubbub: entity + `orjson.dumps` | {result['status_us']:.1f} |",
            f"| bare `orjson.dumps` of the built dict | {result['orjson_us']:.2f} |",
            f"| ratio | {result['ratio']:.1f}x |",
            "",
            f"Target: under {result['target_us']:.0f} µs per status: "
            + ("met." if result["met"] else "**missed**."),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=PAGES)
    args = parser.parse_args(argv)
    env.configure()
    print(report(run(args.pages)))


if __name__ == "__main__":
    main()
