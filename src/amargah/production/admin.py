"""The staff back-office: agencies and their accounts, checklist templates, read-only records.

Workflow records (phases, sign-offs, reviews, the audit trail) change only through
the services, so the back-office shows them without letting anyone edit them.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from amargah.production import services
from amargah.production.models import (
    Agency,
    AgencyAccount,
    AgencyPlan,
    Artefact,
    AuditEvent,
    ChecklistTemplate,
    Contact,
    Delivery,
    Notification,
    PlanCriterion,
    Project,
    ProjectMember,
    SignOff,
    TemplateItem,
    TemplatePhase,
)


class AuditedAdmin(admin.ModelAdmin[Any]):
    """Every add, change and delete made here lands in the production audit trail."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = _stored_values(obj)
        super().save_model(request, obj, form, change)
        services.record_audit(actor=_actor(request), obj=obj, before=before)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        before = services.record_values(obj)
        services.record_audit(actor=_actor(request), obj=obj, before=before, deleted=True)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.record_audit(
                actor=_actor(request), obj=obj, before=services.record_values(obj), deleted=True
            )
            obj.delete()
        for obj in instances:
            before = _stored_values(obj)
            obj.save()
            services.record_audit(actor=_actor(request), obj=obj, before=before)
        formset.save_m2m()


def _stored_values(obj: Any) -> dict[str, str] | None:
    if obj.pk is None:
        return None
    stored = type(obj).objects.filter(pk=obj.pk).first()
    return services.record_values(stored) if stored is not None else None


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


class AgencyAccountInline(admin.TabularInline[AgencyAccount, Agency]):
    model = AgencyAccount
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Agency)
class AgencyAdmin(AuditedAdmin):
    list_display = ["code", "name_fa", "name_en"]
    search_fields = ["code", "name_fa", "name_en"]
    inlines = [AgencyAccountInline]


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Shown, never edited here: these records change only through the services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class UnpublishedOnly:
    """Template parts are editable only while their template is unpublished."""

    def _editable(self, obj: Any) -> bool:
        template = getattr(obj, "template", None) or getattr(
            getattr(obj, "template_phase", None), "template", None
        )
        return template is None or template.published_at is None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or self._editable(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or self._editable(obj)


class TemplatePhaseInline(UnpublishedOnly, admin.TabularInline[TemplatePhase, ChecklistTemplate]):
    model = TemplatePhase
    extra = 0
    show_change_link = True


class PlanCriterionInline(UnpublishedOnly, admin.TabularInline[PlanCriterion, ChecklistTemplate]):
    model = PlanCriterion
    extra = 0


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(AuditedAdmin):
    list_display = ["version", "title_fa", "published_at"]
    readonly_fields = ["published_at"]
    inlines = [TemplatePhaseInline, PlanCriterionInline]
    actions = ["new_version", "publish"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or obj.published_at is None

    @admin.action(description=_("Copy into a new editable version"))
    def new_version(self, request: HttpRequest, queryset: QuerySet[ChecklistTemplate]) -> None:
        for template in queryset:
            services.template_new_version(base=template, user=cast(User, request.user), note="")
        self.message_user(request, _("New version created."), messages.SUCCESS)

    @admin.action(description=_("Publish the selected versions"))
    def publish(self, request: HttpRequest, queryset: QuerySet[ChecklistTemplate]) -> None:
        for template in queryset:
            services.template_publish(template=template, user=cast(User, request.user))
        self.message_user(request, _("Published."), messages.SUCCESS)


class TemplateItemInline(UnpublishedOnly, admin.TabularInline[TemplateItem, TemplatePhase]):
    model = TemplateItem
    extra = 1


@admin.register(TemplatePhase)
class TemplatePhaseAdmin(UnpublishedOnly, AuditedAdmin):
    list_display = ["template", "phase", "signoff_role"]
    list_filter = ["template"]
    inlines = [TemplateItemInline]


class MemberInline(admin.TabularInline[ProjectMember, Project]):
    model = ProjectMember
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["code", "title_fa", "kind", "agency", "starts_on", "ends_on"]
    list_filter = ["kind", "agency"]
    search_fields = ["code", "title_fa", "title_en"]
    inlines = [MemberInline]


@admin.register(Artefact)
class ArtefactAdmin(ReadOnlyAdmin):
    list_display = ["project", "name", "version", "kind", "sha256", "produced_by", "produced_at"]
    list_filter = ["kind"]


@admin.register(SignOff)
class SignOffAdmin(ReadOnlyAdmin):
    list_display = ["project_phase", "role", "signed_by", "signed_at", "superseded_at"]


@admin.register(AgencyPlan)
class AgencyPlanAdmin(ReadOnlyAdmin):
    list_display = ["title", "agency", "status", "submitted_at", "deadline"]
    list_filter = ["status", "agency"]


class DeliveryInline(admin.TabularInline[Delivery, Notification]):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "address", "status", "attempts", "last_error", "sent_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "subject", "created_at", "emailed_at"]
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["notification", "channel", "address", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel"]


@admin.register(Contact)
class ContactAdmin(AuditedAdmin):
    """Staff record the mobile number that receives a user's production SMS."""

    list_display = ["user", "mobile"]
    search_fields = ["user__username", "mobile"]
    raw_id_fields = ["user"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_label"]
    list_filter = ["action"]
