"""Operation runs (crawl, import, seed): their counts, the live progress line and the record."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from gallery.errors import GalleryError
from gallery.extensions import db
from gallery.media.ingest import discard, ingest
from gallery.models import OperationRun, utcnow

#: at most this many per-item outcomes are kept in OperationRun.counts["items"]
MAX_RECORDED_ITEMS = 500

STORED, DUPLICATE, REJECTED, SKIPPED = "stored", "duplicate", "rejected", "skipped"


@dataclass
class Tally:
    """What a run has done so far; renders itself as the progress line and the summary."""

    labels: tuple[str, ...] = ("found", STORED, "duplicates", REJECTED)
    stream: TextIO | None = None
    counts: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    items: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str = "finished"
    #: called with the tally after every change (the job console's progress)
    listener: Callable[[Tally], None] | None = None
    _started: float = field(default_factory=time.monotonic)
    _last_draw: float = 0.0
    _drawn: bool = False

    def add(self, label: str, n: int = 1) -> None:
        """Count something that is not an item outcome (a page visited, an image found)."""
        self.counts[label] += n
        self.draw()

    def stored(self, what: str, image_id: int | None = None) -> None:
        self._outcome(what, STORED, None, image_id)

    def duplicate(self, what: str, reason: str, image_id: int | None = None) -> None:
        self._outcome(what, DUPLICATE, reason, image_id)

    def rejected(self, what: str, reason: str) -> None:
        self.reasons[reason] += 1
        self._outcome(what, REJECTED, reason, None)

    def skipped(self, what: str, reason: str) -> None:
        """Something that is not an image (a page) could not be used."""
        self.reasons[reason] += 1
        self._outcome(what, SKIPPED, reason, None)

    def _outcome(self, what: str, outcome: str, reason: str | None, image_id: int | None) -> None:
        self.counts["duplicates" if outcome == DUPLICATE else outcome] += 1
        if len(self.items) < MAX_RECORDED_ITEMS:
            item: dict[str, Any] = {"what": what, "outcome": outcome}
            if reason:
                item["reason"] = reason
            if image_id is not None:
                item["image_id"] = image_id
            self.items.append(item)
        self.draw()

    def line(self) -> str:
        """One line: every label with its count, then the rejection reasons."""
        text = " · ".join(f"{label} {self.counts[label]}" for label in self.labels)
        if self.reasons:
            text += " (" + ", ".join(f"{r}: {n}" for r, n in self.reasons.most_common()) + ")"
        return text

    def draw(self, force: bool = False) -> None:
        """Redraw the live progress line on a terminal; elsewhere print it every few seconds."""
        if self.listener is not None:
            self.listener(self)
        if self.stream is None:
            return
        now = time.monotonic()
        tty = self.stream.isatty()
        # a terminal gets a fresh line at once, a log file one line every 5 s
        last = self._last_draw or (0.0 if tty else self._started)
        if not force and now - last < (0.1 if tty else 5.0):
            return
        self._last_draw = now
        if tty:
            self.stream.write("\r\x1b[K" + self.line())
            self._drawn = True
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the live line so that the summary starts on a fresh one."""
        if self.stream is not None and self._drawn:
            self.draw(force=True)
            self.stream.write("\n")
            self.stream.flush()

    def as_counts(self) -> dict[str, Any]:
        """The JSON stored in OperationRun.counts."""
        counts: dict[str, Any] = {label: self.counts[label] for label in self.labels}
        counts.update({k: v for k, v in self.counts.items() if k not in counts})
        counts["reasons"] = dict(self.reasons)
        counts["finish_reason"] = self.finish_reason
        counts["items"] = self.items
        return counts


def progress_stream() -> TextIO:
    """Where the live progress line goes: standard error."""
    return sys.stderr


@contextmanager
def recorded_run(kind: str, args: dict[str, Any], tally: Tally) -> Iterator[OperationRun]:
    """An OperationRun committed as running, then finished (or failed) with the tally's counts."""
    run = OperationRun(kind=kind, args=args, status="running", started_at=utcnow())
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    try:
        yield run
    except BaseException as error:
        db.session.rollback()
        tally.finish_reason = f"error: {error}"[:200]
        _finish(run_id, "failed", tally)
        raise
    _finish(run_id, "finished", tally)


def _finish(run_id: int, status: str, tally: Tally) -> None:
    run = db.session.get(OperationRun, run_id)
    if run is None:  # the tables were emptied under us; nothing to record
        return
    run.status = status
    run.finished_at = utcnow()
    run.counts = tally.as_counts()
    db.session.commit()


def summary(kind: str, tally: Tally) -> str:
    """The closing line printed by the commands."""
    return f"{kind} {tally.finish_reason}: {tally.line()}"


Echo = Callable[[str], None]


def ingest_counted(tally: Tally, what: str, user: Any, data: bytes, **fields: Any) -> None:
    """Put one image through gallery.media.ingest.ingest and commit it; count the outcome."""
    try:
        result = ingest(user, data, **fields)
    except GalleryError as error:
        db.session.rollback()
        tally.rejected(what, str(error.message))
        return
    if result.duplicate:
        image_id = result.image.id
        tally.duplicate(what, "same content as an image already stored", image_id)
        return
    try:
        db.session.commit()
    except Exception:
        discard(result)
        db.session.rollback()
        raise
    tally.stored(what, result.image.id)
