"""Forms of the pages: filters read from the query string, and sign-up.

Filters are validated here so a bad value in a URL shows the form's error instead of a 500;
their cleaned values are passed on unchanged to the same tile and analytics parameters the
API takes.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import phone_validator
from reports import selectors
from reports.models import Status
from web.labels import STATUS_LABELS, local_name

DATE_RANGE_REVERSED = _("The start date must be on or before the end date.")
USERNAME_TAKEN = _("This username is taken.")


def category_choices() -> list[tuple[str, str]]:
    return [("", _("All categories"))] + [
        (c.code, local_name(c)) for c in selectors.category_list()
    ]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None, format: str | None = None) -> None:
        super().__init__({"class": "form-control", **(attrs or {})}, format)


def status_boxes() -> forms.CheckboxSelectMultiple:
    return forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


class ReportFilterForm(forms.Form):
    """Category, statuses and a date range: the public map's and the planners' filters."""

    category = forms.ChoiceField(label=_("Category"), required=False)
    status = forms.MultipleChoiceField(
        label=_("Status"),
        required=False,
        choices=[(s.value, STATUS_LABELS[s]) for s in Status],
        widget=status_boxes(),
    )
    since = forms.DateField(label=_("From"), required=False, widget=DateInput)
    until = forms.DateField(label=_("To"), required=False, widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise ValidationError(DATE_RANGE_REVERSED)
        return data

    def query(self) -> dict[str, str]:
        """The valid filters as tile/analytics query parameters (empty ones left out)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        query = {
            "category": data.get("category") or "",
            "status": ",".join(data.get("status") or []),
            "since": data["since"].isoformat() if data.get("since") else "",
            "until": data["until"].isoformat() if data.get("until") else "",
        }
        return {k: v for k, v in query.items() if v}


class PlanningFilterForm(ReportFilterForm):
    """The planners' filters: no status (analytics count all but rejected and duplicates)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["status"]


class QueueFilterForm(forms.Form):
    """The officials' queue: statuses (open by default), category, agency, overdue only."""

    status = forms.MultipleChoiceField(
        label=_("Status"),
        required=False,
        choices=[(s.value, STATUS_LABELS[s]) for s in Status],
        widget=status_boxes(),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    agency = forms.ChoiceField(label=_("Unit"), required=False)
    overdue = forms.BooleanField(
        label=_("Overdue only"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, agencies: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["agency"].choices = [("", _("All my units")), *agencies]


class SignUpForm(forms.Form):
    """A citizen's account; accounts.services.user_register does the work and the checks."""

    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    phone = forms.CharField(
        label=_("Phone (optional)"), max_length=16, required=False, validators=[phone_validator]
    )
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise ValidationError(USERNAME_TAKEN)
        return username
