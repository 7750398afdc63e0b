"""The reports inbox: reports grouped per target; Resolve (with an action), Dismiss, Reopen."""

from __future__ import annotations

from typing import Any

from flask import flash, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from gallery.admin.base import ORIGIN, StaffView, actor, back, thumb_url
from gallery.errors import BadRequest
from gallery.extensions import db
from gallery.models import REPORT_DISMISSED, REPORT_OPEN, REPORT_RESOLVED
from gallery.moderation import reports
from gallery.numbers import id_from_text
from gallery.roles.access import check

TABS = (
    (REPORT_OPEN, _l("Open")),
    (REPORT_RESOLVED, _l("Resolved")),
    (REPORT_DISMISSED, _l("Dismissed")),
)
DECISIONS = ("resolve", "dismiss", "reopen")
#: the decision as the flash after it names it
DECISION_NAMES = {"resolve": _l("Resolve"), "dismiss": _l("Dismiss"), "reopen": _l("Reopen")}
TARGET_NAMES = {"image": _l("image"), "comment": _l("comment")}


class ReportsView(StaffView):
    """One row per reported image or comment, with its count and reasons."""

    required_permission = "report-resolve"

    @expose("/")
    def index(self) -> Any:
        status = request.args.get("status", REPORT_OPEN)
        if status not in dict(TABS):
            status = REPORT_OPEN
        return self.render(
            "admin/reports.html",
            groups=reports.grouped(status),
            status=status,
            tabs=TABS,
            actions=reports.RESOLVE_ACTIONS,
            thumb_url=thumb_url,
            counts={s: reports.target_count(s) for s, _ in TABS},
        )

    @expose("/decide", methods=("POST",))
    def decide(self) -> Any:
        """Apply one decision to every report on one target."""
        form = request.form
        decision = form.get("decision", "")
        target_type = form.get("target_type", "")
        target_id = id_from_text(form.get("target_id"))
        if target_id is None:
            raise BadRequest(_("target_id must be a number."))
        if decision not in DECISIONS or target_type not in reports.TARGET_TYPES:
            raise BadRequest(_("Unknown decision or target."))
        if decision == "resolve":
            how = form.get("action", "none")
            if how == "hide":
                check("image-hide" if target_type == "image" else "comment-hide")
            elif how == "purge":
                check("image-delete")
            n = reports.resolve_target(
                target_type, target_id, actor(), ORIGIN, how, form.get("note", "").strip()[:200]
            )
        elif decision == "dismiss":
            n = reports.dismiss_target(target_type, target_id, actor(), ORIGIN)
        else:
            n = reports.reopen_target(target_type, target_id, actor(), ORIGIN)
        db.session.commit()
        flash(
            ngettext(
                "%(decision)s: %(num)s report on %(target)s %(id)s.",
                "%(decision)s: %(num)s reports on %(target)s %(id)s.",
                n,
                decision=DECISION_NAMES[decision],
                target=TARGET_NAMES[target_type],
                id=target_id,
            ),
            "success" if n else "warning",
        )
        return back(url_for(".index"))
