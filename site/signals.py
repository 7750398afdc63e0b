"""Signals between services, so that moderation need not import the feeds."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sent with (sender=app, image_id=int, reason=str) whenever an image is created,
#: hidden, restored, purged or edited; the feeds drop it from every cache.
image_changed = _signals.signal("image-changed")

#: sent with (sender=app, date=datetime.date) when the picks of a date change.
picks_changed = _signals.signal("picks-changed")

#: sent with (sender=app, user_id=int, actor=User|None, image_id=int|None,
#: comment_id=int|None, reason=str) when a moderator hides a member's image or comment;
#: the member is notified.
content_hidden = _signals.signal("content-hidden")

#: sent with (sender=app, image=Image, actor=User|None, date=datetime.date) when a
#: moderator schedules an image as a pick; its author is notified.
pick_scheduled = _signals.signal("pick-scheduled")

#: sent with (sender=app) when an album, its images or their order change.
albums_changed = _signals.signal("albums-changed")

#: sent with (sender=app, keys=list[str]) after a commit that dropped the rows of stored
#: files; the job queue deletes the files (with retries), so media need not import jobs.
files_doomed = _signals.signal("files-doomed")
