"""Validation of what people type into the desk's forms, with messages in their language."""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from typing import Any

from captcha.conf import settings as captcha_settings
from captcha.fields import CaptchaField, CaptchaTextInput
from captcha.models import CaptchaStore
from django import forms
from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amargah.core import iranian
from amargah.core.persian import normalize, to_ascii_digits
from amargah.desk import tracking
from amargah.desk.choices import (
    Channel,
    LegalBasis,
    PreferredFormat,
    RequesterKind,
    TicketKind,
    TicketStatus,
)
from amargah.desk.services import Submission

FORM_SALT = "amargah.desk.form"

# Why an identifier was refused, worded per field so the message names the field.
IDENTIFIER_MESSAGES: dict[str, dict[iranian.Reason, Promise]] = {
    "mobile": {
        iranian.Reason.NOT_DIGITS: _("The mobile number may contain only digits."),
        iranian.Reason.LENGTH: _("The mobile number must have 11 digits, like 09121234567."),
        iranian.Reason.PREFIX: _("The mobile number must start with 09."),
    },
    "national_id": {
        iranian.Reason.NOT_DIGITS: _("The national ID may contain only digits."),
        iranian.Reason.LENGTH: _("The national ID must have 10 digits."),
        iranian.Reason.REPEATED: _("The national ID cannot be one digit repeated."),
        iranian.Reason.CHECKSUM: _(
            "This national ID is not valid: its check digit does not match."
        ),
    },
    "company_id": {
        iranian.Reason.NOT_DIGITS: _("The company national ID may contain only digits."),
        iranian.Reason.LENGTH: _("The company national ID must have 11 digits."),
        iranian.Reason.REPEATED: _("The company national ID cannot be one digit repeated."),
        iranian.Reason.CHECKSUM: _(
            "This company national ID is not valid: its check digit does not match."
        ),
    },
    "postal_code": {
        iranian.Reason.NOT_DIGITS: _("The postal code may contain only digits."),
        iranian.Reason.LENGTH: _("The postal code must have 10 digits."),
        iranian.Reason.REPEATED: _("The postal code cannot be one digit repeated."),
    },
}
CLEANERS = {
    "mobile": iranian.clean_mobile,
    "national_id": iranian.clean_national_id,
    "company_id": iranian.clean_company_id,
    "postal_code": iranian.clean_postal_code,
}


def style(form: forms.BaseForm) -> None:
    """Give every widget Bootstrap's class for its kind."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(
            widget, forms.RadioSelect | forms.CheckboxInput | forms.HiddenInput | CaptchaTextInput
        ):
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                widget.attrs.setdefault("class", "form-check-input")
            continue
        widget.attrs.setdefault(
            "class", "form-select" if isinstance(widget, forms.Select) else "form-control"
        )


class StyledForm(forms.Form):
    """A form whose widgets carry Bootstrap's classes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)


class TextField(forms.CharField):
    """A text field whose Arabic ي/ك become Persian ی/ک and whose digits become ASCII."""

    def to_python(self, value: Any) -> str:
        return normalize(super().to_python(value) or "")


class IdentifierField(forms.CharField):
    """An Iranian identifier, checked and stored in ASCII digits."""

    def __init__(self, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        if not text:
            return text
        try:
            return CLEANERS[self.kind](text)
        except iranian.IdentifierError as error:
            raise forms.ValidationError(
                str(IDENTIFIER_MESSAGES[self.kind][error.reason]), code=error.reason.value
            ) from None


class MathCaptchaInput(CaptchaTextInput):
    """The CAPTCHA widget served from the desk's own URLs, with a translated label."""

    template_name = "desk/widgets/captcha.html"

    def fetch_captcha_store(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, generator: Any = None
    ) -> None:
        key = (
            CaptchaStore.pick()
            if captcha_settings.CAPTCHA_GET_FROM_POOL
            else CaptchaStore.generate_key(generator)
        )
        self._value = [key, ""]
        self._key = key
        self.id_ = self.build_attrs(attrs or {}).get("id", None)

    def image_url(self) -> str:
        return reverse("desk:captcha-image", kwargs={"key": self._key})

    def audio_url(self) -> None:
        return None


class MathCaptchaField(CaptchaField):
    """The offline math CAPTCHA; answers in Persian or Arabic-Indic digits are accepted."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MathCaptchaInput(attrs={"inputmode": "numeric", "class": "form-control"})
        )
        kwargs.setdefault(
            "error_messages", {"invalid": _("The answer to the sum is not right; try the new one.")}
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        # The stored answer is in ASCII digits; Persian keyboards type Persian ones.
        if isinstance(value, list) and len(value) == 2 and value[1]:
            value = [value[0], to_ascii_digits(str(value[1]))]
        return super().clean(value)


def new_form_stamp() -> str:
    """A signed form instance: a random token (idempotency) and the time it was issued."""
    return signing.dumps({"token": secrets.token_hex(16), "at": time.time()}, salt=FORM_SALT)


class GuardedForm(StyledForm):
    """A public form with a signed stamp (minimum fill time, expiry), a honeypot and a CAPTCHA."""

    stamp = forms.CharField(widget=forms.HiddenInput)
    # A field people never see; programs that fill every field give themselves away.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, captcha: bool = False, **kwargs: Any) -> None:
        """``captcha``: ask the sum (see ``amargah.desk.abuse.captcha_required``)."""
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("stamp", new_form_stamp())
        if captcha:
            self.add_captcha()

    def add_captcha(self) -> None:
        """Ask the sum from now on (the form is shown again to a client now asked it)."""
        if "captcha" not in self.fields:
            self.fields["captcha"] = MathCaptchaField(
                label=_("Security question: the result of the sum")
            )

    @property
    def sent_too_fast(self) -> bool:
        return self.has_error("stamp", "form_too_fast")

    @property
    def honeypot_filled(self) -> bool:
        return bool(self.data.get("website"))

    @property
    def min_seconds(self) -> float:
        """A form sent sooner than this after it was served is a program's."""
        return float(settings.DESK_FORM_MIN_SECONDS)

    @property
    def max_seconds(self) -> float:
        """A form older than this is stale and shown again."""
        return float(settings.DESK_FORM_MAX_SECONDS)

    def clean_stamp(self) -> str:
        try:
            data = signing.loads(
                self.cleaned_data["stamp"], salt=FORM_SALT, max_age=int(self.max_seconds)
            )
        except signing.SignatureExpired:
            raise forms.ValidationError(
                _("This form was open for too long. Please send it again."), code="form_expired"
            ) from None
        except signing.BadSignature:
            raise forms.ValidationError(
                _("This form is damaged. Please reload the page."), code="bad_stamp"
            ) from None
        age = time.time() - float(data["at"])
        if age > self.max_seconds:
            raise forms.ValidationError(
                _("This form was open for too long. Please send it again."), code="form_expired"
            )
        if age < self.min_seconds:
            raise forms.ValidationError(
                _("The form was sent too quickly. Please check it and send it again."),
                code="form_too_fast",
            )
        return str(data["token"])


class RequesterForm(GuardedForm):
    """Who is asking: the fields every public request form shares."""

    kind: TicketKind

    requester_kind = forms.ChoiceField(
        label=_("You are"),
        choices=RequesterKind.choices,
        initial=RequesterKind.CITIZEN,
        widget=forms.RadioSelect,
    )
    full_name = TextField(label=_("Full name"), max_length=120)
    organisation = TextField(
        label=_("Company or agency name"),
        max_length=160,
        required=False,
        help_text=_("For businesses and government agencies."),
    )
    mobile = IdentifierField(
        "mobile",
        label=_("Mobile number"),
        max_length=20,
        help_text=_("The tracking code is sent to this number; you need it to follow up."),
    )
    email = forms.EmailField(label=_("E-mail (optional)"), required=False)
    national_id = IdentifierField(
        "national_id", label=_("National ID (optional)"), max_length=14, required=False
    )
    company_id = IdentifierField(
        "company_id",
        label=_("Company national ID"),
        max_length=15,
        required=False,
        help_text=_("Businesses only: the 11-digit national ID of the company."),
    )
    postal_code = IdentifierField(
        "postal_code", label=_("Postal code (optional)"), max_length=14, required=False
    )
    subject = TextField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("requester_kind")
        if kind in (RequesterKind.BUSINESS, RequesterKind.AGENCY) and not data.get("organisation"):
            self.add_error("organisation", _("Please give the name of the company or agency."))
        # A business is identified by its legal-entity ID; an invalid one already has its error.
        if (
            kind == RequesterKind.BUSINESS
            and not data.get("company_id")
            and "company_id" not in self.errors
        ):
            self.add_error("company_id", _("A business must give its company national ID."))
        return data

    def submission(self) -> Submission:
        """The validated values, ready for ``services.ticket_submit``."""
        data = self.cleaned_data
        return Submission(
            kind=self.kind,
            requester_kind=data["requester_kind"],
            full_name=data["full_name"],
            organisation=data.get("organisation", ""),
            mobile=data["mobile"],
            email=data.get("email", ""),
            national_id=data.get("national_id", ""),
            company_id=data.get("company_id", ""),
            postal_code=data.get("postal_code", ""),
            subject=data["subject"],
            body=data["body"],
            period=data.get("period", ""),
            area=data.get("area", ""),
            preferred_format=data.get("preferred_format", ""),
        )


class InfoRequestForm(RequesterForm):
    """A request for statistics. The law forbids asking why the requester wants them."""

    kind = TicketKind.INFO_REQUEST
    field_order = (
        "requester_kind",
        "full_name",
        "organisation",
        "mobile",
        "email",
        "national_id",
        "company_id",
        "postal_code",
        "subject",
        "body",
        "period",
        "area",
        "preferred_format",
    )

    period = TextField(
        label=_("For which period"),
        max_length=120,
        required=False,
        help_text=_("For example: 1400 to 1404, or the 1395 census."),
    )
    area = TextField(
        label=_("For which area"),
        max_length=120,
        required=False,
        help_text=_("For example: Semnan Province, or Shahrud county."),
    )
    preferred_format = forms.ChoiceField(
        label=_("Preferred format"), choices=PreferredFormat.choices, initial=PreferredFormat.ANY
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Which statistics do you need?")


class ComplaintForm(RequesterForm):
    """A complaint about a service of the office."""

    kind = TicketKind.COMPLAINT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("What happened?")


class SuggestionForm(RequesterForm):
    """A suggestion or a criticism."""

    kind = TicketKind.SUGGESTION

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Your suggestion or criticism")


SCORE_CHOICES = [
    (5, _("Very satisfied")),
    (4, _("Satisfied")),
    (3, _("Neither satisfied nor dissatisfied")),
    (2, _("Dissatisfied")),
    (1, _("Very dissatisfied")),
]


class RatingForm(StyledForm):
    """A satisfaction rating, 1 to 5, and an optional comment."""

    score = forms.TypedChoiceField(
        label=_("How satisfied are you with our service?"),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SurveyForm(GuardedForm, RatingForm):
    """The standalone survey page: a rating without a ticket."""


class LookupForm(StyledForm):
    """Follow-up: the tracking code and the mobile number given with the request."""

    code = forms.CharField(
        label=_("Tracking code"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr"}),
    )
    mobile = IdentifierField("mobile", label=_("Mobile number"), max_length=20)

    def clean_code(self) -> str:
        code = tracking.normalize(self.cleaned_data["code"])
        if not tracking.is_valid(code):
            raise forms.ValidationError(
                _(
                    "The tracking code has 12 digits and this one has a typing error; "
                    "please check it."
                ),
                code="bad_tracking_code",
            )
        return code


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


MAGIC = {
    "pdf": (b"%PDF",),
    "png": (b"\x89PNG",),
    "jpg": (b"\xff\xd8",),
    "jpeg": (b"\xff\xd8",),
    "xlsx": (b"PK\x03\x04",),
    "docx": (b"PK\x03\x04",),
}
MAX_FILES = 3


class FilesField(forms.FileField):
    """Up to three files, each within the size limit and of an accepted type (content checked)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        uploads = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(uploads) > MAX_FILES:
            raise forms.ValidationError(
                _("At most three files can be attached."), code="too_many_files"
            )
        for upload in uploads:
            super().clean(upload, initial)
            check_upload(upload)
        return uploads


def check_upload(upload: UploadedFile) -> None:
    """Refuse a file that is too large or of a type not accepted, naming the file and why."""
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if (upload.size or 0) > settings.DESK_ATTACHMENT_MAX_BYTES:
        raise forms.ValidationError(
            _("The file %(name)s is larger than %(limit)s megabytes."),
            code="file_too_large",
            params={"name": name, "limit": settings.DESK_ATTACHMENT_MAX_BYTES // (1024 * 1024)},
        )
    if extension not in settings.DESK_ATTACHMENT_EXTENSIONS:
        raise forms.ValidationError(
            _(
                "The file %(name)s is not accepted: send PDF, JPEG, PNG, CSV, XLSX, DOCX "
                "or TXT files."
            ),
            code="file_type",
            params={"name": name},
        )
    head = upload.read(2048)
    upload.seek(0)
    signatures = MAGIC.get(extension)
    # csv and txt have no signature: they must at least be text, not a disguised binary.
    ok = head.startswith(signatures) if signatures is not None else b"\x00" not in head
    if not ok:
        raise forms.ValidationError(
            _("The content of the file %(name)s does not match its type."),
            code="file_type",
            params={"name": name},
        )


class OtpForm(StyledForm):
    """The confirmation code the requester received by SMS."""

    otp = forms.CharField(
        label=_("Confirmation code sent by SMS"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "dir": "ltr", "autocomplete": "one-time-code"}
        ),
    )

    def clean_otp(self) -> str:
        return to_ascii_digits(self.cleaned_data["otp"]).strip()


class RequesterReplyForm(StyledForm):
    """The requester's reply, allowed once the confirmation code was checked."""

    body = forms.CharField(
        label=_("Your message"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    files = FilesField(label=_("Files (optional)"))  # type: ignore[assignment]


class StaffReplyForm(StyledForm):
    """An officer's reply or internal note."""

    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}), required=False, max_length=10000
    )
    visibility = forms.ChoiceField(
        label=_("Visible to"),
        choices=[
            ("public", _("The requester (public reply)")),
            ("internal", _("Staff only (internal note)")),
        ],
        widget=forms.RadioSelect,
        initial="public",
    )
    canned = forms.TypedChoiceField(
        label=_("Canned response"), required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(label=_("Then set the status to"), required=False)
    files = FilesField(label=_("Files (optional)"))  # type: ignore[assignment]

    def __init__(
        self, *args: Any, canned: list[tuple[int, str]], statuses: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["canned"].choices = [("", "—"), *canned]  # type: ignore[attr-defined]
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            ("", _("Unchanged")),
            *((s, TicketStatus(s).label) for s in statuses),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("body") and not data.get("canned"):
            self.add_error("body", _("Write a text or choose a canned response."))
        return data


class AssignForm(StyledForm):
    """Assign a ticket to an officer."""

    assignee = forms.TypedChoiceField(
        label=_("Assign to"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, officers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Nobody")), *officers]  # type: ignore[attr-defined]


class StatusForm(StyledForm):
    """Change a ticket's status."""

    status = forms.ChoiceField(label=_("New status"))

    def __init__(self, *args: Any, statuses: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s, TicketStatus(s).label) for s in statuses]  # type: ignore[attr-defined]


class QueueFilterForm(StyledForm):
    """The filters of the staff queue."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("open", _("Open")), ("", _("Any")), *TicketStatus.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *TicketKind.choices]
    )
    assigned = forms.ChoiceField(
        label=_("Assigned"),
        required=False,
        choices=[("", _("Anyone")), ("me", _("To me")), ("none", _("Nobody"))],
    )
    overdue = forms.BooleanField(label=_("Past a deadline"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class RejectForm(StyledForm):
    """Reject an information request: the legal ground and the explanation are required."""

    legal_basis = forms.ChoiceField(
        label=_("Legal ground"), choices=[("", "—"), *LegalBasis.choices]
    )
    explanation = forms.CharField(
        label=_("Explanation for the requester"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text=_("Say which part of the request the ground applies to; give what can be given."),
    )


class ReferForm(StyledForm):
    """Refer a request to the body that holds the information."""

    referred_to = TextField(
        label=_("Body referred to"),
        max_length=200,
        help_text=_("For example: the Statistical Centre of Iran."),
    )
    explanation = forms.CharField(
        label=_("Explanation for the requester (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )


class StaffEntryForm(RequesterForm):
    """A request received by telephone, in person or by letter, typed in by an officer.

    The same fields and checks as the public forms, without the checks against
    programs (honeypot, CAPTCHA, minimum fill time); the signed stamp still makes a
    second click register nothing new.
    """

    kind = TicketKind.COMPLAINT  # replaced by the chosen ``ticket_kind`` in submission()
    ticket_kind = forms.ChoiceField(label=_("Kind of request"), choices=TicketKind.choices)
    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[(value, label) for value, label in Channel.choices if value != Channel.WEB],
        initial=Channel.PHONE,
    )
    period = TextField(label=_("For which period"), max_length=120, required=False)
    area = TextField(label=_("For which area"), max_length=120, required=False)
    preferred_format = forms.ChoiceField(
        label=_("Preferred format"),
        choices=[("", "—"), *PreferredFormat.choices],
        required=False,
    )
    field_order = ("ticket_kind", "channel")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["captcha"] = False
        super().__init__(*args, **kwargs)
        del self.fields["website"]
        self.fields["mobile"].help_text = _(
            "The tracking code is sent to this number by SMS; read it to the requester too."
        )
        self.fields["body"].label = _("The request, as the requester put it")

    @property
    def min_seconds(self) -> float:
        return 0.0

    @property
    def max_seconds(self) -> float:
        # An officer may take a long call; a day is stale.
        return 24 * 3600.0

    @property
    def honeypot_filled(self) -> bool:
        return False

    def submission(self) -> Submission:
        return replace(super().submission(), kind=self.cleaned_data["ticket_kind"])
