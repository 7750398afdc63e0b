"""The schedule: which jobs the clock queues when (config SCHEDULE, SCHEDULE_TIMEZONE).

Timing is RQ's CronJob (croniter underneath): an entry is a number of seconds
(every so often, the first run at once) or a cron expression. RQ reads cron
fields in the process's local time; here they are read in SCHEDULE_TIMEZONE,
so "5 0 * * *" is five past midnight there, whatever the server's zone.
The maintenance jobs warm the caches once they are done.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter
from flask import Flask
from rq.cron import CronJob
from rq.job import Job
from rq.utils import now

from gallery.jobs import queue

#: jobs that warm the caches after they ran from the schedule
WARM_AFTER = {"picks-auto", "purge", "storage-sweep"}


class ScheduledJob(CronJob):
    """An RQ CronJob whose cron fields are read in a given time zone, queued via gallery.jobs."""

    def __init__(self, name: str, when: int | str, zone: ZoneInfo) -> None:
        self.zone = zone
        self.job_name = name
        kwargs = {"warm": True} if name in WARM_AFTER else {}
        timing: dict[str, Any] = (
            {"interval": int(when)} if isinstance(when, int) else {"cron": str(when)}
        )
        super().__init__(
            queue_name=queue.JOBS[name].queue, func_name=name, kwargs=kwargs, name=name, **timing
        )

    def get_next_enqueue_time(self) -> dt.datetime:
        if self.cron:
            base = (self.latest_enqueue_time or now()).astimezone(self.zone)
            return croniter(self.cron, base).get_next(dt.datetime).astimezone(dt.UTC)
        return super().get_next_enqueue_time()

    def enqueue(self, connection: Any) -> Job:  # noqa: ARG002 - the app's queue has it
        return queue.enqueue(self.job_name, **self.kwargs)


class Schedule:
    """The scheduled jobs of one app; `enqueue_jobs` queues those that are due."""

    def __init__(self, jobs: list[ScheduledJob]) -> None:
        self.jobs = jobs

    def enqueue_jobs(self) -> list[ScheduledJob]:
        """Queue every due job (the same steps as RQ's CronScheduler.enqueue_jobs)."""
        due = [job for job in self.jobs if job.should_run()]
        enqueue_time = now()
        for job in due:
            job.enqueue(None)
            job.set_enqueue_time(enqueue_time)
        return due


def entries(app: Flask) -> dict[str, int | str]:
    """SCHEDULE without the switched-off entries; an unknown job name is an error."""
    table = {name: when for name, when in app.config["SCHEDULE"].items() if when}
    unknown = sorted(set(table) - set(queue.JOBS))
    if unknown:
        raise RuntimeError(f"SCHEDULE names unknown jobs: {', '.join(unknown)}")
    return table


def build(app: Flask, connection: Any = None) -> Schedule:  # noqa: ARG001
    zone = ZoneInfo(app.config["SCHEDULE_TIMEZONE"])
    return Schedule([ScheduledJob(name, when, zone) for name, when in entries(app).items()])


def describe(app: Flask) -> list[str]:
    """One line per entry, for `flask worker --schedule` and `flask jobs schedule`."""
    zone = app.config["SCHEDULE_TIMEZONE"]
    lines = []
    for job in build(app).jobs:
        when = f"every {job.interval} s" if job.interval else f"cron '{job.cron}' ({zone})"
        after = ", then cache-warm" if job.job_name in WARM_AFTER else ""
        upcoming = job.next_enqueue_time
        nxt = f"; next {upcoming:%Y-%m-%d %H:%M} UTC" if job.cron and upcoming else ""
        lines.append(f"{job.job_name}: {when}{after}{nxt}")
    return lines
