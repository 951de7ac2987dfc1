from django.contrib import admin
from django.http import HttpRequest

from amargah.disclosure.models import PublicUseFile, StudyRules


@admin.register(StudyRules)
class StudyRulesAdmin(admin.ModelAdmin):
    list_display = ("study", "method", "threshold", "cv_reliable", "cv_publishable", "updated_at")
    list_select_related = ("study",)


@admin.register(PublicUseFile)
class PublicUseFileAdmin(admin.ModelAdmin):
    list_display = ("study", "version", "status", "k", "rows", "created_at", "published_at")
    list_filter = ("status",)
    list_select_related = ("study",)
    # Files are built and published through the checked pages, never edited here.
    readonly_fields = [f.name for f in PublicUseFile._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
