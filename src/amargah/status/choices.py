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
