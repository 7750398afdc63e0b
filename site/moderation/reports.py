"""Reports: members flag images and comments; moderators resolve, dismiss or reopen them.

A report never hides anything by itself. Callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from gallery.errors import BadRequest, Conflict, NotFound
from gallery.extensions import db
from gallery.models import (
    REPORT_DISMISSED,
    REPORT_OPEN,
    REPORT_REASONS,
    REPORT_RESOLVED,
    VISIBLE,
    Comment,
    Image,
    Report,
    User,
    utcnow,
)
from gallery.moderation import actions as moderation
from gallery.numbers import id_from_json, in_range

TARGET_TYPES = ("image", "comment")
DETAILS_MAX = 1000

#: what a moderator can do to the target while resolving its reports
RESOLVE_ACTIONS = ("hide", "purge", "none")


def no_such_target(target_type: str, key: Any) -> str:
    """The 404 message for a missing report target."""
    if target_type == "comment":
        return _("There is no comment %(id)s.", id=key)
    return _("There is no image %(id)s.", id=key)


def already_reported(target_type: str) -> str:
    """The 409 message for a second report on the same target by the same member."""
    if target_type == "comment":
        return _("You have already reported this comment.")
    return _("You have already reported this image.")


def load_target(target_type: str, target_id: Any) -> Image | Comment:
    """The reported image or comment, or NotFound."""
    if target_type not in TARGET_TYPES:
        raise BadRequest(
            _(
                "A report's target is 'image' or 'comment', not %(target)s.",
                target=repr(target_type),
            ),
            code="bad_target",
        )
    key = id_from_json(target_id)
    if key is None:
        raise BadRequest(_("The target id must be a number."), code="bad_target")
    model = Image if target_type == "image" else Comment
    target = db.session.get(model, key) if in_range(key) else None
    if target is None:
        raise NotFound(no_such_target(target_type, key))
    return target


def _is_public(target: Image | Comment) -> bool:
    if isinstance(target, Comment):
        return target.status == VISIBLE and target.image.status == VISIBLE
    return target.status == VISIBLE


def create_report(reporter: User, target: str, id: Any, reason: str, details: str = "") -> Report:
    """Record one member's report on a visible image or comment, at most once per target."""
    if reason not in REPORT_REASONS:
        raise BadRequest(
            _("Choose a reason from: %(reasons)s.", reasons=", ".join(REPORT_REASONS)),
            code="bad_reason",
            reasons=list(REPORT_REASONS),
        )
    details = (details or "").strip()
    if len(details) > DETAILS_MAX:
        raise BadRequest(
            _("Please keep the details under %(max)s characters.", max=DETAILS_MAX),
            code="details_too_long",
        )
    item = load_target(target, id)
    if not _is_public(item):
        raise NotFound(no_such_target(target, item.id))
    existing = db.session.scalar(
        select(Report.id).where(
            Report.reporter_id == reporter.id,
            Report.target_type == target,
            Report.target_id == item.id,
        )
    )
    if existing is not None:
        raise Conflict(already_reported(target), code="already_reported")
    report = Report(
        reporter_id=reporter.id,
        target_type=target,
        target_id=item.id,
        reason=reason,
        details=details,
        status=REPORT_OPEN,
        created_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(report)
    except IntegrityError:  # the same member, twice at the same moment
        raise Conflict(already_reported(target), code="already_reported") from None
    return report


def _state(report: Report) -> dict[str, Any]:
    return {
        "status": report.status,
        "resolution": report.resolution,
        "resolved_by_id": report.resolved_by_id,
    }


def _decide(
    report: Report,
    status: str,
    resolution: str | None,
    actor: User | None,
    origin: str,
    action: str,
) -> None:
    before = _state(report)
    report.status = status
    report.resolution = resolution
    report.resolved_by_id = actor.id if actor is not None and status != REPORT_OPEN else None
    report.resolved_at = utcnow() if status != REPORT_OPEN else None
    moderation.audit(actor, origin, action, "report", report.id, before, _state(report))


def resolve(report: Report, actor: User | None, origin: str, action_taken: str = "") -> None:
    """Close a report as acted upon, noting what was done."""
    _decide(report, REPORT_RESOLVED, action_taken or "resolved", actor, origin, "report.resolve")


def dismiss(report: Report, actor: User | None, origin: str) -> None:
    """Close a report as unfounded."""
    _decide(report, REPORT_DISMISSED, "dismissed", actor, origin, "report.dismiss")


def reopen(report: Report, actor: User | None, origin: str) -> None:
    """Open a closed report again: every decision can be changed later."""
    _decide(report, REPORT_OPEN, None, actor, origin, "report.reopen")


# --- one target, all its reports (the inbox works per target) -------------


def reports_on(target_type: str, target_id: int, statuses: tuple[str, ...]) -> list[Report]:
    return list(
        db.session.scalars(
            select(Report)
            .where(
                Report.target_type == target_type,
                Report.target_id == target_id,
                Report.status.in_(statuses),
            )
            .order_by(Report.id)
        )
    )


def resolve_target(
    target_type: str, target_id: int, actor: User | None, origin: str, action: str, note: str = ""
) -> int:
    """Resolve every open report on a target, hiding or purging it first when asked."""
    if action not in RESOLVE_ACTIONS:
        raise BadRequest(_("Resolve with one of: %(actions)s.", actions=", ".join(RESOLVE_ACTIONS)))
    open_reports = reports_on(target_type, target_id, (REPORT_OPEN,))
    taken = {"hide": "hidden", "purge": "purged", "none": "no action"}[action]
    for report in open_reports:
        resolve(report, actor, origin, f"{taken}: {note}" if note else taken)
    if action != "none":
        target = load_target(target_type, target_id)
        if isinstance(target, Image):
            (moderation.hide_image if action == "hide" else moderation.purge_image)(
                target, actor, origin
            )
        else:
            (moderation.hide_comment if action == "hide" else moderation.purge_comment)(
                target, actor, origin
            )
    return len(open_reports)


def dismiss_target(target_type: str, target_id: int, actor: User | None, origin: str) -> int:
    """Dismiss every open report on a target."""
    open_reports = reports_on(target_type, target_id, (REPORT_OPEN,))
    for report in open_reports:
        dismiss(report, actor, origin)
    return len(open_reports)


def reopen_target(target_type: str, target_id: int, actor: User | None, origin: str) -> int:
    """Reopen every closed report on a target."""
    closed = reports_on(target_type, target_id, (REPORT_RESOLVED, REPORT_DISMISSED))
    for report in closed:
        reopen(report, actor, origin)
    return len(closed)


@dataclass
class TargetGroup:
    """One row of the reports inbox: a target and the reports on it."""

    target_type: str
    target_id: int
    count: int
    first_at: Any
    last_at: Any
    reasons: dict[str, int]
    target: Image | Comment | None = None
    reports: list[Report] = field(default_factory=list)


def grouped(status: str = REPORT_OPEN, limit: int = 100) -> list[TargetGroup]:
    """Targets with reports in `status`, most reported first, in a constant number of queries."""
    rows = db.session.execute(
        select(
            Report.target_type,
            Report.target_id,
            func.count(Report.id),
            func.min(Report.created_at),
            func.max(Report.created_at),
        )
        .where(Report.status == status)
        .group_by(Report.target_type, Report.target_id)
        .order_by(func.count(Report.id).desc(), func.max(Report.created_at).desc())
        .limit(limit)
    ).all()
    groups = {(t, i): TargetGroup(t, i, n, first, last, {}) for t, i, n, first, last in rows}
    if not groups:
        return []
    for kind, model in (("image", Image), ("comment", Comment)):
        ids = [i for t, i in groups if t == kind]
        if not ids:
            continue
        for item in db.session.scalars(select(model).where(model.id.in_(ids))):
            groups[(kind, item.id)].target = item
        reason_rows = db.session.execute(
            select(Report.target_id, Report.reason, func.count(Report.id))
            .where(Report.status == status, Report.target_type == kind, Report.target_id.in_(ids))
            .group_by(Report.target_id, Report.reason)
        )
        for target_id, reason, n in reason_rows:
            groups[(kind, target_id)].reasons[reason] = n
        for report in db.session.scalars(
            select(Report)
            .options(joinedload(Report.reporter))
            .where(Report.status == status, Report.target_type == kind, Report.target_id.in_(ids))
            .order_by(Report.id)
        ):
            groups[(kind, report.target_id)].reports.append(report)
    return list(groups.values())


def target_count(status: str = REPORT_OPEN) -> int:
    """How many targets have reports in `status` (open ones for the dashboard)."""
    return (
        db.session.scalar(
            select(func.count()).select_from(
                select(Report.target_type, Report.target_id)
                .where(Report.status == status)
                .group_by(Report.target_type, Report.target_id)
                .subquery()
            )
        )
        or 0
    )
