"""Service status (components, incidents, maintenance, probe results) and the charter."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amargah.status.choices import (
    AnnouncementKind,
    Impact,
    IncidentStatus,
    NoticeStatus,
    SubscriberChannel,
    SubscriberState,
)


class Component(models.Model):
    """A part of the service whose state the status page shows."""

    code = models.SlugField(_("code"), unique=True)
    name_fa = models.CharField(_("name (Persian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("component")
        verbose_name_plural = _("components")

    def __str__(self) -> str:
        return self.name_en


class Incident(models.Model):
    """An unplanned disruption, announced while it lasts and kept in the history."""

    title_fa = models.CharField(_("title (Persian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    impact = models.CharField(_("impact"), max_length=20, choices=Impact.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=IncidentStatus.choices,
        default=IncidentStatus.INVESTIGATING,
    )
    components = models.ManyToManyField(Component, verbose_name=_("components"))
    started_at = models.DateTimeField(_("started at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("started_at")),
                name="incident_resolved_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status=IncidentStatus.RESOLVED, resolved_at__isnull=False)
                | (~Q(status=IncidentStatus.RESOLVED) & Q(resolved_at__isnull=True)),
                name="incident_resolved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title_en


class IncidentUpdate(models.Model):
    """A dated message on an incident's timeline."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(_("status"), max_length=20, choices=IncidentStatus.choices)
    message_fa = models.TextField(_("message (Persian)"))
    message_en = models.TextField(_("message (English)"))
    posted_at = models.DateTimeField(_("posted at"))
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-posted_at", "-id"]
        verbose_name = _("incident update")
        verbose_name_plural = _("incident updates")

    def __str__(self) -> str:
        return f"{self.incident} · {self.status}"


class Maintenance(models.Model):
    """A planned window in which components may be unavailable."""

    title_fa = models.CharField(_("title (Persian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    description_fa = models.TextField(_("description (Persian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    components = models.ManyToManyField(Component, verbose_name=_("components"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    announced_at = models.DateTimeField(_("announced at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="maintenance_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title_en


class ProbeResult(models.Model):
    """One check of the service by the built-in availability probe."""

    checked_at = models.DateTimeField(_("checked at"), db_index=True)
    ok = models.BooleanField(_("ok"))
    latency_ms = models.FloatField(_("latency (ms)"))
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        ordering = ["-checked_at"]
        verbose_name = _("probe result")
        verbose_name_plural = _("probe results")

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'failed'}"


class CharterVersion(models.Model):
    """A version of the service level agreement, published on a date and kept forever."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    title_fa = models.CharField(_("title (Persian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    body_fa = models.TextField(_("text (Persian, Markdown)"))
    body_en = models.TextField(_("text (English, Markdown)"))
    amendment_fa = models.TextField(_("what changed (Persian)"), blank=True)
    amendment_en = models.TextField(_("what changed (English)"), blank=True)
    effective_from = models.DateField(_("in force from"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("charter version")
        verbose_name_plural = _("charter versions")

    def __str__(self) -> str:
        return f"{self.title_en} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A published version is a public record: amendments are new versions.
        if self.pk is not None:
            stored = CharterVersion.objects.filter(pk=self.pk).first()
            if stored is not None and stored.published_at is not None:
                fields = ("number", "title_fa", "title_en", "body_fa", "body_en", "effective_from")
                if any(getattr(stored, name) != getattr(self, name) for name in fields):
                    raise ValidationError(
                        _("A published charter version cannot change; publish a new version."),
                        code="published",
                    )
        super().save(*args, **kwargs)


class CharterTermination(models.Model):
    """A notice that the charter ends on a date, announced in advance."""

    effective_on = models.DateField(_("ends on"))
    announced_at = models.DateTimeField(_("announced at"))
    notice_fa = models.TextField(_("notice (Persian)"))
    notice_en = models.TextField(_("notice (English)"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["-announced_at"]
        verbose_name = _("charter termination notice")
        verbose_name_plural = _("charter termination notices")

    def __str__(self) -> str:
        return f"charter ends {self.effective_on}"

    def clean(self) -> None:
        from amargah.status.services import TERMINATION_NOTICE

        announced = timezone.localdate(self.announced_at or timezone.now())
        if self.effective_on is not None and self.effective_on < announced + TERMINATION_NOTICE:
            raise ValidationError(
                {
                    "effective_on": _(
                        "The end of the charter must be announced at least 30 days in advance."
                    )
                },
                code="notice_too_short",
            )


class Subscriber(models.Model):
    """A person (no account) who hears of incidents and maintenance by e-mail or SMS.

    Double opt-in: a subscription counts only after the code sent to the address is
    entered; every message carries the link that ends it.
    """

    channel = models.CharField(_("channel"), max_length=5, choices=SubscriberChannel.choices)
    # An e-mail address in lower case, or a mobile number as 09XXXXXXXXX.
    address = models.CharField(_("address"), max_length=254)
    language = models.CharField(_("language"), max_length=5, default="fa")
    state = models.CharField(
        _("state"), max_length=15, choices=SubscriberState.choices, default=SubscriberState.PENDING
    )
    # In the address of the confirmation page (given to whoever filled the form).
    confirm_token = models.CharField(max_length=64, unique=True)
    # In every message, so only the address's owner can end the subscription.
    unsubscribe_token = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_tries = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("status subscriber")
        verbose_name_plural = _("status subscribers")
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="subscriber_address_once")
        ]
        indexes = [models.Index(fields=["state"], name="status_subscriber_state")]

    def __str__(self) -> str:
        return f"{self.channel} {self.state}"


class Announcement(models.Model):
    """One incident, update or maintenance window that subscribers are told of."""

    kind = models.CharField(_("kind"), max_length=15, choices=AnnouncementKind.choices)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, null=True, blank=True)
    update = models.ForeignKey(IncidentUpdate, on_delete=models.CASCADE, null=True, blank=True)
    maintenance = models.ForeignKey(Maintenance, on_delete=models.CASCADE, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("announcement to subscribers")
        verbose_name_plural = _("announcements to subscribers")

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class Notice(models.Model):
    """One message to one subscriber: an announcement, or the confirmation code."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="notices")
    # Empty for the confirmation message.
    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, null=True, blank=True, related_name="notices"
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-next_attempt_at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="status_notice_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "announcement"], name="notice_once_per_announcement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} {self.status}"
