"""HTML pages: home, hot, picks, image page, profiles, language switch."""

from __future__ import annotations

from flask import current_app, make_response, redirect, render_template, request, url_for
from sqlalchemy import select

from gallery.extensions import db
from gallery.models import VISIBLE, Image
from gallery.public import bp


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    images = db.session.scalars(
        select(Image).where(Image.status == VISIBLE).order_by(Image.created_at.desc()).limit(20)
    ).all()
    return render_template("public/index.html", images=images)


@bp.post("/lang/<code>")
def set_language(code: str):  # type: ignore[no-untyped-def]
    """Remember the chosen UI language in a cookie and go back."""
    from gallery.urls import safe_next

    response = make_response(redirect(safe_next(request.form.get("next"), url_for("public.index"))))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax")
    return response
