"""Writes to accounts: registering a citizen, issuing and revoking API tokens."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Profile

# The group registered users join; created with its permissions by reports migration 0002.
CITIZEN_GROUP = "citizen"


@transaction.atomic
def user_register(
    *,
    username: str,
    password: str,
    email: str,
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
) -> tuple[AbstractBaseUser, Token]:
    """Create a citizen with a profile and an API token.

    Django's password validators run against the would-be user, so a password too close to
    the username or e-mail is refused.
    """
    user_model = get_user_model()
    user = user_model(username=username, email=email, first_name=first_name, last_name=last_name)
    validate_password(password, user=user)
    user.set_password(password)
    user.full_clean()
    user.save()
    profile = Profile(user=user, phone=phone)
    profile.full_clean()
    profile.save()
    group, _ = Group.objects.get_or_create(name=CITIZEN_GROUP)
    user.groups.add(group)
    token = Token.objects.create(user=user)
    return user, token


def token_expires_at(created: dt.datetime) -> dt.datetime | None:
    """When a token issued at `created` stops being accepted (None: never, when
    API_TOKEN_TTL_DAYS is 0). A stolen phone's token works until then or until revoked."""
    days = settings.API_TOKEN_TTL_DAYS
    return created + dt.timedelta(days=days) if days > 0 else None


def token_issued_after() -> dt.datetime | None:
    """The earliest time a token still accepted now was issued (None: tokens never expire),
    for a check written in SQL (accounts.authentication.citizen_filer_sql)."""
    days = settings.API_TOKEN_TTL_DAYS
    return timezone.now() - dt.timedelta(days=days) if days > 0 else None


def token_expired(created: dt.datetime) -> bool:
    """Whether a token issued at `created` is past its lifetime."""
    expires = token_expires_at(created)
    return expires is not None and expires <= timezone.now()


@transaction.atomic
def token_for_sign_in(user: AbstractBaseUser) -> Token:
    """The user's API token for a sign-in: the one they have while it is valid, else a new
    one (an expired token is replaced, never revived, so its old key stays refused)."""
    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None and not token_expired(token.created):
        return token
    if token is not None:
        token.delete()
    return Token.objects.create(user=user)


def token_revoke(key: str) -> None:
    """Sign out: the token stops working at once, on every device that holds it."""
    Token.objects.filter(key=key).delete()
