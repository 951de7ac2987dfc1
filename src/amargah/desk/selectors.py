"""Every read of the service desk, already restricted to what the reader may see."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import jdatetime
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.signals import setting_changed
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.http import Http404
from django.utils import timezone

from amargah.core.dates import format_date
from amargah.core.persian import to_persian_digits
from amargah.desk import sla, tracking
from amargah.desk.choices import (
    OPEN_STATUSES,
    Clock,
    MessageVisibility,
    Outcome,
    TicketKind,
    TicketStatus,
)
from amargah.desk.models import (
    CannedResponse,
    Holiday,
    Message,
    SlaPolicy,
    SurveyResponse,
    Ticket,
)

User = AuthUser | AnonymousUser


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# Every submission needs its kind's policy, and policies change only by an administrator's
# edit: each process keeps them this long (seconds). Saving or deleting one forgets them
# in the process that did it at once; other processes follow within this time.
POLICY_MEMO_SECONDS = 30.0


class _PolicyMemo:
    """Per kind: until when (``time.monotonic()``) the policy this process read holds, and it."""

    entries: dict[str, tuple[float, SlaPolicy]] = {}

    @classmethod
    def forget(cls, **_: object) -> None:
        cls.entries = {}


setting_changed.connect(_PolicyMemo.forget, dispatch_uid="amargah-desk-policies")
post_save.connect(_PolicyMemo.forget, sender=SlaPolicy, dispatch_uid="amargah-desk-policies")
post_delete.connect(_PolicyMemo.forget, sender=SlaPolicy, dispatch_uid="amargah-desk-policies")


def sla_policy(kind: str) -> SlaPolicy:
    """The SLA policy of requests of ``kind``, read from the database at most every
    ``POLICY_MEMO_SECONDS`` in each process (treat it as read-only).

    Raises ``SlaPolicy.DoesNotExist`` if the kind has none.
    """
    moment = time.monotonic()
    entry = _PolicyMemo.entries.get(kind)
    if entry is not None and moment < entry[0]:
        return entry[1]
    policy = SlaPolicy.objects.get(kind=kind)
    _PolicyMemo.entries = {**_PolicyMemo.entries, kind: (moment + POLICY_MEMO_SECONDS, policy)}
    return policy


def sla_policies_forget() -> None:
    """Read the policies from the database again on next use (a stale one was refused)."""
    _PolicyMemo.forget()


def sla_calendar(clock: str) -> sla.Calendar:
    """The calendar of ``clock`` with the working days, hours and holidays configured."""
    if clock == Clock.ALWAYS:
        return sla.always_calendar(zone=_zone())
    return sla.working_calendar(
        zone=_zone(),
        holidays=Holiday.objects.values_list("date", flat=True),
        weekdays=settings.DESK_WORKING_WEEKDAYS,
        opens=dt.time.fromisoformat(settings.DESK_WORKDAY_OPENS),
        closes=dt.time.fromisoformat(settings.DESK_WORKDAY_CLOSES),
    )


def supervisors() -> QuerySet[AuthUser]:
    """Active users of the supervisor role: they receive escalations."""
    return AuthUser.objects.filter(is_active=True, groups__name="supervisor").distinct()


def officers() -> QuerySet[AuthUser]:
    """Active users who may be assigned tickets."""
    return (
        AuthUser.objects.filter(is_active=True)
        .filter(Q(groups__name__in=["officer", "supervisor", "head"]) | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


def tickets_owing_targets() -> list[int]:
    """Open tickets that may need a warning or an escalation: a target owed, not yet escalated."""
    first = Q(first_response_at__isnull=True, escalated_first_response_at__isnull=True)
    resolution = Q(
        answered_at__isnull=True, due_resolution__isnull=False, escalated_resolution_at__isnull=True
    )
    return list(
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .filter(first | resolution)
        .values_list("pk", flat=True)
    )


# ----------------------------------------------------------------------------- staff access


def _staff_tickets(user: User) -> QuerySet[Ticket]:
    if not user.is_authenticated or not user.has_perm("desk.work_ticket"):
        return Ticket.objects.none()
    tickets = Ticket.objects.select_related("policy", "assigned_to")
    if user.has_perm("desk.view_all_tickets"):
        return tickets
    # An officer sees the unassigned queue and the tickets assigned to them.
    return tickets.filter(Q(assigned_to=user.pk) | Q(assigned_to__isnull=True))


def access_ticket(user: User, ticket_id: int) -> Ticket:
    """The ticket ``ticket_id`` if ``user`` may work on it; otherwise 404, revealing nothing."""
    ticket = _staff_tickets(user).filter(pk=ticket_id).first()
    if ticket is None:
        raise Http404
    return ticket


@dataclass(frozen=True)
class QueueFilter:
    """What the queue page narrows the list by; empty means any."""

    status: str = ""
    kind: str = ""
    assigned: str = ""  # "me", "none" or ""
    overdue: bool = False
    search: str = ""


def ticket_queue(
    user: User, queue_filter: QueueFilter, *, now: dt.datetime | None = None
) -> QuerySet[Ticket]:
    """The tickets ``user`` may see, narrowed by ``queue_filter``, the most urgent first."""
    now = now or timezone.now()
    tickets = _staff_tickets(user)
    if queue_filter.status == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif queue_filter.status:
        tickets = tickets.filter(status=queue_filter.status)
    if queue_filter.kind:
        tickets = tickets.filter(kind=queue_filter.kind)
    if queue_filter.assigned == "me":
        tickets = tickets.filter(assigned_to=user.pk)
    elif queue_filter.assigned == "none":
        tickets = tickets.filter(assigned_to__isnull=True)
    if queue_filter.overdue:
        tickets = tickets.filter(status__in=OPEN_STATUSES).filter(
            Q(first_response_at__isnull=True, due_first_response__lt=now)
            | Q(due_resolution__lt=now)
        )
    if queue_filter.search:
        code = tracking.normalize(queue_filter.search)
        tickets = tickets.filter(
            Q(tracking_code=code) | Q(subject__icontains=queue_filter.search) | Q(mobile=code)
        )
    return tickets.order_by("due_resolution", "due_first_response")


def canned_text(canned: CannedResponse, ticket: Ticket) -> str:
    """A prepared reply with ``{tracking_code}``, ``{name}`` and ``{jalali_date}`` filled in.

    Placeholders are replaced one by one (not ``str.format``), so braces typed by
    staff elsewhere in the text stay as they are.
    """
    code = ticket.tracking_code
    today = format_date(timezone.localdate(), ticket.language)
    if ticket.language == "fa":
        code = to_persian_digits(code)
    return (
        canned.body.replace("{tracking_code}", code)
        .replace("{name}", ticket.full_name)
        .replace("{jalali_date}", today)
    )


def canned_responses(kind: str) -> QuerySet[CannedResponse]:
    """Active prepared replies that suit a ticket of ``kind``."""
    return CannedResponse.objects.filter(active=True).filter(Q(kind="") | Q(kind=kind))


# ----------------------------------------------------------------------------- public reads


def ticket_lookup(*, code: str, mobile: str) -> Ticket | None:
    """The ticket with this tracking code and mobile, or None.

    One query on both values, so a wrong code and a wrong mobile cost the same and
    give the same answer.
    """
    return Ticket.objects.select_related("policy").filter(tracking_code=code, mobile=mobile).first()


def public_messages(ticket: Ticket) -> QuerySet[Message]:
    """The messages the requester may read: never the internal notes."""
    return ticket.messages.filter(visibility=MessageVisibility.PUBLIC).prefetch_related(
        "attachments"
    )


@dataclass(frozen=True)
class Clockface:
    """A deadline as a reader sees it: due moment, time left (clock minutes, negative if late)."""

    target: str
    due: dt.datetime | None
    minutes_left: float | None
    met: bool | None  # None while still owed
    paused: bool = False


def ticket_clock(ticket: Ticket, *, now: dt.datetime | None = None) -> list[Clockface]:
    """The first-response and resolution deadlines of ``ticket`` and the time left on each."""
    now = now or timezone.now()
    calendar = sla_calendar(ticket.policy.clock)

    def face(
        target: str, due: dt.datetime | None, done: dt.datetime | None, *, paused: bool = False
    ) -> Clockface:
        if done is not None:
            return Clockface(target, due, None, met=due is not None and done <= due)
        if due is None:
            return Clockface(target, None, None, None, paused=paused)
        return Clockface(target, due, calendar.between(now, due), None)

    return [
        face("first_response", ticket.due_first_response, ticket.first_response_at),
        face(
            "resolution",
            ticket.due_resolution,
            ticket.answered_at,
            paused=ticket.paused_since is not None,
        ),
    ]


# ----------------------------------------------------------------------------- performance


@dataclass(frozen=True)
class JalaliMonth:
    """A Jalali month and its bounds as aware datetimes in the office's time zone."""

    year: int
    month: int

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> dt.datetime:
        day = jdatetime.date(self.year, self.month, 1).togregorian()
        return dt.datetime.combine(day, dt.time.min, tzinfo=_zone())

    @property
    def end(self) -> dt.datetime:
        return self.next().start

    def next(self) -> JalaliMonth:
        return JalaliMonth(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> JalaliMonth:
        return JalaliMonth(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @classmethod
    def of(cls, moment: dt.datetime) -> JalaliMonth:
        local = jdatetime.date.fromgregorian(date=timezone.localtime(moment, _zone()).date())
        return cls(local.year, local.month)

    @classmethod
    def parse(cls, key: str) -> JalaliMonth | None:
        """``YYYY-MM`` in any digits, or None when it is not a month."""
        text = tracking.normalize(key.replace("/", "-")) if key else ""
        parts = text.split("-") if "-" in key else []
        if len(parts) != 2 or not all(part.isascii() and part.isdigit() for part in parts):
            return None
        year, month = int(parts[0]), int(parts[1])
        return cls(year, month) if 1300 <= year <= 1500 and 1 <= month <= 12 else None


BACKLOG_BUCKETS = (("0-2", 0, 2), ("3-5", 3, 5), ("6-10", 6, 10), (">10", 11, None))


@dataclass(frozen=True)
class TargetFigures:
    """Compliance with one target in a month: met and missed counts, times in working hours."""

    met: int
    missed: int
    median_hours: float | None
    p90_hours: float | None

    @property
    def share(self) -> float | None:
        """Share met, 0–100 (None when nothing fell due)."""
        total = self.met + self.missed
        return None if total == 0 else 100 * self.met / total


@dataclass(frozen=True)
class MonthPerformance:
    """The published figures of one Jalali month."""

    month: JalaliMonth
    received: dict[str, int]
    first_response: TargetFigures
    resolution: TargetFigures
    info_legal: TargetFigures
    backlog: dict[str, int]
    csat_share: float | None
    csat_n: int
    scores: dict[int, int] = field(default_factory=dict)
    # Requests concluded in the month by a reasoned rejection or by a referral (each
    # also counts as answered in the targets above).
    rejected: int = 0
    referred: int = 0

    @property
    def received_total(self) -> int:
        return sum(self.received.values())


def _quantiles(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    if len(values) == 1:
        return values[0], values[0]
    # The inclusive method interpolates between observed times, as the standards note's
    # toy check does (p90 of ten values lies between the 9th and 10th).
    return statistics.median(values), statistics.quantiles(values, n=10, method="inclusive")[8]


def _target(
    tickets: list[Ticket],
    calendar: sla.Calendar,
    month: JalaliMonth,
    now: dt.datetime,
    *,
    resolution: bool,
) -> TargetFigures:
    """Met and missed counts of the tickets whose target fell due in the month.

    An open ticket already past its deadline counts as missed; one not yet due is
    left out. Times are in working hours from receipt, net of pauses for resolution.
    """
    met = missed = 0
    hours: list[float] = []
    for ticket in tickets:
        due = ticket.due_resolution if resolution else ticket.due_first_response
        done = ticket.answered_at if resolution else ticket.first_response_at
        if due is None or not (month.start <= due < month.end):
            continue
        if done is None:
            if due < now:
                missed += 1
            continue
        if done <= due:
            met += 1
        else:
            missed += 1
        worked = calendar.between(ticket.received_at, done) - (
            ticket.paused_minutes if resolution else 0
        )
        hours.append(max(worked, 0) / 60)
    median, p90 = _quantiles(hours)
    return TargetFigures(met=met, missed=missed, median_hours=median, p90_hours=p90)


def month_performance(month: JalaliMonth, *, now: dt.datetime | None = None) -> MonthPerformance:
    """The SLA figures of ``month``, computed from the tickets and ratings (demo ones included)."""
    now = now or timezone.now()
    calendar = sla_calendar(Clock.WORKING)
    window = Q(received_at__gte=month.start, received_at__lt=month.end)
    due_in_month = Q(due_first_response__gte=month.start, due_first_response__lt=month.end) | Q(
        due_resolution__gte=month.start, due_resolution__lt=month.end
    )
    tickets = list(Ticket.objects.filter(window | due_in_month))
    received = Counter(
        ticket.kind for ticket in tickets if month.start <= ticket.received_at < month.end
    )
    # The backlog at the end of the month (or now, for the month under way).
    cutoff = min(now, month.end)
    backlog = dict.fromkeys((name for name, _low, _high in BACKLOG_BUCKETS), 0)
    open_then = (
        Ticket.objects.filter(received_at__lt=cutoff)
        .filter(Q(answered_at__isnull=True) | Q(answered_at__gte=cutoff))
        .exclude(status=TicketStatus.CLOSED, answered_at__isnull=True, closed_at__lt=cutoff)
    )
    for received_at in open_then.values_list("received_at", flat=True):
        age = calendar.between(received_at, cutoff) / calendar.minutes_per_day
        for name, low, high in BACKLOG_BUCKETS:
            if age >= low and (high is None or age < high + 1):
                backlog[name] += 1
                break
    ratings = list(
        SurveyResponse.objects.filter(
            created_at__gte=month.start, created_at__lt=month.end
        ).values_list("score", flat=True)
    )
    scores = {score: ratings.count(score) for score in range(1, 6)}
    info = [ticket for ticket in tickets if ticket.kind == TicketKind.INFO_REQUEST]
    outcomes = Counter(
        Ticket.objects.filter(answered_at__gte=month.start, answered_at__lt=month.end)
        .exclude(outcome="")
        .values_list("outcome", flat=True)
    )
    return MonthPerformance(
        month=month,
        received={kind: received.get(kind, 0) for kind in TicketKind.values},
        first_response=_target(tickets, calendar, month, now, resolution=False),
        resolution=_target(tickets, calendar, month, now, resolution=True),
        info_legal=_target(info, calendar, month, now, resolution=True),
        backlog=backlog,
        csat_share=None if not ratings else 100 * (scores[4] + scores[5]) / len(ratings),
        csat_n=len(ratings),
        scores=scores,
        rejected=outcomes.get(Outcome.REJECTED, 0),
        referred=outcomes.get(Outcome.REFERRED, 0),
    )


def recent_months(*, count: int = 6, now: dt.datetime | None = None) -> list[JalaliMonth]:
    """The last ``count`` Jalali months, the current one last."""
    month = JalaliMonth.of(now or timezone.now())
    months = [month]
    for _ in range(count - 1):
        months.insert(0, months[0].previous())
    return months
