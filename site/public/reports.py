"""POST /api/reports: members report images and comments."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from flask_security import current_user

from gallery.errors import BadRequest
from gallery.extensions import db, limiter
from gallery.limits import config_limit, per_member
from gallery.models import REPORT_REASONS
from gallery.moderation import reports
from gallery.public.api_docs import documented
from gallery.public.blueprints import api
from gallery.roles import permission_required


@api.post("/reports")
@limiter.limit(config_limit("REPORT_RATE_LIMIT"), key_func=per_member)
@permission_required("report")
@documented(
    body={
        "target": ("string", "image or comment"),
        "id": ("integer", "the image or comment id"),
        "reason": ("string", ", ".join(REPORT_REASONS)),
        "details": ("string", "optional words for the moderators"),
    }
)
def create_report() -> Any:
    """Body {"target": "image"|"comment", "id": n, "reason": "...", "details": "..."} → 201."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest(_("Send a JSON object with target, id and reason."), code="bad_json")
    details = body.get("details", "")
    if not isinstance(details, str):
        raise BadRequest(_("details must be text."), code="bad_details")
    report = reports.create_report(
        current_user,
        str(body.get("target", "")),
        body.get("id"),
        str(body.get("reason", "")),
        details,
    )
    db.session.commit()
    return jsonify(report_json(report)), 201


def report_json(report: Any) -> dict[str, Any]:
    """A report as the API shows it to its reporter."""
    return {
        "id": report.id,
        "target": report.target_type,
        "target_id": report.target_id,
        "reason": report.reason,
        "details": report.details,
        "status": report.status,
    }
