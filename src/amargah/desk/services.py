"""Every write of the service desk: plain functions, keyword-only arguments, one transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amargah.core.dates import format_date, format_datetime
from amargah.core.db import insert, prepared_statements
from amargah.core.tasks import enqueue_with_transaction
from amargah.desk import selectors, texts, tracking
from amargah.desk.choices import (
    CONCLUDED_STATUSES,
    OPEN_STATUSES,
    Channel,
    Clock,
    DeskErrorCode,
    EventAction,
    LegalBasis,
    MessageVisibility,
    NotificationChannel,
    NotificationStatus,
    Outcome,
    SlaTarget,
    SurveySource,
    TicketKind,
    TicketStatus,
)
from amargah.desk.models import (
    Attachment,
    Event,
    Message,
    Notification,
    OneTimeCode,
    SlaPolicy,
    SurveyInvitation,
    SurveyResponse,
    Ticket,
)
from amargah.desk.notifications import SmsError, deliver, retry_delay

logger = logging.getLogger(__name__)

Actor = User | AnonymousUser

SURVEY_LINK_DAYS = 30
OTP_MINUTES = 5
OTP_MAX_TRIES = 3

# Status changes an officer may make; assignment moves NEW to ASSIGNED on its own.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    TicketStatus.NEW: (
        TicketStatus.ASSIGNED,
        TicketStatus.WAITING,
        TicketStatus.ANSWERED,
        TicketStatus.CLOSED,
    ),
    TicketStatus.ASSIGNED: (TicketStatus.WAITING, TicketStatus.ANSWERED, TicketStatus.CLOSED),
    TicketStatus.WAITING: (TicketStatus.ASSIGNED, TicketStatus.ANSWERED, TicketStatus.CLOSED),
    TicketStatus.ANSWERED: (TicketStatus.CLOSED, TicketStatus.REOPENED),
    # Reached only through ticket_decide, which requires the legal basis or the body.
    TicketStatus.REJECTED: (TicketStatus.CLOSED, TicketStatus.REOPENED),
    TicketStatus.REFERRED: (TicketStatus.CLOSED, TicketStatus.REOPENED),
    TicketStatus.CLOSED: (TicketStatus.REOPENED,),
    TicketStatus.REOPENED: (
        TicketStatus.ASSIGNED,
        TicketStatus.WAITING,
        TicketStatus.ANSWERED,
        TicketStatus.CLOSED,
    ),
}

# The default targets, in minutes of each policy's clock (a working day is 7 hours).
WORKING_DAY_MINUTES = 7 * 60
DEFAULT_POLICIES = {
    # The law on access to information allows at most ten working days.
    TicketKind.INFO_REQUEST: (Clock.WORKING, 1 * WORKING_DAY_MINUTES, 10 * WORKING_DAY_MINUTES),
    # The desk is open day and night: complaints are acknowledged within a day.
    TicketKind.COMPLAINT: (Clock.ALWAYS, 24 * 60, 7 * 24 * 60),
    TicketKind.SUGGESTION: (Clock.WORKING, 2 * WORKING_DAY_MINUTES, 10 * WORKING_DAY_MINUTES),
}

ROLE_PERMISSIONS = {
    "officer": ("work_ticket",),
    "supervisor": ("work_ticket", "assign_ticket", "view_all_tickets"),
    "head": ("work_ticket", "assign_ticket", "view_all_tickets"),
}


class DeskError(Exception):
    """A desk action was refused; ``code`` is a :class:`DeskErrorCode`."""

    def __init__(self, code: DeskErrorCode) -> None:
        super().__init__(code.value)
        self.code = code


def desk_defaults_ensure() -> None:
    """Create the default SLA policies and the three staff roles if they are missing."""
    # The role permissions must exist before the roles are given them, whatever order
    # the post-migrate handlers run in.
    create_permissions(django_apps.get_app_config("desk"), verbosity=0)
    with transaction.atomic():
        for kind, (clock, first, resolution) in DEFAULT_POLICIES.items():
            SlaPolicy.objects.get_or_create(
                kind=kind,
                defaults={
                    "clock": clock,
                    "first_response_minutes": first,
                    "resolution_minutes": resolution,
                },
            )
        for role, codenames in ROLE_PERMISSIONS.items():
            group, _created = Group.objects.get_or_create(name=role)
            permissions = Permission.objects.filter(
                content_type__app_label="desk", codename__in=codenames
            )
            group.permissions.add(*permissions)


def _hash(secret: str) -> str:
    """A keyed hash of a secret for storage: tokens and codes are never stored in clear."""
    return hmac.new(settings.SECRET_KEY.encode(), secret.encode(), hashlib.sha256).hexdigest()


def _event(
    ticket: Ticket, action: EventAction, actor: Actor | None = None, old: str = "", new: str = ""
) -> None:
    user = actor if isinstance(actor, User) else None
    insert(
        Event(ticket=ticket, actor=user, action=action, old_value=old[:100], new_value=new[:100])
    )


def _link(name: str, *args: str) -> str:
    return settings.DESK_PUBLIC_URL + reverse(name, args=args)


# ----------------------------------------------------------------------------- outbox


def notification_queue(
    *,
    channel: NotificationChannel,
    recipient: str,
    body: str,
    subject: str = "",
    ticket: Ticket | None = None,
    send: bool = True,
) -> Notification:
    """Write a notification to the outbox; it is sent by a task once the transaction commits.

    ``send=False`` leaves queueing the send to the caller (a new ticket's acknowledgements
    travel with its first deadline check in one task: see ``ticket_registered``).
    """
    notification = Notification(
        ticket=ticket, channel=channel, recipient=recipient, subject=subject, body=body
    )
    insert(notification)
    if send:
        from amargah.desk import tasks  # the tasks module imports this one

        enqueue_with_transaction(tasks.send_notification, notification.pk)
    return notification


def notification_send(*, notification_id: int, now: dt.datetime | None = None) -> str:
    """Send one notification from the outbox if it is still pending; return its status.

    A failure is recorded and retried later with a growing delay, up to
    ``DESK_NOTIFY_MAX_ATTEMPTS`` times; the ticket it belongs to is never touched.
    """
    now = now or timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(pk=notification_id, status=NotificationStatus.PENDING)
            .first()
        )
        if notification is None:
            return "skipped"
        notification.attempts += 1
        try:
            deliver(
                channel=notification.channel,
                to=notification.recipient,
                subject=notification.subject,
                body=notification.body,
            )
        except (SmsError, OSError) as error:
            notification.last_error = str(error)[:300]
            if notification.attempts >= settings.DESK_NOTIFY_MAX_ATTEMPTS:
                notification.status = NotificationStatus.FAILED
            else:
                notification.next_attempt_at = now + retry_delay(notification.attempts)
            logger.warning(
                "desk notification %s failed (attempt %s)", notification.pk, notification.attempts
            )
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = now
            notification.last_error = ""
        notification.save()
        if notification.status == NotificationStatus.PENDING:
            from amargah.desk import tasks

            enqueue_with_transaction(
                tasks.send_notification, notification.pk, when=notification.next_attempt_at
            )
    return str(notification.status)


def notifications_send_due(*, now: dt.datetime | None = None) -> int:
    """Send every pending notification whose next attempt is due; return how many were tried."""
    now = now or timezone.now()
    due = list(
        Notification.objects.filter(
            status=NotificationStatus.PENDING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)
    )
    for pk in due:
        notification_send(notification_id=pk, now=now)
    return len(due)


def _notify_requester(
    ticket: Ticket, sms: str, *, subject: str = "", email: str | None = None, send: bool = True
) -> list[Notification]:
    notifications = [
        notification_queue(
            channel=NotificationChannel.SMS,
            recipient=ticket.mobile,
            body=sms,
            ticket=ticket,
            send=send,
        )
    ]
    if ticket.email:
        notifications.append(
            notification_queue(
                channel=NotificationChannel.EMAIL,
                recipient=ticket.email,
                subject=subject or sms,
                body=email or sms,
                ticket=ticket,
                send=send,
            )
        )
    return notifications


# ----------------------------------------------------------------------------- tickets


@dataclass(frozen=True)
class Submission:
    """What a public form collected, already validated and normalised."""

    kind: str
    requester_kind: str
    full_name: str
    mobile: str
    subject: str
    body: str
    email: str = ""
    organisation: str = ""
    national_id: str = ""
    company_id: str = ""
    postal_code: str = ""
    period: str = ""
    area: str = ""
    preferred_format: str = ""


def ticket_submit(
    *,
    form_token: str,
    submission: Submission,
    language: str = "fa",
    channel: Channel = Channel.WEB,
    received_at: dt.datetime | None = None,
    entered_by: User | None = None,
) -> tuple[Ticket, bool]:
    """Register a submission and queue its acknowledgement; return the ticket and whether it is new.

    A request received by telephone, in person or by letter is registered the same
    way by the officer who typed it (``entered_by``, with its ``channel``): the same
    tracking code, SMS and SLA clock from ``received_at``.

    Idempotent on ``form_token``: the unique constraint on the token, not a
    look-up before the insert, decides which of two concurrent sendings of the
    same form creates the ticket; the other gets that ticket back. The ticket is
    committed before this function returns, so the code shown is never lost.
    """
    received_at = received_at or timezone.now()
    for _attempt in range(5):
        policy = selectors.sla_policy(submission.kind)
        calendar = selectors.sla_calendar(policy.clock)
        first_due = calendar.add(received_at, policy.first_response_minutes)
        resolution_due = calendar.add(received_at, policy.resolution_minutes)
        try:
            # The desk's busiest write: its four INSERTs are prepared once per connection.
            with prepared_statements(), transaction.atomic():
                ticket = Ticket(
                    tracking_code=tracking.new_code(),
                    form_token=form_token,
                    channel=channel,
                    language=language,
                    policy=policy,
                    received_at=received_at,
                    due_first_response=first_due,
                    due_resolution=resolution_due,
                    entered_by=entered_by,
                    **submission.__dict__,
                )
                insert(ticket)
                _event(ticket, EventAction.CREATED, entered_by, new=str(channel))
                sms = texts.sms_registered(
                    code=ticket.tracking_code,
                    due=format_date(
                        first_due if policy.kind != TicketKind.INFO_REQUEST else resolution_due,
                        language,
                    ),
                    language=language,
                )
                with translation.override(language):
                    notifications = _notify_requester(
                        ticket, sms, subject=_("Your request is registered"), send=False
                    )
                # One task row sends the acknowledgements and arms the first deadline
                # check, rather than a row for each: the submission is the desk's
                # busiest write (bench/desk_load.py).
                from amargah.desk import tasks

                enqueue_with_transaction(
                    tasks.ticket_registered, ticket.pk, *(item.pk for item in notifications)
                )
            return ticket, True
        except IntegrityError:
            existing = Ticket.objects.filter(form_token=form_token).first()
            if existing is not None:
                return existing, False
            # Otherwise two random codes collided, or the policy this process keeps
            # was replaced meanwhile: draw another code, with the policy read again.
            selectors.sla_policies_forget()
    raise RuntimeError("could not draw a free tracking code in five attempts")


# Share of a target after which the ticket is "at risk" and its officer is warned.
AT_RISK_SHARE = 0.75


def _warn_moment(ticket: Ticket, target: str) -> dt.datetime | None:
    """When ``target`` of ``ticket`` becomes at risk (None while the resolution clock is paused)."""
    calendar = selectors.sla_calendar(ticket.policy.clock)
    if target == SlaTarget.FIRST_RESPONSE:
        return calendar.add(
            ticket.received_at, AT_RISK_SHARE * ticket.policy.first_response_minutes
        )
    if ticket.due_resolution is None:
        return None
    minutes = AT_RISK_SHARE * ticket.policy.resolution_minutes + ticket.paused_minutes
    return calendar.add(ticket.received_at, minutes)


def _next_check(ticket: Ticket) -> dt.datetime | None:
    """The earliest moment a warning or an escalation of ``ticket`` falls due (None: none owed).

    One deferred check per ticket at a time: it re-arms itself for the next moment,
    so a submission writes one task row for both targets, not one per target.
    """
    moments = []
    for target, completed, due in (
        (SlaTarget.FIRST_RESPONSE, ticket.first_response_at, ticket.due_first_response),
        (SlaTarget.RESOLUTION, ticket.answered_at, ticket.due_resolution),
    ):
        if completed is not None or due is None:
            continue
        if getattr(ticket, f"warned_{target}_at") is None:
            moment = _warn_moment(ticket, target)
            if moment is not None:
                moments.append(moment)
        elif getattr(ticket, f"escalated_{target}_at") is None:
            moments.append(due)
    return min(moments, default=None)


def _schedule_escalations(ticket: Ticket) -> None:
    """Enqueue the ticket's next deadline check (at-risk or deadline); the check re-arms itself."""
    from amargah.desk import tasks

    moment = _next_check(ticket)
    if moment is not None:
        enqueue_with_transaction(tasks.escalate_ticket, ticket.pk, when=moment)


def ticket_registered(*, ticket_id: int, notification_ids: Sequence[int]) -> list[str]:
    """After a submission commits: arm the ticket's first deadline check, then send its
    acknowledgements; return each notification's status.

    Run by the task that ``ticket_submit`` queues in its transaction (one task row a
    submission instead of one per notification and one for the check). Arming first
    keeps a slow SMS provider from delaying it; a send that fails is retried as any
    other (``notification_send``). Should this task never run, the periodic
    ``desk_sweep`` still sends the notifications and warns or escalates, at most one
    sweep period late.
    """
    ticket = Ticket.objects.select_related("policy").filter(pk=ticket_id).first()
    if ticket is not None:
        with transaction.atomic():
            _schedule_escalations(ticket)
    return [notification_send(notification_id=pk) for pk in notification_ids]


def _attach(message: Message, files: Sequence[UploadedFile]) -> None:
    for upload in files:
        Attachment.objects.create(
            message=message,
            file=upload,
            original_name=(upload.name or "file")[:200],
            size=upload.size or 0,
            content_type=(upload.content_type or "application/octet-stream")[:100],
        )


def _resume_clock(ticket: Ticket, now: dt.datetime, actor: Actor | None) -> None:
    """Close a pause: add its length to the paused minutes and set the deadline again."""
    if ticket.paused_since is None:
        return
    calendar = selectors.sla_calendar(ticket.policy.clock)
    ticket.paused_minutes += max(0.0, calendar.between(ticket.paused_since, now))
    ticket.paused_since = None
    ticket.due_resolution = calendar.add(
        ticket.received_at, ticket.policy.resolution_minutes + ticket.paused_minutes
    )
    _event(ticket, EventAction.RESUMED, actor)
    _schedule_escalations(ticket)


def _apply_status(ticket: Ticket, status: str, actor: Actor | None, now: dt.datetime) -> None:
    """Move a ticket to ``status`` with the clock and timestamp bookkeeping each status needs."""
    old = ticket.status
    if old == status:
        return
    if old == TicketStatus.WAITING:
        _resume_clock(ticket, now, actor)
    if status == TicketStatus.WAITING:
        ticket.paused_since = now
        ticket.due_resolution = None
        _event(ticket, EventAction.PAUSED, actor)
    if status in CONCLUDED_STATUSES:
        ticket.answered_at = ticket.answered_at or now
        ticket.first_response_at = ticket.first_response_at or now
    if status == TicketStatus.CLOSED:
        ticket.closed_at = now
    ticket.status = status
    _event(ticket, EventAction.STATUS_CHANGED, actor, old=old, new=status)
    if status in CONCLUDED_STATUSES and not SurveyInvitation.objects.filter(ticket=ticket).exists():
        _survey_invite(ticket, now)


def ticket_assign(*, actor: User, ticket: Ticket, assignee: User | None) -> Ticket:
    """Assign a ticket to an officer (or take it back); a new ticket becomes assigned."""
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("policy").get(pk=ticket.pk)
        old = ticket.assigned_to.get_username() if ticket.assigned_to else ""
        ticket.assigned_to = assignee
        _event(
            ticket,
            EventAction.ASSIGNED,
            actor,
            old=old,
            new=assignee.get_username() if assignee else "",
        )
        if assignee is not None and ticket.status in (TicketStatus.NEW, TicketStatus.REOPENED):
            _apply_status(ticket, TicketStatus.ASSIGNED, actor, now)
        ticket.save()
    return ticket


VIEW_LOG_MINUTES = 30


def ticket_viewed(*, actor: User, ticket: Ticket) -> bool:
    """Log that ``actor`` opened the ticket (and so its personal data); return whether logged.

    One entry per person per half hour, so rereading a ticket does not bury the trail.
    """
    since = timezone.now() - dt.timedelta(minutes=VIEW_LOG_MINUTES)
    with transaction.atomic():
        recent = Event.objects.filter(
            ticket=ticket, actor=actor, action=EventAction.VIEWED, at__gte=since
        )
        if recent.exists():
            return False
        _event(ticket, EventAction.VIEWED, actor)
    return True


def ticket_set_status(*, actor: User, ticket: Ticket, status: str) -> Ticket:
    """Change a ticket's status, if the change is allowed from where it stands."""
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("policy").get(pk=ticket.pk)
        if status != ticket.status and status not in TRANSITIONS[ticket.status]:
            raise DeskError(DeskErrorCode.TRANSITION)
        _apply_status(ticket, status, actor, now)
        ticket.save()
    return ticket


def ticket_reply(
    *,
    actor: User,
    ticket: Ticket,
    body: str,
    public: bool,
    status: str = "",
    files: Sequence[UploadedFile] = (),
) -> Message:
    """Add a staff reply (public) or internal note, with files, and optionally change the status.

    The first public reply is the ticket's first response; the requester is told by
    SMS (and e-mail when given) of every public reply.
    """
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("policy").get(pk=ticket.pk)
        if status and status != ticket.status and status not in TRANSITIONS[ticket.status]:
            raise DeskError(DeskErrorCode.TRANSITION)
        visibility = MessageVisibility.PUBLIC if public else MessageVisibility.INTERNAL
        message = Message.objects.create(
            ticket=ticket, author=actor, visibility=visibility, body=body, created_at=now
        )
        _attach(message, files)
        _event(ticket, EventAction.REPLIED if public else EventAction.NOTE_ADDED, actor)
        if files:
            _event(ticket, EventAction.ATTACHMENT_ADDED, actor, new=str(len(files)))
        if public:
            ticket.first_response_at = ticket.first_response_at or now
            if ticket.assigned_to_id is None:
                ticket.assigned_to = actor
            if ticket.status == TicketStatus.NEW and not status:
                _apply_status(ticket, TicketStatus.ASSIGNED, actor, now)
        if status:
            _apply_status(ticket, status, actor, now)
        ticket.save()
        if public:
            _notify_reply(ticket, body)
    return message


def ticket_decide(
    *,
    actor: User,
    ticket: Ticket,
    outcome: Outcome,
    explanation: str,
    legal_basis: str = "",
    referred_to: str = "",
) -> Message:
    """Conclude an open request by a reasoned rejection or a referral; return the public message.

    A rejection needs one of the :class:`LegalBasis` grounds and an explanation, and
    only an information request can be rejected (the law on access to information
    is what allows it). A referral names the body that holds the information. Either
    is the office's response and the ticket's resolution: the requester sees the
    ground or the body in the follow-up history and is told by SMS, and the SLA page
    counts it as answered at this moment. Refused (:class:`DeskError`) from a status
    that is not open, or with the ground, explanation or body missing.
    """
    explanation = explanation.strip()
    referred_to = referred_to.strip()
    if outcome == Outcome.REJECTED:
        if ticket.kind != TicketKind.INFO_REQUEST or legal_basis not in LegalBasis.values:
            raise DeskError(DeskErrorCode.DECISION_INCOMPLETE)
        if not explanation:
            raise DeskError(DeskErrorCode.DECISION_INCOMPLETE)
    elif not referred_to:
        raise DeskError(DeskErrorCode.DECISION_INCOMPLETE)
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("policy").get(pk=ticket.pk)
        if ticket.status not in OPEN_STATUSES:
            raise DeskError(DeskErrorCode.TRANSITION)
        with translation.override(ticket.language):
            text = texts.decision_reply(
                rejected=outcome == Outcome.REJECTED,
                legal_basis_label=str(LegalBasis(legal_basis).label) if legal_basis else "",
                referred_to=referred_to,
            )
        body = text + ("\n\n" + explanation if explanation else "")
        message = Message.objects.create(
            ticket=ticket,
            author=actor,
            visibility=MessageVisibility.PUBLIC,
            body=body,
            created_at=now,
        )
        ticket.outcome = outcome
        ticket.legal_basis = legal_basis if outcome == Outcome.REJECTED else ""
        ticket.referred_to = referred_to if outcome == Outcome.REFERRED else ""
        if ticket.assigned_to_id is None:
            ticket.assigned_to = actor
        _event(
            ticket,
            EventAction.REJECTED if outcome == Outcome.REJECTED else EventAction.REFERRED,
            actor,
            new=legal_basis if outcome == Outcome.REJECTED else referred_to,
        )
        _apply_status(ticket, TicketStatus(outcome.value), actor, now)
        ticket.save()
        _notify_reply(ticket, body)
    return message


def _notify_reply(ticket: Ticket, body: str) -> None:
    """Tell the requester of a public reply: an SMS, and the text itself by e-mail if given."""
    sms = texts.sms_reply(code=ticket.tracking_code, language=ticket.language)
    with translation.override(ticket.language):
        _notify_requester(
            ticket, sms, subject=_("A reply to your request"), email=sms + "\n\n" + body
        )


def requester_reply(*, ticket: Ticket, body: str, files: Sequence[UploadedFile] = ()) -> Message:
    """Add the requester's reply (after the one-time code was checked).

    A reply while the office waits on the requester resumes the clock; a reply to an
    answered or closed ticket reopens it.
    """
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("policy").get(pk=ticket.pk)
        message = Message.objects.create(
            ticket=ticket,
            from_requester=True,
            visibility=MessageVisibility.PUBLIC,
            body=body,
            created_at=now,
        )
        _attach(message, files)
        _event(ticket, EventAction.REQUESTER_REPLIED)
        if ticket.status == TicketStatus.WAITING:
            _apply_status(
                ticket,
                TicketStatus.ASSIGNED if ticket.assigned_to_id else TicketStatus.NEW,
                None,
                now,
            )
        elif ticket.status in (*CONCLUDED_STATUSES, TicketStatus.CLOSED):
            _apply_status(ticket, TicketStatus.REOPENED, None, now)
        ticket.save()
    return message


# ----------------------------------------------------------------------------- one-time codes


def otp_send(*, ticket: Ticket) -> None:
    """Send a 6-digit confirmation code to the ticket's mobile; earlier codes stop working."""
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        OneTimeCode.objects.filter(ticket=ticket, used_at__isnull=True).update(used_at=now)
        OneTimeCode.objects.create(
            ticket=ticket,
            code_hash=_hash(f"{ticket.pk}:{code}"),
            expires_at=now + dt.timedelta(minutes=OTP_MINUTES),
        )
        sms = texts.sms_otp(otp=code, language=ticket.language)
        notification_queue(
            channel=NotificationChannel.SMS, recipient=ticket.mobile, body=sms, ticket=ticket
        )


def otp_verify(*, ticket: Ticket, code: str) -> bool:
    """Whether ``code`` is the ticket's current code; each code allows three tries and one use."""
    now = timezone.now()
    with transaction.atomic():
        current = (
            OneTimeCode.objects.select_for_update()
            .filter(
                ticket=ticket, used_at__isnull=True, expires_at__gt=now, tries__lt=OTP_MAX_TRIES
            )
            .order_by("-created_at")
            .first()
        )
        if current is None:
            return False
        if hmac.compare_digest(current.code_hash, _hash(f"{ticket.pk}:{code}")):
            current.used_at = now
            current.save(update_fields=["used_at"])
            return True
        current.tries += 1
        current.save(update_fields=["tries"])
        return False


# ----------------------------------------------------------------------------- survey


def _survey_invite(ticket: Ticket, now: dt.datetime) -> str:
    """Create a one-time survey link for an answered ticket and text it to the requester."""
    # 96 random bits, single use, 30 days, stored hashed: ample, and a short link keeps
    # the SMS within DESK_SMS_MAX_SEGMENTS.
    token = secrets.token_urlsafe(12)
    SurveyInvitation.objects.create(
        ticket=ticket, token_hash=_hash(token), expires_at=now + dt.timedelta(days=SURVEY_LINK_DAYS)
    )
    sms = texts.sms_survey(link=_link("desk:survey-token", token), language=ticket.language)
    with translation.override(ticket.language):
        _notify_requester(ticket, sms, subject=_("How did we do?"))
    return token


def survey_invite(*, ticket: Ticket) -> str:
    """A new one-time survey link for ``ticket``; returns the token (shown once, stored hashed)."""
    with transaction.atomic():
        return _survey_invite(ticket, timezone.now())


def survey_invitation_check(*, token: str) -> SurveyInvitation:
    """The unused, unexpired invitation for ``token``, or :class:`DeskError`."""
    invitation = (
        SurveyInvitation.objects.select_related("ticket")
        .filter(token_hash=_hash(token), used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if invitation is None:
        raise DeskError(DeskErrorCode.SURVEY_TOKEN)
    return invitation


def survey_submit(
    *, score: int, comment: str = "", token: str = "", ticket: Ticket | None = None
) -> SurveyResponse:
    """Store a rating: by one-time link (``token``), for a looked-up ``ticket``, or standalone.

    A token is spent by its use; a ticket keeps only its first rating.
    """
    now = timezone.now()
    with transaction.atomic():
        if token:
            invitation = (
                SurveyInvitation.objects.select_for_update()
                .filter(token_hash=_hash(token), used_at__isnull=True, expires_at__gt=now)
                .first()
            )
            if invitation is None:
                raise DeskError(DeskErrorCode.SURVEY_TOKEN)
            invitation.used_at = now
            invitation.save(update_fields=["used_at"])
            ticket = invitation.ticket
        if ticket is not None:
            if SurveyResponse.objects.filter(ticket=ticket).exists():
                raise DeskError(DeskErrorCode.SURVEY_TOKEN)
            SurveyInvitation.objects.filter(ticket=ticket, used_at__isnull=True).update(used_at=now)
            _event(ticket, EventAction.RATED, new=str(score))
        return SurveyResponse.objects.create(
            ticket=ticket,
            source=SurveySource.TICKET if ticket is not None else SurveySource.STANDALONE,
            score=score,
            comment=comment,
            created_at=now,
        )


# ----------------------------------------------------------------------------- escalation


def ticket_escalate_if_breached(
    *, ticket_id: int, now: dt.datetime | None = None, reschedule: bool = False
) -> list[str]:
    """Warn once when a target is at risk, escalate once when it is missed.

    At 75% of a target the assigned officer (or, with none, the supervisors) is
    warned; past the deadline the supervisors are told. Returns what this call did:
    ``"first_response"``/``"resolution"`` for escalations, ``"at_risk:<target>"``
    for warnings. Safe to run any number of times: a conditional update claims each
    step, so two workers never both send it. With ``reschedule`` (the deferred
    task's own run) a warned target arms one more check at its deadline.
    """
    now = now or timezone.now()
    done: list[str] = []
    with transaction.atomic():
        ticket = Ticket.objects.select_related("policy", "assigned_to").filter(pk=ticket_id).first()
        if ticket is None or ticket.status not in OPEN_STATUSES:
            return done
        targets = [
            (SlaTarget.FIRST_RESPONSE, ticket.first_response_at, ticket.due_first_response),
            (SlaTarget.RESOLUTION, ticket.answered_at, ticket.due_resolution),
        ]
        for target, completed, due in targets:
            if completed is not None or due is None:
                continue
            warned_field, escalated_field = f"warned_{target}_at", f"escalated_{target}_at"
            if due < now:
                # Past the deadline a warning would come too late: the escalation says it all.
                if _claim(ticket, escalated_field, now):
                    _claim(ticket, warned_field, now)
                    done.append(target)
                    _event(ticket, EventAction.ESCALATED, new=target)
                    _notify_supervisors(ticket, target)
                continue
            warn_at = _warn_moment(ticket, target)
            if warn_at is not None and warn_at <= now and _claim(ticket, warned_field, now):
                done.append(f"at_risk:{target}")
                _event(ticket, EventAction.AT_RISK, new=target)
                _warn_officer(ticket, target, due)
        if reschedule:
            _rearm(ticket, now)
    return done


def _rearm(ticket: Ticket, now: dt.datetime) -> None:
    """Enqueue the ticket's next check after this one (the claims above changed the row)."""
    from amargah.desk import tasks

    ticket.refresh_from_db(
        fields=[f"{step}_{target}_at" for step in ("warned", "escalated") for target in SlaTarget]
    )
    moment = _next_check(ticket)
    if moment is not None:
        # Never the same instant again: a check that could not act must not spin.
        moment = max(moment, now + dt.timedelta(minutes=1))
        enqueue_with_transaction(tasks.escalate_ticket, ticket.pk, when=moment)


def _claim(ticket: Ticket, field: str, now: dt.datetime) -> bool:
    """Set a once-only timestamp if it is still empty; whether this call set it."""
    return bool(
        Ticket.objects.filter(pk=ticket.pk, **{f"{field}__isnull": True}).update(**{field: now})
    )


def _warn_officer(ticket: Ticket, target: str, due: dt.datetime) -> None:
    link = _link("desk:staff-ticket", str(ticket.pk))
    recipients = [ticket.assigned_to] if ticket.assigned_to else list(selectors.supervisors())
    for user in recipients:
        if not user.email:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Deadline near on ticket %(code)s") % {"code": ticket.tracking_code}
            body = _(
                "The %(target)s target of ticket %(code)s falls due on %(date)s. Open it: %(link)s"
            ) % {
                "target": SlaTarget(target).label,
                "code": ticket.tracking_code,
                "date": format_datetime(due, settings.LANGUAGE_CODE),
                "link": link,
            }
        notification_queue(
            channel=NotificationChannel.EMAIL,
            recipient=user.email,
            subject=subject,
            body=body,
            ticket=ticket,
        )


def _notify_supervisors(ticket: Ticket, target: str) -> None:
    link = _link("desk:staff-ticket", str(ticket.pk))
    for supervisor in selectors.supervisors():
        if not supervisor.email:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("SLA missed on ticket %(code)s") % {"code": ticket.tracking_code}
            body = _("The %(target)s target of ticket %(code)s was missed. Open it: %(link)s") % {
                "target": SlaTarget(target).label,
                "code": ticket.tracking_code,
                "link": link,
            }
        notification_queue(
            channel=NotificationChannel.EMAIL,
            recipient=supervisor.email,
            subject=subject,
            body=body,
            ticket=ticket,
        )


def escalate_breaches(*, now: dt.datetime | None = None) -> int:
    """Warn of every target at risk and escalate every missed one, once each; return how many."""
    now = now or timezone.now()
    candidates = selectors.tickets_owing_targets()
    return sum(len(ticket_escalate_if_breached(ticket_id=pk, now=now)) for pk in candidates)


# ----------------------------------------------------------------------------- retention

REMOVED = "—"


def tickets_due_for_anonymisation(*, now: dt.datetime | None = None) -> list[int]:
    """Tickets concluded more than ``DESK_RETENTION_DAYS`` ago and not yet anonymised.

    Closed tickets count from their closing; answered, rejected or referred ones
    that nobody closed count from their conclusion (the requester had the whole
    period to reply, which would have reopened them).
    """
    now = now or timezone.now()
    before = now - dt.timedelta(days=settings.DESK_RETENTION_DAYS)
    return list(
        Ticket.objects.filter(anonymised_at__isnull=True)
        .filter(
            Q(status=TicketStatus.CLOSED, closed_at__lt=before)
            | Q(status__in=CONCLUDED_STATUSES, answered_at__lt=before)
        )
        .values_list("pk", flat=True)
    )


def ticket_anonymise(*, ticket_id: int, now: dt.datetime | None = None) -> bool:
    """Remove the requester's personal data and every free text from one ticket.

    Erased: name, organisation, mobile, e-mail, national and company IDs, postal code,
    subject, texts of the request, of the messages and of the rating's comment, the
    files (from storage too), the confirmation codes, unused survey links and the
    addresses and texts in the outbox. Kept: kind, channel, requester kind, dates,
    SLA deadlines and their outcome, status, outcome, legal basis, body referred to,
    the score and the audit trail (staff actions), so the performance figures stay
    the same. Returns False when the ticket was already anonymised.
    """
    now = now or timezone.now()
    files: list[Attachment] = []
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None or ticket.anonymised_at is not None:
            return False
        for name in (
            "full_name",
            "organisation",
            "mobile",
            "email",
            "national_id",
            "company_id",
            "postal_code",
            "period",
            "area",
        ):
            setattr(ticket, name, "")
        ticket.subject = REMOVED
        ticket.body = REMOVED
        ticket.anonymised_at = now
        ticket.save()
        Message.objects.filter(ticket=ticket).update(body=REMOVED)
        files = list(Attachment.objects.filter(message__ticket=ticket))
        Attachment.objects.filter(message__ticket=ticket).delete()
        OneTimeCode.objects.filter(ticket=ticket).delete()
        SurveyInvitation.objects.filter(ticket=ticket, used_at__isnull=True).delete()
        SurveyResponse.objects.filter(ticket=ticket).update(comment="")
        Notification.objects.filter(ticket=ticket).update(
            recipient=REMOVED, subject="", body=REMOVED
        )
        _event(ticket, EventAction.ANONYMISED)
        # The files go only once the erasure is committed: a rollback keeps them.
        transaction.on_commit(lambda: _delete_files(files))
    return True


def _delete_files(attachments: Sequence[Attachment]) -> None:
    for attachment in attachments:
        attachment.file.delete(save=False)


def tickets_anonymise_expired(*, now: dt.datetime | None = None) -> int:
    """Anonymise every ticket past the retention period; return how many were anonymised."""
    return sum(
        ticket_anonymise(ticket_id=pk, now=now) for pk in tickets_due_for_anonymisation(now=now)
    )
