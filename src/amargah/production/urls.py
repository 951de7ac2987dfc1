from django.contrib.auth import views as auth_views
from django.urls import path

from amargah.production import views
from amargah.production.api import api

app_name = "production"

urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="production:studies"), name="logout"),
    path("audit.csv", views.audit_all, name="audit"),
    path("projects/new/", views.project_new, name="project-new"),
    path("projects/<slug:code>/", views.project_detail, name="project"),
    path("projects/<slug:code>/timeline/", views.project_timeline, name="timeline"),
    path("projects/<slug:code>/audit.csv", views.project_audit, name="project-audit"),
    path("projects/<slug:code>/members/", views.member_add, name="member-add"),
    path("projects/<slug:code>/items/<int:entry_id>/", views.checklist_mark, name="checklist-mark"),
    path(
        "projects/<slug:code>/phases/<int:number>/artefacts/",
        views.artefact_add,
        name="artefact-add",
    ),
    path(
        "projects/<slug:code>/phases/<int:number>/sample/",
        views.sample_draw,
        name="sample-draw",
    ),
    path(
        "projects/<slug:code>/phases/<int:number>/sign-off/",
        views.phase_sign_off,
        name="sign-off",
    ),
    path("projects/<slug:code>/phases/<int:number>/reopen/", views.phase_reopen, name="reopen"),
    path(
        "projects/<slug:code>/phases/<int:number>/schedule/",
        views.phase_schedule,
        name="schedule",
    ),
    path(
        "projects/<slug:code>/artefacts/<int:artefact_id>/",
        views.artefact_download,
        name="artefact",
    ),
    path("plans/new/", views.plan_new, name="plan-new"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path("plans/<int:plan_id>/review/", views.plan_review_start, name="plan-review"),
    path("plans/<int:plan_id>/decide/", views.plan_decide, name="plan-decide"),
    path("plans/<int:plan_id>/resubmit/", views.plan_resubmit, name="plan-resubmit"),
    path("plans/<int:plan_id>/audit.csv", views.plan_audit, name="plan-audit"),
    path(
        "plans/<int:plan_id>/questionnaire/v<int:version>/",
        views.plan_questionnaire,
        name="plan-questionnaire",
    ),
    path("studies/", views.studies, name="studies"),
    path("studies/<slug:code>/", views.study, name="study"),
    path("api/", api.urls),
]
