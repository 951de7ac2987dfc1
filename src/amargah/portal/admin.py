"""The back-office for the portal's records; releases are made by services, not typed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from amargah.portal.models import GlossaryTerm, Release, StatTable, Study, Variable


class VariableInline(admin.TabularInline[Variable, Study]):
    model = Variable
    extra = 0
    fields = ["name", "kind", "label_fa", "label_en", "question_fa", "question_en"]


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin[Study]):
    list_display = ["code", "title_fa", "kind", "period_start", "period_end"]
    list_filter = ["kind"]
    search_fields = ["code", "title_fa", "title_en"]
    inlines = [VariableInline]


@admin.register(StatTable)
class StatTableAdmin(admin.ModelAdmin[StatTable]):
    list_display = ["code", "title_fa", "study", "order"]
    list_filter = ["study"]


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin[Release]):
    list_display = ["table", "version", "status", "scheduled_for", "published_at", "cells"]
    list_filter = ["status", "table"]
    readonly_fields = [
        "table",
        "version",
        "status",
        "scheduled_for",
        "published_at",
        "cube_sha256",
        "cells",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A release carries computed data; it is made by the publication service.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin[GlossaryTerm]):
    list_display = ["slug", "term_fa", "term_en"]
    search_fields = ["term_fa", "term_en"]
