"""Statuses of the service's components, incidents and maintenance windows."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ComponentStatus(models.TextChoices):
    """A component's state, worst last (the order ranks them)."""

    OPERATIONAL = "operational", _("Operational")
    MAINTENANCE = "maintenance", _("Under maintenance")
    DEGRADED = "degraded", _("Degraded performance")
    PARTIAL_OUTAGE = "partial_outage", _("Partial outage")
    MAJOR_OUTAGE = "major_outage", _("Major outage")


class Impact(models.TextChoices):
    """What an incident does to the components it affects."""

    DEGRADED = "degraded", _("Degraded performance")
    PARTIAL_OUTAGE = "partial_outage", _("Partial outage")
    MAJOR_OUTAGE = "major_outage", _("Major outage")


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")


class MaintenancePhase(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


# Share of a minute counted as down, by impact (the Statuspage rule the office
# publishes: a major outage counts whole, a partial one 30%, degraded not at all).
DOWNTIME_WEIGHT = {
    Impact.DEGRADED: 0.0,
    Impact.PARTIAL_OUTAGE: 0.3,
    Impact.MAJOR_OUTAGE: 1.0,
}

STATUS_RANK = {status: rank for rank, status in enumerate(ComponentStatus)}


class SubscriberChannel(models.TextChoices):
    """How a subscriber hears of announcements."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS to a mobile number")


class SubscriberState(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    ACTIVE = "active", _("Subscribed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class AnnouncementKind(models.TextChoices):
    """What staff posted that subscribers hear of."""

    INCIDENT = "incident", _("New incident")
    UPDATE = "update", _("Incident update")
    MAINTENANCE = "maintenance", _("Planned maintenance")


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed after every retry")
    CANCELLED = "cancelled", _("Not sent: unsubscribed")
