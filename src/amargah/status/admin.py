"""The staff back-office for announcements: incidents, maintenance, the charter."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amargah.status import services, subscriptions
from amargah.status.choices import AnnouncementKind, IncidentStatus
from amargah.status.models import (
    CharterTermination,
    CharterVersion,
    Component,
    Incident,
    IncidentUpdate,
    Maintenance,
    Notice,
    ProbeResult,
    Subscriber,
)


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin[Component]):
    list_display = ["code", "name_fa", "name_en", "order"]
    list_editable = ["order"]


class IncidentUpdateInline(admin.StackedInline[IncidentUpdate, Incident]):
    model = IncidentUpdate
    extra = 1
    fields = ["status", "message_fa", "message_en", "posted_at", "posted_by"]
    readonly_fields = ["posted_at", "posted_by"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin[Incident]):
    list_display = ["title_fa", "impact", "status", "started_at", "resolved_at"]
    list_filter = ["status", "impact", "components"]
    filter_horizontal = ["components"]
    readonly_fields = ["status", "resolved_at", "created_by"]
    inlines = [IncidentUpdateInline]

    def save_model(
        self, request: HttpRequest, obj: Incident, form: ModelForm, change: bool
    ) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm,
        formset: BaseInlineFormSet,
        change: bool,
    ) -> None:
        # New timeline messages go through the service, which also moves the
        # incident's status (and closes it on "resolved").
        updates = formset.save(commit=False)
        for update in updates:
            if update.pk is None:
                services.incident_update(
                    incident=form.instance,
                    status=IncidentStatus(update.status),
                    message_fa=update.message_fa,
                    message_en=update.message_en,
                    user=request.user,  # type: ignore[arg-type]
                    # A new incident's first message goes out with the incident itself.
                    announce=change,
                )
            else:
                update.save()
        for removed in formset.deleted_objects:
            removed.delete()

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        if not change:
            # After the components and the first message are saved, so the notice has them.
            subscriptions.announce(kind=AnnouncementKind.INCIDENT, incident=form.instance)


@admin.register(Maintenance)
class MaintenanceAdmin(admin.ModelAdmin[Maintenance]):
    list_display = ["title_fa", "starts_at", "ends_at", "announced_at"]
    filter_horizontal = ["components"]
    readonly_fields = ["announced_at", "created_by"]

    def save_model(
        self, request: HttpRequest, obj: Maintenance, form: ModelForm, change: bool
    ) -> None:
        if not change:
            obj.announced_at = timezone.now()
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        if not change:
            subscriptions.announce(kind=AnnouncementKind.MAINTENANCE, maintenance=form.instance)


@admin.register(ProbeResult)
class ProbeResultAdmin(admin.ModelAdmin[ProbeResult]):
    list_display = ["checked_at", "ok", "latency_ms", "detail"]
    list_filter = ["ok"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CharterVersion)
class CharterVersionAdmin(admin.ModelAdmin[CharterVersion]):
    list_display = ["number", "title_fa", "effective_from", "published_at"]
    readonly_fields = ["published_at"]
    actions = ["publish"]

    @admin.action(description=_("Publish the selected versions"))
    def publish(self, request: HttpRequest, queryset: QuerySet[CharterVersion]) -> None:
        for version in queryset:
            services.charter_publish(version=version)
        self.message_user(request, _("Published."), messages.SUCCESS)

    def get_readonly_fields(
        self, request: HttpRequest, obj: CharterVersion | None = None
    ) -> list[str]:
        if obj is not None and obj.published_at is not None:
            return [field.name for field in CharterVersion._meta.fields]
        return ["published_at"]


@admin.register(CharterTermination)
class CharterTerminationAdmin(admin.ModelAdmin[CharterTermination]):
    list_display = ["effective_on", "announced_at", "withdrawn_at"]
    readonly_fields = ["announced_at"]

    def save_model(
        self,
        request: HttpRequest,
        obj: CharterTermination,
        form: ModelForm,
        change: bool,
    ) -> None:
        if not change:
            obj.announced_at = timezone.now()
        super().save_model(request, obj, form, change)


class SubscriberRecordAdmin(admin.ModelAdmin[Any]):
    """Shown to staff, never written here: subscribers change only through their own links."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscriber)
class SubscriberAdmin(SubscriberRecordAdmin):
    list_display = ["channel", "address", "state", "language", "created_at", "confirmed_at"]
    list_filter = ["state", "channel", "language"]
    search_fields = ["address"]
    exclude = ["confirm_token", "unsubscribe_token", "code_hash"]


@admin.register(Notice)
class NoticeAdmin(SubscriberRecordAdmin):
    list_display = ["subscriber", "announcement", "status", "attempts", "sent_at"]
    list_filter = ["status"]
