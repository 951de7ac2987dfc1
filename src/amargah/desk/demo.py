"""Plausible service-desk traffic for the demo office: requests, replies, breaches and ratings."""

from __future__ import annotations

import datetime as dt
import random
from typing import TypeVar

import jdatetime
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone, translation

from amargah.core.iranian import national_id_is_valid
from amargah.desk import selectors, services, texts, tracking
from amargah.desk.choices import (
    Channel,
    EventAction,
    LegalBasis,
    MessageVisibility,
    Outcome,
    PreferredFormat,
    RequesterKind,
    SurveySource,
    TicketKind,
    TicketStatus,
)
from amargah.desk.models import Event, Holiday, Message, SlaPolicy, SurveyResponse, Ticket

FIRST_NAMES = (
    "علی",
    "زهرا",
    "محمد",
    "فاطمه",
    "حسین",
    "مریم",
    "رضا",
    "سارا",
    "مهدی",
    "نرگس",
    "امیر",
    "لیلا",
)
LAST_NAMES = (
    "احمدی",
    "محمدی",
    "رضایی",
    "کریمی",
    "حسینی",
    "جعفری",
    "صادقی",
    "موسوی",
    "قاسمی",
    "نوری",
)
COMPANIES = (
    "شرکت فولاد سمنان",
    "شرکت سیمان شاهرود",
    "تعاونی کشاورزان دامغان",
    "شرکت نرم‌افزاری گرمسار",
)
AGENCIES = (
    "اداره کل آموزش و پرورش استان سمنان",
    "دانشگاه سمنان",
    "شهرداری شاهرود",
    "اداره کل بهزیستی استان",
)
COUNTIES = (
    "استان سمنان",
    "شهرستان سمنان",
    "شهرستان شاهرود",
    "شهرستان دامغان",
    "شهرستان گرمسار",
    "شهرستان مهدیشهر",
)
SUBJECTS = {
    TicketKind.INFO_REQUEST: (
        "جمعیت به تفکیک سن و جنس",
        "نرخ بیکاری شهرستان‌ها",
        "تعداد خانوارهای روستایی",
        "درآمد و هزینه خانوار",
        "سطح سواد جمعیت",
        "شاغلان به تفکیک بخش اقتصادی",
    ),
    TicketKind.COMPLAINT: (
        "دیر پاسخ دادن به درخواست قبلی",
        "خطا در جدول منتشرشده",
        "فایل دانلود باز نمی‌شود",
        "پاسخ ناقص به درخواست آمار",
    ),
    TicketKind.SUGGESTION: (
        "انتشار داده‌ها با قالب اکسل",
        "افزودن نمودار به جدول‌ها",
        "برگزاری کارگاه سواد آماری",
        "انتقاد از تأخیر انتشار نتایج",
    ),
}
BODIES = {
    TicketKind.INFO_REQUEST: "لطفاً آمار «{subject}» را برای {area} در اختیار بگذارید.",
    TicketKind.COMPLAINT: "درباره «{subject}» شکایت دارم و لطفاً پیگیری کنید.",
    TicketKind.SUGGESTION: "پیشنهاد یا انتقاد من درباره «{subject}» است.",
}
REPLIES = (
    "درخواست شما بررسی شد و پاسخ به پیوست ارسال می‌شود.",
    "با سپاس از شما؛ موضوع به واحد مربوط ارجاع شد و نتیجه اعلام می‌شود.",
    "داده‌های خواسته‌شده در بخش انتشارات سایت در دسترس است.",
    "خطای گزارش‌شده اصلاح شد. از همراهی شما سپاسگزاریم.",
)
# Fixed-date public holidays of the solar calendar; lunar ones move and are entered yearly.
SOLAR_HOLIDAYS = (
    ((1, 1), "نوروز"),
    ((1, 2), "نوروز"),
    ((1, 3), "نوروز"),
    ((1, 4), "نوروز"),
    ((1, 12), "روز جمهوری اسلامی"),
    ((1, 13), "روز طبیعت"),
    ((3, 14), "رحلت امام خمینی"),
    ((3, 15), "قیام ۱۵ خرداد"),
    ((11, 22), "پیروزی انقلاب اسلامی"),
)
MessageOrEvent = TypeVar("MessageOrEvent", Message, Event)
KINDS = (TicketKind.INFO_REQUEST, TicketKind.COMPLAINT, TicketKind.SUGGESTION)
# Shares of concluded information requests rejected on a legal ground and referred.
DEMO_REJECTED_SHARE = 0.06
DEMO_REFERRED_SHARE = 0.05
DEMO_REFERRAL_BODIES = ("مرکز آمار ایران", "سازمان ثبت احوال استان سمنان", "بانک مرکزی")


def _demo_decision(
    ticket: Ticket, rng: random.Random, officer: User, events: list[Event], at: dt.datetime
) -> tuple[TicketStatus, str]:
    """Make ``ticket`` a rejection or a referral; return its status and public reply."""
    with translation.override("fa"):
        if rng.random() < DEMO_REJECTED_SHARE / (DEMO_REJECTED_SHARE + DEMO_REFERRED_SHARE):
            ticket.outcome = Outcome.REJECTED
            ticket.legal_basis = rng.choice((LegalBasis.LAW_14, LegalBasis.UNCLEAR))
            events.append(
                Event(
                    actor=officer, action=EventAction.REJECTED, new_value=ticket.legal_basis, at=at
                )
            )
            reply = texts.decision_reply(
                rejected=True,
                legal_basis_label=str(LegalBasis(ticket.legal_basis).label),
                referred_to="",
            )
            return TicketStatus.REJECTED, reply
        ticket.outcome = Outcome.REFERRED
        ticket.referred_to = rng.choice(DEMO_REFERRAL_BODIES)
        events.append(
            Event(actor=officer, action=EventAction.REFERRED, new_value=ticket.referred_to, at=at)
        )
        reply = texts.decision_reply(
            rejected=False, legal_basis_label="", referred_to=ticket.referred_to
        )
        return TicketStatus.REFERRED, reply


KIND_WEIGHTS = (0.55, 0.25, 0.20)


def _national_id(rng: random.Random) -> str:
    while True:
        code = f"{rng.randrange(10**9):09d}"
        for check in "0123456789":
            if national_id_is_valid(code + check):
                return code + check


def _staff() -> tuple[list[User], User]:
    users = User
    officers = []
    for number in (1, 2, 3):
        user, created = users.objects.get_or_create(username=f"demo-officer-{number}")
        if created:
            user.set_unusable_password()
            user.save()
        user.groups.add(Group.objects.get(name="officer"))
        officers.append(user)
    supervisor, created = users.objects.get_or_create(
        username="demo-supervisor", defaults={"email": "supervisor@amargah.invalid"}
    )
    if created:
        supervisor.set_unusable_password()
        supervisor.save()
    supervisor.groups.add(Group.objects.get(name="supervisor"))
    return officers, supervisor


def _holidays(years: set[int]) -> None:
    for year in years:
        for (month, day), title in SOLAR_HOLIDAYS:
            Holiday.objects.get_or_create(
                date=jdatetime.date(year, month, day).togregorian(), defaults={"title": title}
            )


def _on(row: MessageOrEvent, ticket: Ticket) -> MessageOrEvent:
    row.ticket = ticket
    return row


def create_demo_traffic(*, seed: int = 1405, months: int = 4) -> int:
    """Create about 45 tickets a month for the last ``months`` months; return how many.

    Deterministic for a seed and a day. Does nothing (returns 0) when demo tickets
    already exist. About one target in six is missed, some requests wait on the
    requester, recent ones are still open, and many answered ones are rated.
    """
    if Ticket.objects.filter(is_demo=True).exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    outcomes = random.Random(seed + 1)  # noqa: S311
    now = timezone.now()
    start = now - dt.timedelta(days=30 * months)
    services.desk_defaults_ensure()
    today = jdatetime.date.today()
    _holidays({today.year - 1, today.year})
    officers, _supervisor = _staff()
    policies = {policy.kind: policy for policy in SlaPolicy.objects.all()}
    calendars = {
        clock: selectors.sla_calendar(clock) for clock in {p.clock for p in policies.values()}
    }
    count = 45 * months
    received_times = sorted(start + (now - start) * rng.random() for _ in range(count))
    with transaction.atomic():
        created = 0
        for index, received in enumerate(received_times):
            kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
            policy = policies[kind]
            calendar = calendars[policy.clock]
            requester_kind = rng.choices(list(RequesterKind), (0.7, 0.15, 0.15))[0]
            subject = rng.choice(SUBJECTS[kind])
            area = rng.choice(COUNTIES)
            random_digits = f"{rng.randrange(10**10):010d}"
            ticket = Ticket(
                tracking_code=random_digits + tracking.check_digits(random_digits),
                form_token=f"demo-{seed}-{index}",
                kind=kind,
                channel=rng.choices(list(Channel), (0.85, 0.08, 0.04, 0.03))[0],
                requester_kind=requester_kind,
                full_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                organisation=rng.choice(
                    COMPANIES if requester_kind == RequesterKind.BUSINESS else AGENCIES
                )
                if requester_kind != RequesterKind.CITIZEN
                else "",
                mobile=f"09{rng.choice('0123')}{rng.randrange(10**8):08d}",
                national_id=_national_id(rng) if rng.random() < 0.3 else "",
                subject=subject,
                body=BODIES[kind].format(subject=subject, area=area),
                period="۱۴۰۰ تا ۱۴۰۴" if kind == TicketKind.INFO_REQUEST else "",
                area=area if kind == TicketKind.INFO_REQUEST else "",
                preferred_format=rng.choice(list(PreferredFormat))
                if kind == TicketKind.INFO_REQUEST
                else "",
                policy=policy,
                received_at=received,
                due_first_response=calendar.add(received, policy.first_response_minutes),
                due_resolution=calendar.add(received, policy.resolution_minutes),
                is_demo=True,
            )
            officer = rng.choice(officers)
            events: list[Event] = []
            messages: list[Message] = []
            # Most targets are met; about one in six is missed.
            first_share = rng.uniform(0.05, 0.9) if rng.random() < 0.85 else rng.uniform(1.05, 2.5)
            first_at = calendar.add(received, policy.first_response_minutes * first_share)
            if first_at < now:
                ticket.assigned_to = officer
                ticket.first_response_at = first_at
                ticket.status = TicketStatus.ASSIGNED
                messages.append(
                    Message(
                        author=officer,
                        visibility=MessageVisibility.PUBLIC,
                        body=rng.choice(REPLIES[1:2]),
                        created_at=first_at,
                    )
                )
                events.append(
                    Event(
                        actor=officer,
                        action=EventAction.ASSIGNED,
                        new_value=officer.get_username(),
                        at=first_at,
                    )
                )
                events.append(Event(actor=officer, action=EventAction.REPLIED, at=first_at))
                if rng.random() < 0.1:
                    # The office asked the requester something and waited a working day.
                    ticket.paused_minutes = float(policy.first_response_minutes)
                resolve_share = (
                    rng.uniform(0.2, 0.95) if rng.random() < 0.8 else rng.uniform(1.05, 2.0)
                )
                answered = calendar.add(
                    received, policy.resolution_minutes * resolve_share + ticket.paused_minutes
                )
                answered = max(answered, first_at + dt.timedelta(minutes=5))
                if ticket.paused_minutes:
                    ticket.due_resolution = calendar.add(
                        received, policy.resolution_minutes + ticket.paused_minutes
                    )
                if answered < now:
                    ticket.status = (
                        TicketStatus.CLOSED
                        if answered < now - dt.timedelta(days=10)
                        else TicketStatus.ANSWERED
                    )
                    ticket.answered_at = answered
                    ticket.closed_at = (
                        answered + dt.timedelta(days=7)
                        if ticket.status == TicketStatus.CLOSED
                        else None
                    )
                    reply = rng.choice(REPLIES)
                    concluded = TicketStatus.ANSWERED
                    # A few information requests are refused on a legal ground or
                    # referred (a separate stream keeps the rest of the demo as it was).
                    draw = outcomes.random() if kind == TicketKind.INFO_REQUEST else 1.0
                    if draw < DEMO_REFERRED_SHARE + DEMO_REJECTED_SHARE:
                        concluded, reply = _demo_decision(
                            ticket, outcomes, officer, events, answered
                        )
                    if ticket.status != TicketStatus.CLOSED:
                        ticket.status = concluded
                    messages.append(
                        Message(
                            author=officer,
                            visibility=MessageVisibility.PUBLIC,
                            body=reply,
                            created_at=answered,
                        )
                    )
                    events.append(
                        Event(
                            actor=officer,
                            action=EventAction.STATUS_CHANGED,
                            old_value="assigned",
                            new_value=concluded,
                            at=answered,
                        )
                    )
                elif rng.random() < 0.15:
                    ticket.status = TicketStatus.WAITING
                    ticket.paused_since = first_at
                    ticket.due_resolution = None
            ticket.save()
            created += 1
            Event.objects.bulk_create(
                [
                    Event(
                        ticket=ticket,
                        action=EventAction.CREATED,
                        new_value=ticket.channel,
                        at=received,
                    )
                ]
                + [_on(event, ticket) for event in events]
            )
            Message.objects.bulk_create([_on(message, ticket) for message in messages])
            if ticket.answered_at and rng.random() < 0.45:
                rated_at = min(ticket.answered_at + dt.timedelta(hours=rng.uniform(1, 72)), now)
                SurveyResponse.objects.create(
                    ticket=ticket,
                    source=SurveySource.TICKET,
                    score=rng.choices((5, 4, 3, 2, 1), (0.45, 0.3, 0.12, 0.08, 0.05))[0],
                    created_at=rated_at,
                )
        for _ in range(6 * months):
            SurveyResponse.objects.create(
                source=SurveySource.STANDALONE,
                score=rng.choices((5, 4, 3, 2, 1), (0.35, 0.3, 0.15, 0.12, 0.08))[0],
                created_at=start + (now - start) * rng.random(),
            )
    return created
