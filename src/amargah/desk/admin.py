"""The desk's tables in Django's admin (the back-office pages live under /desk/staff/)."""

from __future__ import annotations

from typing import Any

import jdatetime
from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from amargah.core.persian import to_ascii_digits
from amargah.desk.models import (
    Attachment,
    CannedResponse,
    Event,
    Holiday,
    Message,
    Notification,
    SlaPolicy,
    SurveyResponse,
    Ticket,
)


class HolidayForm(forms.ModelForm):
    """A holiday entered as a Jalali date (YYYY-MM-DD, any digits)."""

    jalali = forms.CharField(
        label=_("Jalali date"), help_text=_("For example 1405-09-15."), max_length=10
    )

    class Meta:
        model = Holiday
        fields = ("jalali", "title")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["jalali"] = jdatetime.date.fromgregorian(date=self.instance.date).strftime(
                "%Y-%m-%d"
            )

    def clean_jalali(self) -> str:
        text = to_ascii_digits(self.cleaned_data["jalali"]).replace("/", "-")
        try:
            year, month, day = (int(part) for part in text.split("-"))
            self.instance.date = jdatetime.date(year, month, day).togregorian()
        except ValueError:
            raise forms.ValidationError(
                _("Enter the date as year-month-day, like 1405-09-15.")
            ) from None
        return text


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    form = HolidayForm
    list_display = ("jalali_date", "date", "title")

    @admin.display(description=_("Jalali date"), ordering="date")
    def jalali_date(self, holiday: Holiday) -> str:
        return str(jdatetime.date.fromgregorian(date=holiday.date).strftime("%Y-%m-%d"))


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("kind", "clock", "first_response_minutes", "resolution_minutes")


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    readonly_fields = ("author", "from_requester", "visibility", "body", "created_at")
    can_delete = False


class EventInline(admin.TabularInline):
    model = Event
    extra = 0
    readonly_fields = ("at", "actor", "action", "old_value", "new_value")
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = (
        "tracking_code",
        "kind",
        "status",
        "assigned_to",
        "received_at",
        "due_resolution",
    )
    list_filter = ("kind", "status", "requester_kind", "channel", "is_demo")
    search_fields = ("tracking_code", "subject", "mobile")
    readonly_fields = (
        "tracking_code",
        "received_at",
        "first_response_at",
        "answered_at",
        "closed_at",
        "due_first_response",
        "due_resolution",
        "paused_minutes",
        "paused_since",
    )
    inlines = (MessageInline, EventInline)


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "active")
    list_filter = ("kind", "active")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "status", "attempts", "last_error")
    list_filter = ("channel", "status")
    readonly_fields = (
        "ticket",
        "channel",
        "recipient",
        "subject",
        "body",
        "attempts",
        "last_error",
        "sent_at",
    )


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ("created_at", "score", "source", "ticket")
    list_filter = ("score", "source")


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "size", "content_type", "message")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("at", "ticket", "actor", "action", "old_value", "new_value")
    list_filter = ("action",)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        # The audit trail is written by the services only.
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
