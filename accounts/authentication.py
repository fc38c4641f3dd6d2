"""API token authentication that reads the token's user and the user's roles in one statement.

DRF's TokenAuthentication loads the token with its user through the ORM, and the first
permission question of the request (may this user file a report?) then asks RoleBackend for
the user's roles: two round trips and an ORM query built afresh on every authenticated
request, a fifth of a filing's time. Here one constant statement, which PostgreSQL prepares
once per connection, returns the user's row beside each of its roles (`roles_sql`), and the
roles are cached on the user as RoleBackend caches them. The answers are DRF's: the same
401s for an unknown token and for an inactive user, and one that says so for a token past
its lifetime (API_TOKEN_TTL_DAYS; signing in again gives a new one).
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication as DrfTokenAuthentication
from rest_framework.authtoken.models import Token

from accounts.backends import roles_cache, roles_sql
from accounts.services import token_expired
from geo.audit import STAFF_GROUPS

TOKEN_EXPIRED = _("Token expired; sign in again (POST /api/v1/auth/token) for a new one.")


@functools.cache
def _statement() -> tuple[str, list[str]]:
    """The statement and the user's field names, in the order of its first columns."""
    fields = get_user_model()._meta.concrete_fields
    columns = ", ".join(f'u."{f.column}"' for f in fields)
    sql = f"""
        SELECT t.created, {columns}, r.*
        FROM {Token._meta.db_table} AS t
        JOIN {get_user_model()._meta.db_table} AS u ON u.id = t.user_id
        LEFT JOIN LATERAL ({roles_sql("u.id")}) AS r ON TRUE
        WHERE t.key = %s
    """  # noqa: S608 (names from model meta; the key is a parameter)
    return sql, [f.attname for f in fields]


class TokenAuthentication(DrfTokenAuthentication):
    """`Authorization: Token <key>`, as DRF's, with the user's roles read in the same query."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        sql, names = _statement()
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            rows = cursor.fetchall()
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        created, end = rows[0][0], len(names) + 1
        user = get_user_model().from_db(connection.alias, names, rows[0][1:end])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if token_expired(created):
            raise exceptions.AuthenticationFailed(TOKEN_EXPIRED)
        roles_cache(user, (row[end:] for row in rows))
        token = Token(key=key, user=user, created=created)
        token._state.adding = False
        return user, token


def citizen_filer_sql(*, key: str, issued_after: str, permission: str) -> str:
    """A query giving the id of the user whose API token's key is `key` when this class would
    accept the token (active user, issued after `issued_after`, which may be NULL for tokens
    without a lifetime), the user holds `permission` ("app_label.codename") as RoleBackend
    answers it, and the user has no staff role (geo.audit.staff_role), whose requests are
    audited; otherwise no row. The three are SQL (placeholders or expressions).

    For a statement that files a citizen's report and checks its token in one round trip
    (reports.express); tests/reports/test_express.py holds it equal to this class, the
    backend and staff_role."""
    app_label, codename = permission.split(".")
    groups = ", ".join(f"'{name}'" for name in STAFF_GROUPS)
    user_table = get_user_model()._meta.db_table
    return f"""
        SELECT u.id AS user_id
        FROM {Token._meta.db_table} AS t JOIN {user_table} AS u ON u.id = t.user_id
        WHERE t.key = {key} AND u.is_active AND NOT u.is_staff AND NOT u.is_superuser
          AND ({issued_after}::timestamptz IS NULL OR t.created > {issued_after})
          AND (
              SELECT coalesce(bool_or(r.kind = 'perm' AND r.name = '{app_label}'
                                      AND r.codename = '{codename}'), FALSE)
                     AND NOT coalesce(bool_or(r.kind = 'group' AND r.name IN ({groups})), FALSE)
              FROM ({roles_sql("u.id")}) AS r (kind, name, codename))
    """  # noqa: S608 (names from model meta and code; the key is the caller's SQL)
