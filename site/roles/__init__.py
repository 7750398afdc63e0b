"""Who may do what: role names, their permission sets, and the checks views use.

This module is the single source of truth; views check permissions
(``image-hide``), never role names.
"""

from __future__ import annotations

from gallery.roles.access import AdminAccessMixin, can, permission_required
from gallery.roles.definitions import (
    ALL_PERMISSIONS,
    ROLES,
    sync_roles,
)

__all__ = [
    "ALL_PERMISSIONS",
    "ROLES",
    "AdminAccessMixin",
    "can",
    "permission_required",
    "sync_roles",
]
