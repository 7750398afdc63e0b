"""The roles of DESIGN.md §3 and their permissions, applied idempotently."""

from __future__ import annotations

from gallery.extensions import security

MEMBER_PERMISSIONS = {
    "image-upload",
    "comment-create",
    "like",
    "report",
    "own-image-delete",
    "follow",
}
MODERATOR_PERMISSIONS = {
    "admin-access",
    "image-hide",
    "image-delete",
    "comment-hide",
    "pick-schedule",
    "report-resolve",
    "audit-read",
}
OPERATOR_PERMISSIONS = {
    "admin-access",
    "cache-manage",
    "crawl-run",
    "seed-run",
    "stats-read",
}
ADMIN_ONLY = {"user-manage", "role-manage"}

ALL_PERMISSIONS = MEMBER_PERMISSIONS | MODERATOR_PERMISSIONS | OPERATOR_PERMISSIONS | ADMIN_ONLY

# Staff roles include the member permissions so that a moderator can also comment.
ROLES: dict[str, dict[str, object]] = {
    "member": {
        "description": "Any confirmed user: upload, comment, like, report",
        "permissions": MEMBER_PERMISSIONS,
    },
    "moderator": {
        "description": "Content staff: hide, purge, picks, reports, audit",
        "permissions": MEMBER_PERMISSIONS | MODERATOR_PERMISSIONS,
    },
    "operator": {
        "description": "Runs the site: caches, crawls, seeding, statistics",
        "permissions": MEMBER_PERMISSIONS | OPERATOR_PERMISSIONS,
    },
    "admin": {
        "description": "Owner: everything, including users and roles",
        "permissions": ALL_PERMISSIONS,
    },
}

# Permissions that need a confirmed e-mail address as well.
CONFIRMED_ONLY = MEMBER_PERMISSIONS


def sync_roles() -> list[str]:
    """Create or update every role; return the names that changed. Caller commits."""
    datastore = security.datastore
    changed = []
    for name, spec in ROLES.items():
        wanted = sorted(spec["permissions"])
        role = datastore.find_role(name)
        if role is None:
            datastore.create_role(name=name, description=spec["description"], permissions=wanted)
            changed.append(name)
        elif sorted(role.get_permissions()) != wanted or role.description != spec["description"]:
            role.permissions = wanted
            role.description = spec["description"]
            datastore.put(role)
            changed.append(name)
    return changed
