"""The service desk's tables: tickets, their messages and audit, SLA policy, outbox, survey."""

from __future__ import annotations

import secrets
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amargah.desk.choices import (
    CONCLUDED_STATUSES,
    Channel,
    Clock,
    EventAction,
    LegalBasis,
    MessageVisibility,
    NotificationChannel,
    NotificationStatus,
    Outcome,
    PreferredFormat,
    RequesterKind,
    SlaTarget,
    SurveySource,
    TicketKind,
    TicketStatus,
)


class SlaPolicy(models.Model):
    """The targets promised for one kind of ticket, in minutes of the policy's clock.

    On the working clock a minute is a minute of office hours; a working day is
    ``DESK_WORKDAY_START``–``DESK_WORKDAY_END`` (seven hours by default).
    """

    kind = models.CharField(_("kind"), max_length=20, choices=TicketKind.choices, unique=True)
    clock = models.CharField(_("clock"), max_length=10, choices=Clock.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response target (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"))

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return str(self.get_kind_display())


class Holiday(models.Model):
    """A public holiday: no working day on the working clock.

    Lunar-calendar holidays move every year, so they are data entered per year.
    """

    date = models.DateField(_("date"), unique=True)
    title = models.CharField(_("title"), max_length=120)

    class Meta:
        ordering = ("date",)
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return self.title


class Ticket(models.Model):
    """A request, complaint or suggestion, from receipt to closure.

    ``tracking_code`` is what the requester holds; the primary key is never shown to
    the public. ``form_token`` makes submission idempotent: a resent form finds the
    ticket its first sending created.
    """

    tracking_code = models.CharField(_("tracking code"), max_length=12, unique=True)
    form_token = models.CharField(max_length=64, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=TicketKind.choices)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    language = models.CharField(_("language"), max_length=5, default="fa")

    requester_kind = models.CharField(_("requester"), max_length=10, choices=RequesterKind.choices)
    full_name = models.CharField(_("full name"), max_length=120)
    organisation = models.CharField(_("organisation"), max_length=160, blank=True)
    mobile = models.CharField(_("mobile number"), max_length=11, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True)
    national_id = models.CharField(_("national ID"), max_length=10, blank=True)
    company_id = models.CharField(_("company national ID"), max_length=11, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)

    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    period = models.CharField(_("period"), max_length=120, blank=True)
    area = models.CharField(_("area"), max_length=120, blank=True)
    preferred_format = models.CharField(
        _("preferred format"), max_length=10, choices=PreferredFormat.choices, blank=True
    )

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="desk_tickets",
    )
    policy = models.ForeignKey(SlaPolicy, verbose_name=_("SLA policy"), on_delete=models.PROTECT)

    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    due_first_response = models.DateTimeField(_("first response due"))
    # None while the clock is paused: the deadline moves by however long the pause lasts.
    due_resolution = models.DateTimeField(_("resolution due"), null=True, blank=True)
    paused_minutes = models.FloatField(_("paused (minutes of the clock)"), default=0)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    warned_first_response_at = models.DateTimeField(null=True, blank=True, editable=False)
    warned_resolution_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_first_response_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_resolution_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_demo = models.BooleanField(default=False, editable=False)
    # A request concluded without the information itself: rejected on a stated legal
    # ground, or referred to the body that holds the information. Kept after
    # anonymisation: the performance page counts them.
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    legal_basis = models.CharField(
        _("legal basis"), max_length=20, choices=LegalBasis.choices, blank=True
    )
    referred_to = models.CharField(_("referred to"), max_length=200, blank=True)
    # The officer who typed in a request received by telephone, in person or by letter.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="desk_tickets_entered",
    )
    # When the requester's personal data and the free texts were removed (retention).
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)

    class Meta:
        ordering = ("-received_at",)
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        permissions = [
            ("work_ticket", _("Can answer tickets")),
            ("assign_ticket", _("Can assign tickets to officers")),
            ("view_all_tickets", _("Can see every ticket")),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="desk_ticket_status_idx")]

    def __str__(self) -> str:
        return self.tracking_code

    @property
    def is_open(self) -> bool:
        return self.status not in (*CONCLUDED_STATUSES, TicketStatus.CLOSED)


class Message(models.Model):
    """A reply on a ticket: public (the requester sees it) or an internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    from_requester = models.BooleanField(default=False)
    visibility = models.CharField(max_length=10, choices=MessageVisibility.choices)
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "pk")
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.ticket} {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """A random stored name: the uploaded name is kept only as data, never as a path."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"desk/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{suffix}"


class Attachment(models.Model):
    """A file on a message, kept outside the public web root and served after a check."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField(help_text="bytes")
    content_type = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class Event(models.Model):
    """One entry of a ticket's audit trail: who did what, and when."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=20, choices=EventAction.choices)
    old_value = models.CharField(max_length=100, blank=True)
    new_value = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("at", "pk")
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.ticket} {self.action}"

    @property
    def value_label(self) -> str:
        """The new value in the reader's language when it is a status, target or channel."""
        for choices in (TicketStatus, SlaTarget, Channel, LegalBasis):
            if self.new_value in choices.values:
                return str(choices(self.new_value).label)
        return self.new_value


class CannedResponse(models.Model):
    """A prepared reply; ``{tracking_code}``, ``{name}`` and ``{jalali_date}`` are filled in."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    kind = models.CharField(_("kind"), max_length=20, choices=TicketKind.choices, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ("title",)
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self) -> str:
        return self.title


class Notification(models.Model):
    """The outbox: a message to send, written in the same transaction as its cause."""

    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL)
    channel = models.CharField(max_length=5, choices=NotificationChannel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="desk_outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"


class OneTimeCode(models.Model):
    """An SMS confirmation code that lets a requester reply or add files; stored hashed."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="one_time_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("confirmation code")
        verbose_name_plural = _("confirmation codes")

    def __str__(self) -> str:
        return str(self.ticket)


class SurveyInvitation(models.Model):
    """A one-time link to rate an answered ticket; only the token's hash is kept."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="survey_invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")

    def __str__(self) -> str:
        return str(self.ticket)


class SurveyResponse(models.Model):
    """A satisfaction rating: 1 (very dissatisfied) to 5 (very satisfied)."""

    ticket = models.OneToOneField(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_response"
    )
    source = models.CharField(max_length=12, choices=SurveySource.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="desk_survey_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return str(self.score)
