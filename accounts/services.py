"""Writes to accounts: registering a citizen."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
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
