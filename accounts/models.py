"""What civicpin keeps about a person beyond Django's user: a phone number, never public."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

# E.164-ish: an optional +, then 8 to 15 digits (Vietnamese mobiles are 10 digits, 0xxxxxxxxx).
phone_validator = RegexValidator(
    r"^\+?[0-9]{8,15}$", "Enter a phone number of 8 to 15 digits, optionally starting with +."
)


class Profile(models.Model):
    """A citizen's contact details. Private: never serialised into a public answer."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    phone = models.CharField(max_length=16, blank=True, validators=[phone_validator])
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"profile of {self.user_id}"
