from django.contrib import admin

from amargah.disclosure.models import StudyRules


@admin.register(StudyRules)
class StudyRulesAdmin(admin.ModelAdmin):
    list_display = ("study", "method", "threshold", "cv_reliable", "cv_publishable", "updated_at")
    list_select_related = ("study",)
