"""The desk's pages: public forms, follow-up, survey, performance, and the staff back-office."""

from __future__ import annotations

import csv
import time
from typing import Any, TypeVar

from captcha.views import captcha_image as captcha_image_view
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import get_language, get_language_bidi, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited

from amargah.core import iranian
from amargah.desk import abuse, forms, selectors, services, tracking
from amargah.desk.choices import (
    OPEN_STATUSES,
    Channel,
    DeskErrorCode,
    Outcome,
    SlaTarget,
    TicketKind,
)
from amargah.desk.models import Attachment, Ticket

# Backlog buckets in working days since receipt, as the performance page names them.
BACKLOG_LABELS = {
    "0-2": gettext_lazy("0 to 2"),
    "3-5": gettext_lazy("3 to 5"),
    "6-10": gettext_lazy("6 to 10"),
    ">10": gettext_lazy("more than 10"),
}
MOBILE_SUBMISSIONS_PER_DAY = "5/d"
GuardedFormT = TypeVar("GuardedFormT", bound=forms.GuardedForm)
TRACK_SESSION = "desk_track"
TRACK_MINUTES = 30
VERIFIED_MINUTES = 15

FORMS: dict[str, type[forms.RequesterForm]] = {
    TicketKind.INFO_REQUEST: forms.InfoRequestForm,
    TicketKind.COMPLAINT: forms.ComplaintForm,
    TicketKind.SUGGESTION: forms.SuggestionForm,
}


def _rate(setting: str) -> Any:
    return lambda group, request: getattr(settings, setting)


def _code_key(group: str, request: HttpRequest) -> str:
    return tracking.normalize(request.POST.get("code", ""))[:20]


def _language() -> str:
    return (get_language() or "fa").split("-")[0]


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The page shown when a visitor has sent too many requests (HTTP 429)."""
    response = render(request, "desk/rate_limited.html", status=429)
    response["Retry-After"] = "60"
    return response


def captcha_image(request: HttpRequest, key: str) -> HttpResponse:
    """The CAPTCHA image, generated here (no outside service)."""
    response: HttpResponse = captcha_image_view(request, key, scale=1)
    return response


# ----------------------------------------------------------------------------- public


def home(request: HttpRequest) -> HttpResponse:
    """The desk's front page: what one can do here."""
    return render(request, "desk/home.html")


def _guarded_form(request: HttpRequest, form_class: type[GuardedFormT], group: str) -> GuardedFormT:
    """The public form, bound to what was sent; counted against the sender's address first.

    Raises ``Ratelimited`` (a 429 page) past ``DESK_RATE_SUBMIT`` sendings from the
    address; asks the CAPTCHA when ``abuse`` says so. A form whose honeypot is filled
    is not counted in the CAPTCHA's window: the caller refuses it and marks the address.
    """
    if request.method != "POST":
        return form_class(captcha=abuse.captcha_required(request))
    arrival = abuse.form_arrived(
        request,
        group=group,
        rate=settings.DESK_RATE_SUBMIT,
        counted=not request.POST.get("website"),
    )
    if arrival.limited:
        raise Ratelimited
    return form_class(request.POST, captcha=arrival.captcha)


def _claim(form: forms.RequesterForm) -> abuse.Claim:
    return abuse.Claim(
        token=form.cleaned_data["stamp"],
        mobile=form.cleaned_data["mobile"],
        rate=MOBILE_SUBMISSIONS_PER_DAY,
    )


def submit(request: HttpRequest, kind: str) -> HttpResponse:
    """A public request form; on success the tracking code, already committed, is shown.

    The form is checked before it is counted, so that a valid one's claim on its
    mobile number's daily limit travels with the address's counters (one round trip
    to Redis, ``abuse.form_arrived``); the refusals come in the same order as if it
    were counted first: over the address's limit (429), honeypot (400), CAPTCHA owed.
    """
    form_class = FORMS[kind]
    if request.method != "POST":
        form = form_class(captcha=abuse.captcha_required(request))
        return render(request, "desk/submit.html", {"form": form, "kind": TicketKind(kind)})
    form = form_class(request.POST)
    honeypot = form.honeypot_filled
    valid = not honeypot and form.is_valid()
    arrival = abuse.form_arrived(
        request,
        group="desk-submit",
        rate=settings.DESK_RATE_SUBMIT,
        counted=not honeypot,
        claim=_claim(form) if valid else None,
    )
    if arrival.limited:
        raise Ratelimited
    if honeypot:
        abuse.mark_suspect(request)
        return render(request, "desk/refused.html", {"code": DeskErrorCode.HONEYPOT}, status=400)
    accepted = arrival.accepted
    if arrival.captcha:
        # Checked again with the sum; only then does it count against the mobile number.
        form = form_class(request.POST, captcha=True)
        valid = form.is_valid()
        accepted = valid and abuse.form_accepted(_claim(form))
    if valid:
        # A resent form (a double click, a retry after an error) gets its ticket back
        # and does not count again against the mobile number's daily limit.
        if not accepted:
            raise Ratelimited
        ticket, _created = services.ticket_submit(
            form_token=form.cleaned_data["stamp"],
            submission=form.submission(),
            language=_language(),
        )
        clock = selectors.ticket_clock(ticket)
        return render(
            request,
            "desk/submitted.html",
            {"ticket": ticket, "code": tracking.grouped(ticket.tracking_code), "clock": clock},
        )
    _captcha_from_now_on(request, form)
    return render(request, "desk/submit.html", {"form": form, "kind": TicketKind(kind)})


def _captcha_from_now_on(request: HttpRequest, form: forms.GuardedForm) -> None:
    """A refused form shown again asks the sum if its client is now over the threshold."""
    if form.sent_too_fast:
        abuse.mark_suspect(request)
    if "captcha" not in form.fields and abuse.captcha_required(request):
        form.add_captcha()


@ratelimit(key="ip", rate=_rate("DESK_RATE_LOOKUP"), method="POST", group="desk-lookup")
@ratelimit(
    key=_code_key, rate=_rate("DESK_RATE_LOOKUP_PER_CODE"), method="POST", group="desk-lookup-code"
)
def track(request: HttpRequest) -> HttpResponse:
    """Follow-up: the tracking code and the mobile open the ticket, or one uniform refusal."""
    failed = False
    if request.method == "POST":
        form = forms.LookupForm(request.POST)
        if form.is_valid():
            ticket = selectors.ticket_lookup(
                code=form.cleaned_data["code"], mobile=form.cleaned_data["mobile"]
            )
            if ticket is not None:
                request.session.cycle_key()
                request.session[TRACK_SESSION] = {"id": ticket.pk, "at": time.time(), "verified": 0}
                return redirect("desk:track-ticket")
            failed = True
    else:
        form = forms.LookupForm()
    return render(request, "desk/track.html", {"form": form, "failed": failed})


def _tracked(request: HttpRequest) -> tuple[Ticket, bool] | None:
    """The ticket this visitor opened with code and mobile, and whether the SMS code was checked."""
    state = request.session.get(TRACK_SESSION)
    if not state or time.time() - state["at"] > TRACK_MINUTES * 60:
        return None
    ticket = Ticket.objects.select_related("policy").filter(pk=state["id"]).first()
    if ticket is None:
        return None
    return ticket, time.time() - state.get("verified", 0) < VERIFIED_MINUTES * 60


def track_ticket(request: HttpRequest) -> HttpResponse:
    """The followed-up ticket: status, deadlines, public replies; reply and rating forms."""
    tracked = _tracked(request)
    if tracked is None:
        return redirect("desk:track")
    ticket, verified = tracked
    rated = hasattr(ticket, "survey_response")
    context = {
        "ticket": ticket,
        "code": tracking.grouped(ticket.tracking_code),
        "messages_public": selectors.public_messages(ticket),
        "clock": selectors.ticket_clock(ticket),
        "verified": verified,
        "reply_form": forms.RequesterReplyForm(),
        "otp_form": forms.OtpForm(),
        "rating_form": forms.RatingForm() if ticket.answered_at and not rated else None,
        "rated": rated,
    }
    return render(request, "desk/track_ticket.html", context)


def _ticket_key(group: str, request: HttpRequest) -> str:
    state = request.session.get(TRACK_SESSION) or {}
    return str(state.get("id", "none"))


@require_POST
@ratelimit(key=_ticket_key, rate="3/h", method="POST", group="desk-otp")
def track_otp_send(request: HttpRequest) -> HttpResponse:
    """Text a confirmation code to the ticket's mobile."""
    tracked = _tracked(request)
    if tracked is None:
        return redirect("desk:track")
    services.otp_send(ticket=tracked[0])
    messages.info(request, _("A confirmation code was sent to your mobile number."))
    return redirect("desk:track-ticket")


@require_POST
@ratelimit(key=_ticket_key, rate="10/h", method="POST", group="desk-otp-verify")
def track_otp_verify(request: HttpRequest) -> HttpResponse:
    """Check the confirmation code; when right, replies and files are open for a while."""
    tracked = _tracked(request)
    if tracked is None:
        return redirect("desk:track")
    form = forms.OtpForm(request.POST)
    if form.is_valid() and services.otp_verify(ticket=tracked[0], code=form.cleaned_data["otp"]):
        state = request.session[TRACK_SESSION]
        request.session[TRACK_SESSION] = {**state, "verified": time.time()}
        messages.success(request, _("Confirmed. You can now reply and open files."))
    else:
        messages.error(request, _("The confirmation code is wrong or has expired."))
    return redirect("desk:track-ticket")


@require_POST
def track_reply(request: HttpRequest) -> HttpResponse:
    """The requester's reply with files, once the confirmation code was checked."""
    tracked = _tracked(request)
    if tracked is None or not tracked[1]:
        return redirect("desk:track")
    form = forms.RequesterReplyForm(request.POST, request.FILES)
    if form.is_valid():
        services.requester_reply(
            ticket=tracked[0], body=form.cleaned_data["body"], files=form.cleaned_data["files"]
        )
        messages.success(request, _("Your message was added to the request."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("desk:track-ticket")


@require_POST
def track_rate(request: HttpRequest) -> HttpResponse:
    """The requester rates the answer from the follow-up page."""
    tracked = _tracked(request)
    if tracked is None:
        return redirect("desk:track")
    ticket = tracked[0]
    form = forms.RatingForm(request.POST)
    if form.is_valid() and ticket.answered_at:
        try:
            services.survey_submit(
                ticket=ticket,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, _("Thank you for rating our service."))
        except services.DeskError:
            messages.error(request, _("This request was already rated."))
    return redirect("desk:track-ticket")


def track_file(request: HttpRequest, attachment_id: int) -> FileResponse:
    """A file on a public message of the followed-up ticket, after the confirmation code."""
    tracked = _tracked(request)
    if tracked is None or not tracked[1]:
        raise Http404
    attachment = Attachment.objects.filter(
        pk=attachment_id, message__ticket=tracked[0], message__visibility="public"
    ).first()
    if attachment is None:
        raise Http404
    return FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name
    )


def survey(request: HttpRequest) -> HttpResponse:
    """The standalone satisfaction survey."""
    form = _guarded_form(request, forms.SurveyForm, "desk-survey")
    if form.is_bound:
        if form.honeypot_filled:
            abuse.mark_suspect(request)
            return render(
                request, "desk/refused.html", {"code": DeskErrorCode.HONEYPOT}, status=400
            )
        if form.is_valid():
            services.survey_submit(
                score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
            )
            return render(request, "desk/survey_thanks.html")
        _captcha_from_now_on(request, form)
    return render(request, "desk/survey.html", {"form": form})


def survey_token(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time rating link sent after an answer."""
    try:
        invitation = services.survey_invitation_check(token=token)
    except services.DeskError:
        return render(request, "desk/survey_invalid.html", status=410)
    if request.method == "POST":
        form = forms.RatingForm(request.POST)
        if form.is_valid():
            try:
                services.survey_submit(
                    token=token,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except services.DeskError:
                return render(request, "desk/survey_invalid.html", status=410)
            return render(request, "desk/survey_thanks.html")
    else:
        form = forms.RatingForm()
    return render(
        request,
        "desk/survey.html",
        {"form": form, "ticket_code": tracking.grouped(invitation.ticket.tracking_code)},
    )


def performance(request: HttpRequest) -> HttpResponse:
    """The public monthly SLA performance page."""
    months = selectors.recent_months(count=6)
    chosen = selectors.JalaliMonth.parse(request.GET.get("month", "")) or months[-1]
    figures = selectors.month_performance(chosen)
    series = [selectors.month_performance(month) for month in months]
    return render(
        request,
        "desk/performance.html",
        {
            "figures": figures,
            "months": months,
            "chart": _chart(series, right_to_left=get_language_bidi()),
            "received": [(kind.label, figures.received[kind]) for kind in TicketKind],
            "backlog": [
                (BACKLOG_LABELS[name], figures.backlog[name])
                for name, _low, _high in selectors.BACKLOG_BUCKETS
            ],
        },
    )


def _chart(series: list[selectors.MonthPerformance], *, right_to_left: bool) -> dict[str, Any]:
    """Bar geometry of the inline SVG chart: per month, the share met of each target (0–100).

    Time runs in the reading direction: from right to left on a Persian page.
    """
    width, height, top, bottom, left = 640, 240, 10, 40, 40
    plot = height - top - bottom
    slot = (width - left) / max(len(series), 1)
    bars = []
    for position, month in enumerate(series):
        index = len(series) - 1 - position if right_to_left else position
        x = left + index * slot
        for offset, share, css in (
            (0.15, month.first_response.share, "bar-first"),
            (0.5, month.resolution.share, "bar-resolution"),
        ):
            value = share or 0
            bar_height = plot * value / 100
            bars.append(
                {
                    "x": round(x + slot * offset, 1),
                    "y": round(top + plot - bar_height, 1),
                    "w": round(slot * 0.33, 1),
                    "h": round(bar_height, 1),
                    "css": css,
                    "value": share,
                }
            )
    order = range(len(series) - 1, -1, -1) if right_to_left else range(len(series))
    labels = [
        {"x": round(left + (index + 0.5) * slot, 1), "month": month.month}
        for index, month in zip(order, series, strict=True)
    ]
    grid = [
        {"y": round(top + plot * (1 - level / 100), 1), "level": level} for level in (0, 50, 100)
    ]
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "labels": labels,
        "grid": grid,
        "base": top + plot,
    }


def performance_csv(request: HttpRequest) -> HttpResponse:
    """The performance figures of recent months as CSV (machine-readable, English headers)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="desk-performance.csv"'
    writer = csv.writer(response)
    writer.writerow(performance_header())
    for month in selectors.recent_months(count=12):
        writer.writerow(performance_row(selectors.month_performance(month)))
    return response


def performance_header() -> list[str]:
    """Columns of the performance CSV and of the management command."""
    return [
        "month",
        "received",
        *[f"received_{kind}" for kind in TicketKind.values],
        "first_response_met",
        "first_response_missed",
        "first_response_share_pct",
        "first_response_median_hours",
        "first_response_p90_hours",
        "resolution_met",
        "resolution_missed",
        "resolution_share_pct",
        "resolution_median_hours",
        "resolution_p90_hours",
        "info_request_legal_share_pct",
        *[f"backlog_{name}" for name, _low, _high in selectors.BACKLOG_BUCKETS],
        "csat_pct",
        "csat_n",
        "rejected_legal_ground",
        "referred",
    ]


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def performance_row(figures: selectors.MonthPerformance) -> list[str]:
    """One month as a CSV row matching :func:`performance_header`."""
    first, resolution = figures.first_response, figures.resolution
    return [
        figures.month.key,
        str(figures.received_total),
        *[str(figures.received[kind]) for kind in TicketKind.values],
        str(first.met),
        str(first.missed),
        _fmt(first.share),
        _fmt(first.median_hours),
        _fmt(first.p90_hours),
        str(resolution.met),
        str(resolution.missed),
        _fmt(resolution.share),
        _fmt(resolution.median_hours),
        _fmt(resolution.p90_hours),
        _fmt(figures.info_legal.share),
        *[str(figures.backlog[name]) for name, _low, _high in selectors.BACKLOG_BUCKETS],
        _fmt(figures.csat_share),
        str(figures.csat_n),
        str(figures.rejected),
        str(figures.referred),
    ]


# ----------------------------------------------------------------------------- staff


@method_decorator(
    ratelimit(key="ip", rate="10/m", method="POST", group="desk-staff-login"), name="dispatch"
)
class StaffLoginView(LoginView):
    """Sign-in for officers, who need no access to Django's admin; guessing is rate-limited."""

    template_name = "desk/staff/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("desk:staff-queue")


class StaffLogoutView(LogoutView):
    """Sign-out, back to the desk's front page."""

    next_page = "desk:home"


def _require_staff(request: HttpRequest) -> None:
    if not request.user.has_perm("desk.work_ticket"):
        raise PermissionDenied


def _staff_user(request: HttpRequest) -> User:
    """The signed-in user (the views that call this require login)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


@login_required(login_url="desk:staff-login")
def staff_queue(request: HttpRequest) -> HttpResponse:
    """The officers' queue: the tickets the user may see, filtered, the most urgent first."""
    _require_staff(request)
    filter_form = forms.QueueFilterForm(request.GET or {"status": "open"})
    data = filter_form.cleaned_data if filter_form.is_valid() else {"status": "open"}
    queue_filter = selectors.QueueFilter(
        status=data.get("status", ""),
        kind=data.get("kind", ""),
        assigned=data.get("assigned", ""),
        overdue=bool(data.get("overdue")),
        search=data.get("q", ""),
    )
    page = Paginator(selectors.ticket_queue(request.user, queue_filter), 50).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    rows = [
        {
            "ticket": ticket,
            "mobile": iranian.mask_mobile(ticket.mobile),
            "clock": selectors.ticket_clock(ticket, now=now),
        }
        for ticket in page
    ]
    return render(
        request, "desk/staff/queue.html", {"filter_form": filter_form, "page": page, "rows": rows}
    )


def _ticket_context(request: HttpRequest, ticket: Ticket, **forms_given: Any) -> dict[str, Any]:
    canned = [(item.pk, item.title) for item in selectors.canned_responses(ticket.kind)]
    statuses = list(services.TRANSITIONS[ticket.status])
    return {
        "ticket": ticket,
        "code": tracking.grouped(ticket.tracking_code),
        "clock": selectors.ticket_clock(ticket),
        "messages_all": ticket.messages.select_related("author").prefetch_related("attachments"),
        "events": ticket.events.select_related("actor"),
        "reply_form": forms_given.get("reply_form")
        or forms.StaffReplyForm(canned=canned, statuses=statuses),
        "assign_form": forms.AssignForm(
            officers=[(user.pk, user.get_username()) for user in selectors.officers()],
            initial={"assignee": ticket.assigned_to_id},
        ),
        "status_form": forms.StatusForm(statuses=statuses, auto_id="change_%s")
        if statuses
        else None,
        "can_assign": request.user.has_perm("desk.assign_ticket"),
        "targets": dict(SlaTarget.choices),
        "can_decide": ticket.status in OPEN_STATUSES,
        "reject_form": forms_given.get("reject_form") or forms.RejectForm(prefix="reject")
        if ticket.kind == TicketKind.INFO_REQUEST
        else None,
        "refer_form": forms_given.get("refer_form") or forms.ReferForm(prefix="refer"),
    }


@login_required(login_url="desk:staff-login")
def staff_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """One ticket for an officer: everything on it, the audit trail and the actions."""
    ticket = selectors.access_ticket(request.user, ticket_id)
    services.ticket_viewed(actor=_staff_user(request), ticket=ticket)
    return render(request, "desk/staff/ticket.html", _ticket_context(request, ticket))


@login_required(login_url="desk:staff-login")
@require_POST
def staff_reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Post a public reply or an internal note, optionally with files and a status change."""
    ticket = selectors.access_ticket(request.user, ticket_id)
    canned_items = {item.pk: item for item in selectors.canned_responses(ticket.kind)}
    form = forms.StaffReplyForm(
        request.POST,
        request.FILES,
        canned=[(pk, item.title) for pk, item in canned_items.items()],
        statuses=list(services.TRANSITIONS[ticket.status]),
    )
    if not form.is_valid():
        context = _ticket_context(request, ticket, reply_form=form)
        return render(request, "desk/staff/ticket.html", context, status=400)
    body = form.cleaned_data["body"]
    canned = canned_items.get(form.cleaned_data["canned"] or 0)
    if canned is not None and not body:
        body = selectors.canned_text(canned, ticket)
    try:
        services.ticket_reply(
            actor=_staff_user(request),
            ticket=ticket,
            body=body,
            public=form.cleaned_data["visibility"] == "public",
            status=form.cleaned_data["status"],
            files=form.cleaned_data["files"],
        )
    except services.DeskError:
        return HttpResponseBadRequest(_("This status change is not allowed."))
    messages.success(request, _("Saved."))
    return redirect("desk:staff-ticket", ticket_id=ticket.pk)


@login_required(login_url="desk:staff-login")
@require_POST
def staff_assign(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Assign the ticket: supervisors to anyone; an officer only to themself."""
    ticket = selectors.access_ticket(request.user, ticket_id)
    officers = {user.pk: user for user in selectors.officers()}
    form = forms.AssignForm(
        request.POST, officers=[(pk, user.get_username()) for pk, user in officers.items()]
    )
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose an officer from the list."))
    assignee = officers.get(form.cleaned_data["assignee"] or 0)
    if not request.user.has_perm("desk.assign_ticket") and assignee != request.user:
        raise PermissionDenied
    services.ticket_assign(actor=_staff_user(request), ticket=ticket, assignee=assignee)
    messages.success(request, _("Saved."))
    return redirect("desk:staff-ticket", ticket_id=ticket.pk)


@login_required(login_url="desk:staff-login")
@require_POST
def staff_status(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Change the ticket's status."""
    ticket = selectors.access_ticket(request.user, ticket_id)
    form = forms.StatusForm(request.POST, statuses=list(services.TRANSITIONS[ticket.status]))
    if not form.is_valid():
        return HttpResponseBadRequest(_("This status change is not allowed."))
    services.ticket_set_status(
        actor=_staff_user(request), ticket=ticket, status=form.cleaned_data["status"]
    )
    messages.success(request, _("Saved."))
    return redirect("desk:staff-ticket", ticket_id=ticket.pk)


@login_required(login_url="desk:staff-login")
def staff_file(request: HttpRequest, attachment_id: int) -> FileResponse:
    """A file on a ticket the user may work on."""
    attachment = Attachment.objects.select_related("message").filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    selectors.access_ticket(request.user, attachment.message.ticket_id)
    return FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name
    )


@login_required(login_url="desk:staff-login")
@require_POST
def staff_decide(request: HttpRequest, ticket_id: int, outcome: str) -> HttpResponse:
    """Conclude the request by a rejection on a legal ground or by a referral."""
    ticket = selectors.access_ticket(request.user, ticket_id)
    if outcome == Outcome.REJECTED:
        form: forms.StyledForm = forms.RejectForm(request.POST, prefix="reject")
        given = {"reject_form": form}
    else:
        form = forms.ReferForm(request.POST, prefix="refer")
        given = {"refer_form": form}
    if not form.is_valid():
        context = _ticket_context(request, ticket, **given)
        return render(request, "desk/staff/ticket.html", context, status=400)
    try:
        services.ticket_decide(
            actor=_staff_user(request),
            ticket=ticket,
            outcome=Outcome(outcome),
            explanation=form.cleaned_data["explanation"],
            legal_basis=form.cleaned_data.get("legal_basis", ""),
            referred_to=form.cleaned_data.get("referred_to", ""),
        )
    except services.DeskError as error:
        return HttpResponseBadRequest(str(error.code.label))
    messages.success(request, _("Saved."))
    return redirect("desk:staff-ticket", ticket_id=ticket.pk)


@login_required(login_url="desk:staff-login")
def staff_new(request: HttpRequest) -> HttpResponse:
    """Register a request received by telephone, in person or by letter."""
    _require_staff(request)
    if request.method == "POST":
        form = forms.StaffEntryForm(request.POST)
        if form.is_valid():
            ticket, _created = services.ticket_submit(
                form_token=form.cleaned_data["stamp"],
                submission=form.submission(),
                language=_language(),
                channel=Channel(form.cleaned_data["channel"]),
                entered_by=_staff_user(request),
            )
            messages.success(
                request,
                _("Registered with tracking code %(code)s; it was sent to the requester by SMS.")
                % {"code": tracking.grouped(ticket.tracking_code)},
            )
            return redirect("desk:staff-ticket", ticket_id=ticket.pk)
    else:
        form = forms.StaffEntryForm()
    return render(request, "desk/staff/new.html", {"form": form})
