"""GET /api/openapi.json (OpenAPI 3.1, built with apispec from the app's own routes
and view docstrings) and /api/docs, a page that renders it (no CDN, no script)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, TypeVar

from apispec import APISpec
from flask import current_app, jsonify, render_template
from werkzeug.routing import FloatConverter, IntegerConverter, Rule

from gallery.public.blueprints import api

View = TypeVar("View", bound=Callable[..., Any])
#: name → (JSON type, what it means)
Fields = dict[str, tuple[str, str]]

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
ERROR_RESPONSE = {"$ref": "#/components/responses/Error"}

COMPONENTS_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "description": "a code, e.g. not_found"},
            "message": {"type": "string", "description": "text for a person"},
        },
    },
    "Author": {
        "type": "object",
        "properties": {"username": {"type": "string"}, "url": {"type": "string"}},
    },
    "Comment": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "body": {"type": "string"},
            "author": {"$ref": "#/components/schemas/Author"},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "Card": {
        "type": "object",
        "description": "One image as the feeds and the image endpoints show it.",
        "properties": {
            "id": {"type": "integer"},
            "url": {"type": "string"},
            "thumb_url": {"type": "string"},
            "medium_url": {"type": "string"},
            "original_url": {"type": "string"},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "placeholder": {"type": "string"},
            "caption": {"type": "string"},
            "author": {"$ref": "#/components/schemas/Author"},
            "created_at": {"type": "string", "format": "date-time"},
            "views": {"type": "integer"},
            "comment_count": {"type": "integer"},
            "like_count": {"type": "integer"},
            "comments": {"type": "array", "items": {"$ref": "#/components/schemas/Comment"}},
            "shop": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "properties": {"title": {"type": "string"}, "url": {"type": "string"}},
                    },
                ]
            },
        },
    },
}


#: the keyset-paged lists' query parameters
PAGE: Fields = {
    "cursor": ("string", "next_cursor of the page before; none for the first page"),
    "limit": ("integer", "items per page, 1–50 (default 20)"),
}


def documented(
    *, query: Fields | None = None, body: Fields | None = None, form: Fields | None = None
) -> Callable[[View], View]:
    """Declare the query parameters and the request body (JSON `body` or multipart
    `form`) a view reads; /api/openapi.json shows them. Put it right above `def`, so
    the decorators above it (limits, permissions) copy it with functools.wraps."""

    def mark(view: View) -> View:
        view.__dict__["openapi"] = {"query": query or {}, "body": body, "form": form}
        return view

    return mark


def object_schema(fields: Fields) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            name: {"type": kind, "description": text} for name, (kind, text) in fields.items()
        },
    }


def openapi_path(rule: Rule) -> str:
    """/api/images/<int:image_id> → /api/images/{image_id}."""
    return VARIABLE.sub(r"{\1}", rule.rule)


def schema_type(converter: Any) -> str:
    """integer for <int:…> (and its subclasses), number for <float:…>, else string."""
    if isinstance(converter, IntegerConverter):
        return "integer"
    return "number" if isinstance(converter, FloatConverter) else "string"


def operation(rule: Rule, method: str) -> dict[str, Any]:
    """One operation: summary and description from the view's docstring, path
    parameters from the rule, bearer or cookie security for unsafe methods."""
    view = current_app.view_functions[rule.endpoint]
    doc = inspect.getdoc(view) or rule.endpoint.split(".")[-1].replace("_", " ").capitalize()
    summary, _sep, description = doc.partition("\n")
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": schema_type(converter)},
        }
        for name, converter in rule._converters.items()
    ]
    declared = getattr(view, "openapi", {"query": {}, "body": None, "form": None})
    parameters += [
        {"name": name, "in": "query", "description": text, "schema": {"type": kind}}
        for name, (kind, text) in declared["query"].items()
    ]
    op: dict[str, Any] = {
        "operationId": f"{rule.endpoint.split('.')[-1]}_{method.lower()}",
        "summary": summary.strip(),
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {}}},
            "400": ERROR_RESPONSE,
            "404": ERROR_RESPONSE,
            "429": ERROR_RESPONSE,
        },
    }
    if description.strip():
        op["description"] = description.strip()
    if parameters:
        op["parameters"] = parameters
    content = {}
    if declared["body"] is not None:
        content["application/json"] = {"schema": object_schema(declared["body"])}
    if declared["form"] is not None:
        content["multipart/form-data"] = {"schema": object_schema(declared["form"])}
    if content and method in UNSAFE:
        op["requestBody"] = {"required": True, "content": content}
    if method in UNSAFE:
        op["security"] = [{"bearerToken": []}, {"sessionCookie": [], "csrfHeader": []}]
        op["responses"].update({"401": ERROR_RESPONSE, "403": ERROR_RESPONSE})
    return op


def build_spec() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every /api route of the running app."""
    spec = APISpec(
        title=f"{current_app.config['SITE_NAME']} API",
        version="1",
        openapi_version="3.1.0",
        info={
            "description": (
                'Public JSON API. Errors are {"error", "message"}. Unsafe requests need '
                "either `Authorization: Bearer <token>` (a token made at /account/tokens) "
                "or the session cookie plus the CSRF token in `X-CSRFToken`."
            )
        },
    )
    for name, schema in COMPONENTS_SCHEMAS.items():
        spec.components.schema(name, schema)
    spec.components.response(
        "Error",
        {
            "description": "An error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    )
    spec.components.security_scheme("bearerToken", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme(
        "sessionCookie", {"type": "apiKey", "in": "cookie", "name": "session"}
    )
    spec.components.security_scheme(
        "csrfHeader", {"type": "apiKey", "in": "header", "name": "X-CSRFToken"}
    )
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/") or rule.endpoint == "static":
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        operations = paths.setdefault(openapi_path(rule), {})
        for method in methods:
            operations[method.lower()] = operation(rule, method)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@api.get("/openapi.json")
def openapi() -> Any:
    """This document: the OpenAPI 3.1 description of the API."""
    return jsonify(build_spec())


@api.get("/docs")
def docs() -> Any:
    """The API documentation page (rendered from the OpenAPI document)."""
    return render_template("public/api_docs.html", spec=build_spec())
