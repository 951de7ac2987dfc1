"""Kinds and codes of the disclosure-control app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProtectionMethod(models.TextChoices):
    """How a study's frequency tables are protected before publication."""

    SUPPRESSION = "suppression", _("Cell suppression (primary and secondary)")
    CELL_KEY = "cell_key", _("Cell-key perturbation")
    ROUNDING = "rounding", _("Controlled rounding")


class PublicUseFileStatus(models.TextChoices):
    """Where a public-use microdata file stands."""

    DRAFT = "draft", _("Draft (staff only)")
    PUBLISHED = "published", _("Published")


class DisclosureErrorCode(models.TextChoices):
    """Machine-readable reasons a table or a builder request is refused."""

    THRESHOLD = "threshold", _("Too few contributors")
    RECOVERABLE = "recoverable", _("Suppressed cell recoverable from the margins")
    UNRELIABLE = "unreliable", _("Estimate too unreliable to publish")
    NOT_ROUNDED = "not_rounded", _("Count not rounded to the base")
    TOO_MANY_VARIABLES = "too_many_variables", _("Too many variables")
    TOO_MANY_CELLS = "too_many_cells", _("Too many cells")
    UNKNOWN_VARIABLE = "unknown_variable", _("Unknown variable")
    NO_VARIABLE = "no_variable", _("No variable chosen")
    NO_MICRODATA = "no_microdata", _("No microdata for the study")
    BAD_PUBLIC_USE_FILE = "bad_public_use_file", _("Invalid public-use file request")
    NOT_K_ANONYMOUS = "not_k_anonymous", _("Public-use file not k-anonymous")
