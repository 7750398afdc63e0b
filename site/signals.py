"""Signals between services, so that moderation need not import the feeds."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sent with (sender=app, image_id=int, reason=str) whenever an image is created,
#: hidden, restored, purged or edited; the feeds drop it from every cache.
image_changed = _signals.signal("image-changed")

#: sent with (sender=app, date=datetime.date) when the picks of a date change.
picks_changed = _signals.signal("picks-changed")
