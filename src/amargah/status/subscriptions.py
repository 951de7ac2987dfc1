"""Subscribers to status announcements: double opt-in, notices, unsubscribing.

A citizen gives an e-mail address or a mobile number (no account). A code goes to the
address; the subscription counts only once the code is entered (or the e-mail's link
followed and confirmed). When staff post an incident, an update or a maintenance
window, every active subscriber gets a short notice in their language through the
office's channels (``amargah.desk.notifications``), written in the same transaction as
the announcement and sent by the worker after the commit; a refused send is recorded
and retried. Every message carries the link that ends the subscription.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from amargah.core.dates import format_datetime, format_number
from amargah.core.tasks import enqueue_with_transaction
from amargah.desk.notifications import deliver, retry_delay
from amargah.status.choices import (
    AnnouncementKind,
    IncidentStatus,
    NoticeStatus,
    SubscriberChannel,
    SubscriberState,
)
from amargah.status.models import (
    Announcement,
    Incident,
    IncidentUpdate,
    Maintenance,
    Notice,
    Subscriber,
)

logger = logging.getLogger(__name__)

#: A confirmation code is valid this long, for this many tries.
CODE_LIFETIME = dt.timedelta(hours=24)
CODE_TRIES = 5
#: A new code is not sent to the same address sooner than this (no message flooding).
CODE_RESEND_AFTER = dt.timedelta(minutes=2)
#: Sends that fail are retried this many times, with growing delays.
MAX_ATTEMPTS = 6


class SubscriptionError(ValidationError):
    """A confirmation that cannot be accepted; ``code`` says why."""


def _hash(subscriber: Subscriber, code: str) -> str:
    # Keyed with the secret key and the subscriber's token: a leaked table reveals no code.
    key = f"{settings.SECRET_KEY}:{subscriber.confirm_token}".encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def _public(path: str) -> str:
    return f"{getattr(settings, 'DESK_PUBLIC_URL', '').rstrip('/')}{path}"


def unsubscribe_url(subscriber: Subscriber) -> str:
    """The absolute link that ends a subscription (in every message)."""
    return _public(reverse("status:unsubscribe", args=[subscriber.unsubscribe_token]))


def _queue_single(notice: Notice) -> None:
    from amargah.status import tasks

    enqueue_with_transaction(tasks.send_notice, notice.pk)


@transaction.atomic
def subscribe(*, channel: SubscriberChannel, address: str, language: str) -> Subscriber:
    """Start (or restart) a subscription and send its confirmation code; return the subscriber.

    ``address`` is already validated and normalised (lower-case e-mail, 09XXXXXXXXX).
    An active subscription stays active and is answered like a pending one; a code is
    not resent to one address within ``CODE_RESEND_AFTER``.
    """
    now = timezone.now()
    subscriber, created = Subscriber.objects.select_for_update().get_or_create(
        channel=channel,
        address=address,
        defaults={
            "language": language,
            "confirm_token": secrets.token_urlsafe(24),
            "unsubscribe_token": secrets.token_urlsafe(12),
        },
    )
    # An active subscription is treated as a pending one (a fresh code, the same page),
    # so the form never tells whether an address is subscribed; it stays active.
    if (
        not created
        and subscriber.state in (SubscriberState.PENDING, SubscriberState.ACTIVE)
        and subscriber.code_sent_at is not None
        and now - subscriber.code_sent_at < CODE_RESEND_AFTER
    ):
        return subscriber
    code = f"{secrets.randbelow(1_000_000):06d}"
    if subscriber.state != SubscriberState.ACTIVE:
        subscriber.state = SubscriberState.PENDING
    subscriber.language = language
    subscriber.confirm_token = (
        secrets.token_urlsafe(24) if not created else subscriber.confirm_token
    )
    subscriber.code_hash = _hash(subscriber, code)
    subscriber.code_sent_at = now
    subscriber.code_tries = 0
    subscriber.unsubscribed_at = None
    subscriber.save()
    confirm = _public(reverse("status:subscribe-confirm", args=[subscriber.confirm_token]))
    with translation.override(language):
        if channel == SubscriberChannel.SMS:
            text = gettext("Amargah status alerts: your code is %(code)s") % {"code": code}
        else:
            text = gettext(
                "Your code is %(code)s. To receive the statistics office's service status "
                "announcements, enter it or open this link and confirm:\n%(link)s\n\n"
                "If you did not ask for this, ignore this message: nothing is sent "
                "without confirmation."
            ) % {"code": code, "link": f"{confirm}?code={code}"}
        subject = gettext("Confirm your subscription to service status announcements")
    _queue_single(Notice.objects.create(subscriber=subscriber, subject=subject, text=text))
    return subscriber


def confirm(*, confirm_token: str, code: str) -> Subscriber:
    """Confirm a pending subscription with the code sent to its address.

    Raises ``SubscriptionError`` (codes ``unknown``, ``expired``, ``too_many``, ``wrong``);
    a wrong code counts against ``CODE_TRIES`` (the count is kept although it is refused).
    """
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update().filter(confirm_token=confirm_token).first()
        )
        if subscriber is None:
            raise SubscriptionError(_("This confirmation link is not valid."), code="unknown")
        # An active subscription answers exactly as a pending one (the same errors for a
        # wrong code), so the pages never tell whether an address is subscribed.
        if (
            subscriber.state not in (SubscriberState.PENDING, SubscriberState.ACTIVE)
            or subscriber.code_sent_at is None
            or timezone.now() - subscriber.code_sent_at > CODE_LIFETIME
        ):
            raise SubscriptionError(
                _("This code has expired; subscribe again to get a new one."), code="expired"
            )
        if subscriber.code_tries >= CODE_TRIES:
            raise SubscriptionError(
                _("Too many wrong codes; subscribe again to get a new one."), code="too_many"
            )
        right = hmac.compare_digest(subscriber.code_hash, _hash(subscriber, code.strip()))
        if right:
            if subscriber.state != SubscriberState.ACTIVE:
                subscriber.state = SubscriberState.ACTIVE
                subscriber.confirmed_at = timezone.now()
                subscriber.save(update_fields=["state", "confirmed_at"])
            return subscriber
        subscriber.code_tries += 1
        subscriber.save(update_fields=["code_tries"])
    # Raised after the commit, so the counted try stands.
    raise SubscriptionError(
        _("The code is not right; %(left)s tries left.")
        % {
            "left": format_number(
                max(CODE_TRIES - subscriber.code_tries, 0), translation.get_language() or "fa"
            )
        },
        code="wrong",
    )


@transaction.atomic
def unsubscribe(*, unsubscribe_token: str) -> Subscriber | None:
    """End a subscription; its unsent notices are cancelled. None for an unknown link."""
    subscriber = (
        Subscriber.objects.select_for_update().filter(unsubscribe_token=unsubscribe_token).first()
    )
    if subscriber is None:
        return None
    if subscriber.state != SubscriberState.UNSUBSCRIBED:
        subscriber.state = SubscriberState.UNSUBSCRIBED
        subscriber.unsubscribed_at = timezone.now()
        subscriber.code_hash = ""
        subscriber.save(update_fields=["state", "unsubscribed_at", "code_hash"])
        subscriber.notices.filter(status=NoticeStatus.PENDING).update(status=NoticeStatus.CANCELLED)
    return subscriber


# ---------------------------------------------------------------------------- announcements


def _texts(announcement: Announcement, language: str) -> tuple[str, str, str, str]:
    """Subject, e-mail body, SMS text and unsubscribe line (``%(link)s``) in ``language``."""
    status_link = _public(reverse("status:status"))
    english = language == "en"
    with translation.override(language):
        if announcement.kind == AnnouncementKind.MAINTENANCE:
            window = announcement.maintenance
            if window is None:
                raise ValueError(f"announcement {announcement.pk} names no maintenance window")
            title = window.title_en if english else window.title_fa
            values = {
                "title": title,
                "start": format_datetime(window.starts_at, language),
                "end": format_datetime(window.ends_at, language),
            }
            subject = gettext("Planned maintenance: %(title)s") % values
            sms = gettext("Planned maintenance %(start)s: %(title)s") % values
            detail = window.description_en if english else window.description_fa
            body = gettext("Planned maintenance: %(title)s\nFrom %(start)s to %(end)s.") % values
        else:
            incident: Incident | None = announcement.incident
            update: IncidentUpdate | None = announcement.update
            if incident is None and update is not None:
                incident = update.incident
            if incident is None:
                raise ValueError(f"announcement {announcement.pk} names no incident")
            if update is None:
                update = incident.updates.order_by("posted_at", "id").first()
            title = incident.title_en if english else incident.title_fa
            values = {
                "title": title,
                "impact": str(incident.get_impact_display()),
                "status": str(IncidentStatus(update.status).label if update else ""),
            }
            detail = (update.message_en if english else update.message_fa) if update else ""
            if announcement.kind == AnnouncementKind.INCIDENT:
                subject = gettext("Service incident: %(title)s") % values
                sms = gettext("Service incident (%(impact)s): %(title)s") % values
                body = gettext("Service incident: %(title)s\nImpact: %(impact)s.") % values
            else:
                subject = gettext("Update (%(status)s): %(title)s") % values
                sms = gettext("Update (%(status)s): %(title)s") % values
                body = gettext("Update on %(title)s: %(status)s.") % values
        footer = gettext("Stop these messages: %(link)s")
    email = "\n\n".join(part for part in (body, detail, status_link) if part)
    return subject[:200], email, sms, footer


def announce(
    *,
    kind: AnnouncementKind,
    incident: Incident | None = None,
    update: IncidentUpdate | None = None,
    maintenance: Maintenance | None = None,
) -> Announcement:
    """Tell every active subscriber of what staff just posted, in the caller's transaction.

    The notices are written now and sent by the worker after the commit.
    """
    announcement = Announcement.objects.create(
        kind=kind, incident=incident, update=update, maintenance=maintenance
    )
    texts = {language: _texts(announcement, language) for language in ("fa", "en")}
    notices = []
    for subscriber in Subscriber.objects.filter(state=SubscriberState.ACTIVE).iterator():
        subject, email, sms, footer = texts["en" if subscriber.language == "en" else "fa"]
        stop = footer % {"link": unsubscribe_url(subscriber)}
        if subscriber.channel == SubscriberChannel.SMS:
            text = f"{sms}\n{stop}"
        else:
            text = f"{email}\n\n{stop}"
        notices.append(
            Notice(subscriber=subscriber, announcement=announcement, subject=subject, text=text)
        )
    Notice.objects.bulk_create(notices, batch_size=500)
    if notices:
        from amargah.status import tasks

        enqueue_with_transaction(tasks.send_announcement, announcement.pk)
    return announcement


def notice_send(*, notice_id: int, now: dt.datetime | None = None) -> str:
    """Send one pending notice; a failure is recorded and retried later; return its status.

    An announcement to someone who has unsubscribed meanwhile is cancelled, not sent.
    """
    now = now or timezone.now()
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(of=("self",))
            .select_related("subscriber")
            .filter(pk=notice_id, status=NoticeStatus.PENDING)
            .first()
        )
        if notice is None:
            return "skipped"
        subscriber = notice.subscriber
        if notice.announcement_id is not None and subscriber.state != SubscriberState.ACTIVE:
            notice.status = NoticeStatus.CANCELLED
            notice.save(update_fields=["status"])
            return str(notice.status)
        notice.attempts += 1
        try:
            deliver(
                channel=subscriber.channel,
                to=subscriber.address,
                subject=notice.subject,
                body=notice.text,
            )
        # Any provider failure is recorded and retried: a notice is never lost to it.
        except Exception as error:
            notice.last_error = f"{type(error).__name__}: {error}"[:300]
            if notice.attempts >= MAX_ATTEMPTS:
                notice.status = NoticeStatus.FAILED
            else:
                notice.next_attempt_at = now + retry_delay(notice.attempts)
            logger.warning("status notice %s failed (attempt %s)", notice.pk, notice.attempts)
        else:
            notice.status = NoticeStatus.SENT
            notice.sent_at = now
            notice.last_error = ""
        notice.save()
    return str(notice.status)


def announcement_send(
    *, announcement_id: int, now: dt.datetime | None = None
) -> dt.datetime | None:
    """Send an announcement's due notices; return when the next retry is due (None: done)."""
    now = now or timezone.now()
    due = Notice.objects.filter(
        announcement_id=announcement_id, status=NoticeStatus.PENDING, next_attempt_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due):
        notice_send(notice_id=pk, now=now)
    waiting = Notice.objects.filter(announcement_id=announcement_id, status=NoticeStatus.PENDING)
    return waiting.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()


def notices_send_due(*, now: dt.datetime | None = None) -> int:
    """Send every pending notice whose next attempt is due; return how many were tried."""
    now = now or timezone.now()
    due = list(
        Notice.objects.filter(status=NoticeStatus.PENDING, next_attempt_at__lte=now).values_list(
            "pk", flat=True
        )[:1000]
    )
    for pk in due:
        notice_send(notice_id=pk, now=now)
    return len(due)
