"""The public forms of status announcements: subscribe, confirm with the code."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from amargah.core import iranian
from amargah.core.persian import to_ascii_digits
from amargah.desk.forms import IDENTIFIER_MESSAGES
from amargah.status.choices import SubscriberChannel

# The service desk's wording for a wrong mobile number, so both forms say it alike.
MOBILE_ERRORS = IDENTIFIER_MESSAGES["mobile"]


class SubscribeForm(forms.Form):
    """An e-mail address or a mobile number, and which of the two it is."""

    channel = forms.ChoiceField(
        label=_("Send announcements by"),
        choices=SubscriberChannel.choices,
        initial=SubscriberChannel.EMAIL,
        widget=forms.RadioSelect,
    )
    address = forms.CharField(
        label=_("E-mail address or mobile number"),
        max_length=254,
        help_text=_("A mobile number like 09121234567 (Persian digits are fine)."),
        widget=forms.TextInput(attrs={"class": "form-control", "dir": "ltr", "autocomplete": "on"}),
    )
    # A field people never see: a robot that fills it is refused.
    website = forms.CharField(label=_("Leave this empty"), required=False)

    @property
    def honeypot_filled(self) -> bool:
        return bool(self.data.get("website", "").strip())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        channel, address = data.get("channel"), data.get("address", "")
        if not channel or not address:
            return data
        if channel == SubscriberChannel.SMS:
            try:
                data["address"] = iranian.clean_mobile(address)
            except iranian.IdentifierError as error:
                message = MOBILE_ERRORS.get(error.reason, MOBILE_ERRORS[iranian.Reason.LENGTH])
                self.add_error("address", str(message))
        else:
            email = to_ascii_digits(address.strip()).lower()
            try:
                validate_email(email)
            except ValidationError:
                self.add_error("address", _("Enter an e-mail address like name@example.com."))
            else:
                data["address"] = email
        return data


class ConfirmForm(forms.Form):
    """The six-digit code sent to the address."""

    code = forms.CharField(
        label=_("Confirmation code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "dir": "ltr",
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
            }
        ),
    )

    def clean_code(self) -> str:
        code = to_ascii_digits(str(self.cleaned_data["code"])).strip().replace(" ", "")
        if len(code) != 6 or not code.isascii() or not code.isdigit():
            raise ValidationError(_("The code has six digits."), code="format")
        return code
