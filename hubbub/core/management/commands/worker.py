"""Run a task worker, with the sweeper that re-drives lost fan-outs.

The worker is the one the configured queue needs: django-tasks-db's for
the database queue, RQ's for Redis. The sweeper also re-queues scheduled
articles whose publication job was lost, caps stored timelines, prunes old
events from the database event bus and finished rate-limit counters, and
runs the periodic social-news jobs (promotion after the dwell, archiving,
the front-page re-rank, the threshold and co-digg overlap).
"""

import logging
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from hubbub.blog.actions import repeat_publications
from hubbub.core.events import get_bus
from hubbub.core.ratelimits import forget_old_counters
from hubbub.news.tasks import run_periodic_jobs
from hubbub.timelines.tasks import redrive_stalled_fan_outs, trim_timelines

logger = logging.getLogger(__name__)


def sweep(trim_after: int) -> int:
    """Re-drive stalled fan-outs and scheduled publications, trim the next
    slice of timelines after reader ``trim_after``, prune old events and
    rate-limit counters; return the next slice's cursor."""
    redrive_stalled_fan_outs()
    repeat_publications()
    trim_after = trim_timelines(after_reader_id=trim_after)
    get_bus().prune()
    forget_old_counters()
    return trim_after


def sweep_forever(stop: threading.Event, *, interval: float) -> None:
    """Sweep every ``interval`` seconds until ``stop``."""
    trim_after = 0
    while not stop.wait(interval):
        try:
            trim_after = sweep(trim_after)
        except Exception:
            # A failed sweep (database restarting, say) is retried next time.
            logger.exception("Fan-out sweep failed")
        try:
            run_periodic_jobs()
        except Exception:
            logger.exception("News jobs failed")
        finally:
            close_old_connections()


class Command(BaseCommand):
    help = "Run hubbub's background jobs (fan-out and friends)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=0.2)
        parser.add_argument("--sweep-interval", type=float, default=10.0)

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        sweeper = threading.Thread(
            target=sweep_forever,
            args=(stop,),
            kwargs={"interval": options["sweep_interval"]},
            daemon=True,
        )
        sweeper.start()
        try:
            if settings.TASK_QUEUE == "redis":
                run_rq_worker()
            else:
                run_database_worker(interval=options["interval"])
        finally:
            stop.set()


def run_database_worker(*, interval: float) -> None:
    """Run django-tasks-db's worker on every queue until it is signalled."""
    worker = Worker(
        queue_names=["*"],
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )
    worker.configure_signals()
    worker.run()


def run_rq_worker() -> None:
    """Run an RQ worker on hubbub's queues until it is signalled.

    A SimpleWorker runs each job in this process: RQ's default worker
    forks a child per job, which would share this process's database
    connection pool with the sweeper thread. A job that kills the process
    is re-driven by another worker's sweeper, as with the database queue.
    """
    import django_rq
    from django_tasks_rq import Job

    worker = django_rq.get_worker(
        *settings.TASK_QUEUES, job_class=Job, worker_class="rq.worker.SimpleWorker"
    )
    worker.work(with_scheduler=False)
