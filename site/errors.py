"""Domain errors raised by services, and the one handler that renders them.

Under /api (or when the client asks for JSON) an error is
``{"error": code, "message": text}``; elsewhere it is an HTML page.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from gallery.extensions import db
from gallery.formats import human_size

RETRY_AFTER_SECONDS = 5
DATABASE_DOWN = _l("The site is briefly unavailable; please try again in a few seconds.")


class GalleryError(Exception):
    """Base of every domain error: an HTTP status, a code and a message for a person."""

    status = 400
    code = "bad_request"
    message: Any = _l("The request could not be understood.")

    def __init__(self, message: Any = None, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(str(message or self.message))
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        self.extra = extra


class BadRequest(GalleryError):
    status, code = 400, "bad_request"


class NotLoggedIn(GalleryError):
    status, code = 401, "not_logged_in"
    message = _l("Please log in first.")


class Forbidden(GalleryError):
    status, code = 403, "forbidden"
    message = _l("You are not allowed to do that.")


class NotConfirmed(Forbidden):
    code = "not_confirmed"
    message = _l(
        "Please confirm your e-mail address first; "
        "you can ask for a new confirmation mail at /confirm."
    )


class NotFound(GalleryError):
    status, code = 404, "not_found"
    message = _l("There is nothing here.")


class Conflict(GalleryError):
    status, code = 409, "conflict"
    message = _l("That conflicts with what is already there.")


class TooLarge(GalleryError):
    status, code = 413, "too_large"
    message = _l("The upload is too large.")


class UploadRejected(GalleryError):
    status, code = 415, "unsupported_image"
    message = _l("That file is not a supported image (JPEG, PNG, GIF or WebP).")


class StorageUnavailable(GalleryError):
    status, code = 503, "storage_unavailable"
    message = _l("Image storage is not answering; nothing was saved. Please try again.")


HTTP_CODES = {
    400: ("bad_request", _l("The request could not be understood.")),
    401: ("not_logged_in", _l("Please log in first.")),
    403: ("forbidden", _l("You are not allowed to do that.")),
    404: ("not_found", _l("There is nothing here.")),
    405: ("method_not_allowed", _l("That method is not allowed here.")),
    409: ("conflict", _l("That conflicts with what is already there.")),
    413: ("too_large", _l("The upload is too large.")),
    415: ("unsupported_media_type", _l("That kind of content is not supported.")),
    429: ("too_many_requests", _l("Too many requests; please slow down and try again later.")),
    500: ("server_error", _l("Something went wrong on our side; it has been logged.")),
    502: ("bad_gateway", _l("An upstream service failed; please try again.")),
    503: ("unavailable", _l("The service is busy; please try again.")),
}


def wants_json() -> bool:
    """JSON for the API and for clients that prefer it over HTML."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


#: Sec-Fetch-Dest of requests a browser makes for a part of a page, not for a page
SUBRESOURCES = {"image", "script", "style", "font", "audio", "video", "track", "manifest"}


def wants_text() -> bool:
    """Plain text for a missing image, script or style: rendering the page layout for
    it would cost a page render and take the flashed messages meant for the page
    the browser is about to show (a staff member lost "turn on two-factor" that way)."""
    return (
        request.path.startswith(("/media/", "/static/"))
        or request.headers.get("Sec-Fetch-Dest", "") in SUBRESOURCES
    )


def error_response(status: int, code: str, message: Any, **extra: Any) -> Any:
    """Render one error as JSON, as plain text for a part of a page, or as the HTML
    page errors/<status>.html."""
    if wants_json() or request_ctx.url_adapter is None:  # no adapter: the Host was refused
        body = {"error": code, "message": str(message), **extra}
        return jsonify(body), status
    if wants_text():
        return current_app.response_class(str(message), status, mimetype="text/plain")
    if code == NotConfirmed.code:  # a friendly page with the resend button, not a bare 403
        return render_template("errors/confirm_first.html", status=status, code=code), status
    own_page = status in (403, 404, 413, 429, 500, 503)
    template = f"errors/{status}.html" if own_page else "errors/error.html"
    return render_template(template, status=status, code=code, message=str(message)), status


def retry_later(response: Any, seconds: int) -> Any:
    """Add Retry-After to an error response (a tuple of body and status, or a Response)."""
    answer = current_app.make_response(response)
    answer.headers["Retry-After"] = str(seconds)
    answer.headers["Cache-Control"] = "no-store"
    return answer


def handle_domain_error(error: GalleryError) -> Any:
    response = error_response(error.status, error.code, error.message, **error.extra)
    return retry_later(response, RETRY_AFTER_SECONDS) if error.status == 503 else response


def handle_database_down(error: Exception) -> Any:
    """The database is unreachable (stopped, restarting, pool exhausted): a 503 that
    says when to try again, never a 500. Visitors get stale pages from the caches."""
    _rollback_quietly()
    current_app.logger.warning("Database unavailable: %s: %s", type(error).__name__, error)
    response = error_response(503, "database_unavailable", DATABASE_DOWN)
    return retry_later(response, RETRY_AFTER_SECONDS)


def _rollback_quietly() -> None:
    """Roll the session back; with the database gone even that may fail."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is already broken
        db.session.close()


def handle_csrf_error(error: CSRFError) -> Any:
    return error_response(
        400,
        "csrf_failed",
        _l("The form's security token is missing or expired; reload the page and try again."),
    )


def handle_http_error(error: HTTPException) -> Any:
    status = error.code or 500
    code, default = HTTP_CODES.get(status, ("error", error.description))
    message = default
    if status == 429:
        message = _l(
            "Too many requests (limit: %(limit)s); please try again later.", limit=error.description
        )
    elif status == 413:
        limit = human_size(request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"])
        message = _l("The upload is larger than the limit of %(limit)s.", limit=limit)
    return error_response(status, code, message)


def handle_server_error(error: Exception) -> Any:
    _rollback_quietly()
    current_app.logger.exception("Unhandled error: %s", error)
    code, message = HTTP_CODES[500]
    return error_response(500, code, message)


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(GalleryError, handle_domain_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(500, handle_server_error)
    app.register_error_handler(DBAPIError, handle_database_down)
    app.register_error_handler(PoolTimeout, handle_database_down)
