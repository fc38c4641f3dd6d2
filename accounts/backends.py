"""Authentication backend: Django's ModelBackend with a user's roles read in one query.

Every authenticated API request asks at least one permission question (may this user file a
report? act on it?) and every state-changing one asks for the user's staff role (geo.audit).
ModelBackend answers the first with two queries (the user's own permissions, then their
groups' permissions) and the audit asked a third for the group names. Here one statement
returns the group names and every permission, cached on the user object for the request like
ModelBackend's own caches, so a filing's permission check and audit cost one round trip.
The answers are ModelBackend's: same permissions, same rules for inactive users, superusers
and object permissions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import connection

BACKEND_PATH = "accounts.backends.RoleBackend"


def roles_sql(user: str) -> str:
    """Rows ('group', name, '') for each of a user's groups and ('perm', app_label, codename)
    for each permission held directly or through a group; `user` is the SQL giving the
    user's id (a placeholder, or a column of an enclosing query)."""
    return f"""
        SELECT 'group', g.name, ''
        FROM auth_user_groups AS ug JOIN auth_group AS g ON g.id = ug.group_id
        WHERE ug.user_id = {user}
        UNION
        SELECT 'perm', ct.app_label, p.codename
        FROM auth_permission AS p JOIN django_content_type AS ct ON ct.id = p.content_type_id
        WHERE p.id IN (
            SELECT permission_id FROM auth_user_user_permissions WHERE user_id = {user}
            UNION ALL
            SELECT gp.permission_id
            FROM auth_group_permissions AS gp
            JOIN auth_user_groups AS ug ON ug.group_id = gp.group_id
            WHERE ug.user_id = {user}
        )
    """  # noqa: S608 (`user` is the caller's SQL, never input)


_ROLES_SQL = roles_sql("%(user)s")

_GROUPS_CACHE = "_civicpin_group_names"


def _load_roles(user: Any) -> None:
    """Read the user's group names and permissions once; cache both on the user object."""
    with connection.cursor() as cursor:
        cursor.execute(_ROLES_SQL, {"user": user.pk})
        roles_cache(user, cursor.fetchall())


def roles_cache(user: Any, rows: Iterable[tuple[str | None, str | None, str | None]]) -> None:
    """Cache on `user` the group names and permissions of `roles_sql`'s rows (rows of NULLs,
    from an outer join, stand for none), as this backend's answers for the request."""
    groups: set[str] = set()
    perms: set[str] = set()
    for kind, first, second in rows:
        if kind == "group":
            groups.add(first)
        elif kind == "perm":
            perms.add(f"{first}.{second}")
    setattr(user, _GROUPS_CACHE, frozenset(groups))
    if not user.is_superuser:
        user._perm_cache = perms


def group_names(user: Any) -> frozenset[str]:
    """The names of `user`'s groups, read with their permissions (at most once per user object)."""
    if not hasattr(user, _GROUPS_CACHE):
        _load_roles(user)
    return getattr(user, _GROUPS_CACHE)


class RoleBackend(ModelBackend):
    """ModelBackend whose permission answers come from one query per user object."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            _load_roles(user_obj)
        return user_obj._perm_cache
