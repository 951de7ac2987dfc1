"""Notifications of statistical production: the site's inbox, then SMS and e-mail.

``notify`` writes the message to the recipient's inbox and one ``Delivery`` per outside
channel (SMS when the user has a mobile number in their ``Contact``, e-mail when the
account has an address) in the caller's transaction, so an acknowledged change never
loses its message. The worker sends each delivery after the commit through the
office's channels (``amargah.desk.notifications``); a refused send is recorded and
retried with growing delays, and never touches the change that caused it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise

from amargah.core.tasks import enqueue_with_transaction
from amargah.desk.notifications import deliver, retry_delay
from amargah.desk.texts import ucs2_units
from amargah.production.choices import DeliveryChannel, DeliveryStatus
from amargah.production.models import Contact, Delivery, Notification

logger = logging.getLogger(__name__)

#: One SMS segment in UCS-2 (the encoding every Persian text needs) holds 70 characters.
SMS_SEGMENT = 70


def fit_sms(template: str, values: Mapping[str, str], *, limit: int = SMS_SEGMENT) -> str:
    """``template % values`` shortened to ``limit`` UCS-2 units by clipping the longest values.

    The fixed words of the message stay whole; a clipped value ends with "…".
    """
    values = dict(values)
    text = template % values if values else template
    while ucs2_units(text) > limit and values:
        name = max(values, key=lambda key: len(values[key]))
        value = values[name]
        keep = len(value) - (ucs2_units(text) - limit) - 1
        clipped = value[: max(keep, 1)].rstrip() + "…"
        if len(clipped) >= len(value):
            break
        values[name] = clipped
        text = template % values
    # Last resort when the fixed words alone are too long for one segment.
    while ucs2_units(text) > limit:
        text = text[:-1]
    return text


def _render(text: str | Promise, values: Mapping[str, str]) -> str:
    return str(text) % values if values else str(text)


def max_attempts() -> int:
    """How many times a delivery is tried before it is marked failed."""
    return int(getattr(settings, "PRODUCTION_NOTIFY_MAX_ATTEMPTS", 6))


def notify(
    *,
    recipients: Iterable[User],
    subject: str | Promise,
    body: str | Promise,
    sms: str | Promise,
    params: Mapping[str, object] | None = None,
    link: str = "",
) -> int:
    """Tell users something: their inbox now, SMS and e-mail after the commit; return how many.

    Messages are written in the office's language (Persian), whoever triggered them.
    ``sms`` is the short form for one SMS segment (its values are clipped to fit).
    """
    with translation.override(settings.LANGUAGE_CODE):
        values = {name: str(value) for name, value in (params or {}).items()}
        subject_text = _render(subject, values)[:200]
        body_text = _render(body, values)
        sms_text = fit_sms(str(sms), values)
    public = getattr(settings, "DESK_PUBLIC_URL", "").rstrip("/")
    email_text = f"{body_text}\n\n{public}{link}" if link else body_text
    people = {user.pk: user for user in recipients}
    mobiles = dict(
        Contact.objects.filter(user_id__in=people)
        .exclude(mobile="")
        .values_list("user_id", "mobile")
    )
    now = timezone.now()
    queued: list[int] = []
    for recipient in people.values():
        note = Notification.objects.create(
            recipient=recipient, subject=subject_text, body=body_text, link=link, created_at=now
        )
        if recipient.pk in mobiles:
            queued.append(
                Delivery.objects.create(
                    notification=note,
                    channel=DeliveryChannel.SMS,
                    address=mobiles[recipient.pk],
                    text=sms_text,
                    next_attempt_at=now,
                ).pk
            )
        if recipient.email:
            queued.append(
                Delivery.objects.create(
                    notification=note,
                    channel=DeliveryChannel.EMAIL,
                    address=recipient.email,
                    subject=subject_text,
                    text=email_text,
                    next_attempt_at=now,
                ).pk
            )
    if queued:
        from amargah.production import tasks

        for pk in queued:
            enqueue_with_transaction(tasks.send_delivery, pk)
    return len(people)


def delivery_send(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    """Send one pending delivery; on failure record it and schedule a retry; return its status.

    After ``max_attempts()`` failures the delivery is marked failed (the message stays
    in the recipient's inbox on the site).
    """
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return "skipped"
        delivery.attempts += 1
        try:
            deliver(
                channel=delivery.channel,
                to=delivery.address,
                subject=delivery.subject,
                body=delivery.text,
            )
        # Any failure of a provider (or of its adapter) is recorded and retried: the
        # message must not be lost because one send went wrong.
        except Exception as error:
            delivery.last_error = f"{type(error).__name__}: {error}"[:300]
            if delivery.attempts >= max_attempts():
                delivery.status = DeliveryStatus.FAILED
            else:
                delivery.next_attempt_at = now + retry_delay(delivery.attempts)
            logger.warning(
                "production delivery %s failed (attempt %s)", delivery.pk, delivery.attempts
            )
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = now
            delivery.last_error = ""
            if delivery.channel == DeliveryChannel.EMAIL:
                Notification.objects.filter(pk=delivery.notification_id).update(emailed_at=now)
        delivery.save()
        if delivery.status == DeliveryStatus.PENDING:
            from amargah.production import tasks

            enqueue_with_transaction(
                tasks.send_delivery, delivery.pk, when=delivery.next_attempt_at
            )
    return str(delivery.status)


def deliveries_send_due(*, now: dt.datetime | None = None) -> int:
    """Try every pending delivery whose next attempt is due; return how many were tried."""
    now = now or timezone.now()
    due = list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)
    )
    for pk in due:
        delivery_send(delivery_id=pk, now=now)
    return len(due)
