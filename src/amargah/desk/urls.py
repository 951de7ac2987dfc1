from django.urls import path

from amargah.desk import views
from amargah.desk.choices import Outcome, TicketKind

app_name = "desk"

urlpatterns = [
    path("", views.home, name="home"),
    path("request/", views.submit, {"kind": TicketKind.INFO_REQUEST}, name="info-request"),
    path("complaint/", views.submit, {"kind": TicketKind.COMPLAINT}, name="complaint"),
    path("suggestion/", views.submit, {"kind": TicketKind.SUGGESTION}, name="suggestion"),
    path("track/", views.track, name="track"),
    path("track/ticket/", views.track_ticket, name="track-ticket"),
    path("track/code/", views.track_otp_send, name="track-otp-send"),
    path("track/confirm/", views.track_otp_verify, name="track-otp-verify"),
    path("track/reply/", views.track_reply, name="track-reply"),
    path("track/rate/", views.track_rate, name="track-rate"),
    path("track/file/<int:attachment_id>/", views.track_file, name="track-file"),
    path("survey/", views.survey, name="survey"),
    path("survey/<str:token>/", views.survey_token, name="survey-token"),
    path("performance/", views.performance, name="performance"),
    path("performance.csv", views.performance_csv, name="performance-csv"),
    path("captcha/<str:key>/", views.captcha_image, name="captcha-image"),
    path("staff/login/", views.StaffLoginView.as_view(), name="staff-login"),
    path("staff/logout/", views.StaffLogoutView.as_view(), name="staff-logout"),
    path("staff/", views.staff_queue, name="staff-queue"),
    path("staff/<int:ticket_id>/", views.staff_ticket, name="staff-ticket"),
    path("staff/<int:ticket_id>/reply/", views.staff_reply, name="staff-reply"),
    path("staff/<int:ticket_id>/assign/", views.staff_assign, name="staff-assign"),
    path("staff/<int:ticket_id>/status/", views.staff_status, name="staff-status"),
    path(
        "staff/<int:ticket_id>/reject/",
        views.staff_decide,
        {"outcome": Outcome.REJECTED},
        name="staff-reject",
    ),
    path(
        "staff/<int:ticket_id>/refer/",
        views.staff_decide,
        {"outcome": Outcome.REFERRED},
        name="staff-refer",
    ),
    path("staff/new/", views.staff_new, name="staff-new"),
    path("staff/file/<int:attachment_id>/", views.staff_file, name="staff-file"),
]
