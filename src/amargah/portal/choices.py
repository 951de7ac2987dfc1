"""Kinds and states of the portal's records."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StudyKind(models.TextChoices):
    CENSUS = "census", _("Census")
    SURVEY = "survey", _("Sample survey")
    ADMINISTRATIVE = "administrative", _("Administrative data")


class ReleaseStatus(models.TextChoices):
    """A release is announced as scheduled and becomes public only when published."""

    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class VariableKind(models.TextChoices):
    CATEGORICAL = "categorical", _("Categorical")
    NUMERIC = "numeric", _("Numeric")
