"""The disclosure-control rules each study's tables are held to."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from amargah.disclosure.choices import ProtectionMethod, PublicUseFileStatus
from amargah.portal.models import Study


class StudyRules(models.Model):
    """The rules a study's releases must pass (the publication gate reads them).

    A study without rules is still checked for what needs no configuration: estimates
    above the office's CV limit carry no value, and no suppressed cell can be
    recovered from the published ones.
    """

    study = models.OneToOneField(
        Study, on_delete=models.CASCADE, related_name="disclosure_rules", verbose_name=_("study")
    )
    method = models.CharField(
        _("protection of frequency tables"),
        max_length=20,
        choices=ProtectionMethod.choices,
        default=ProtectionMethod.SUPPRESSION,
    )
    threshold = models.PositiveSmallIntegerField(
        _("minimum contributors per cell"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("A non-empty cell with fewer contributors is withheld."),
    )
    rounding_base = models.PositiveSmallIntegerField(
        _("rounding base"),
        default=5,
        validators=[MinValueValidator(2)],
        help_text=_("With controlled rounding, every count is a multiple of this."),
    )
    dominance_n = models.PositiveSmallIntegerField(
        _("dominance rule: n"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    dominance_k = models.FloatField(
        _("dominance rule: k (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(100.0)],
    )
    p_percent = models.FloatField(
        _("p% rule: p (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(100.0)],
    )
    cv_reliable = models.FloatField(
        _("reliable below CV"),
        default=0.15,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("As a fraction: 0.15 is 15%."),
    )
    cv_publishable = models.FloatField(
        _("publishable below CV"),
        default=0.30,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Estimates with a larger CV are published without a value."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("disclosure rules of a study")
        verbose_name_plural = _("disclosure rules of studies")
        constraints = [
            models.CheckConstraint(
                condition=Q(cv_reliable__gt=0) & Q(cv_reliable__lte=models.F("cv_publishable")),
                name="rules_cv_order",
            ),
            models.CheckConstraint(
                condition=(Q(dominance_n__isnull=True) & Q(dominance_k__isnull=True))
                | (Q(dominance_n__isnull=False) & Q(dominance_k__isnull=False)),
                name="rules_dominance_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.study.code}: {self.get_method_display()}"


class PublicUseFile(models.Model):
    """A public-use microdata file of a study: recoded, top-coded, k-anonymous on its keys.

    The file itself is in the content-addressed store, as CSV and as Parquet; the
    fields record how it was made (its documentation) and its risk report. Only a
    published file is downloadable, without login.
    """

    study = models.ForeignKey(
        Study,
        on_delete=models.PROTECT,
        related_name="public_use_files",
        verbose_name=_("study"),
    )
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PublicUseFileStatus.choices,
        default=PublicUseFileStatus.DRAFT,
    )
    source = models.CharField(_("source microdata file"), max_length=200)
    keys = models.JSONField(_("key variables"), default=list)
    k = models.PositiveSmallIntegerField(
        _("k (smallest group on the keys)"), validators=[MinValueValidator(2)]
    )
    recodes = models.JSONField(_("global recodes"), default=dict, blank=True)
    top_codes = models.JSONField(_("top-codes"), default=dict, blank=True)
    dropped = models.JSONField(_("variables dropped"), default=list, blank=True)
    local_suppression = models.BooleanField(_("local suppression to reach k"), default=True)
    columns = models.JSONField(_("variables in the file"), default=list)
    rows = models.PositiveIntegerField(_("records"))
    csv_sha256 = models.CharField(_("CSV file checksum"), max_length=64)
    parquet_sha256 = models.CharField(_("Parquet file checksum"), max_length=64)
    risk = models.JSONField(_("risk report"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("built by"),
    )
    created_at = models.DateTimeField(_("built at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("public-use microdata file")
        verbose_name_plural = _("public-use microdata files")
        ordering = ("study", "-version")
        permissions = [
            ("build_publicusefile", _("Can build public-use microdata files")),
            ("publish_publicusefile", _("Can publish public-use microdata files")),
        ]
        constraints = [
            models.UniqueConstraint(fields=("study", "version"), name="puf_study_version"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="puf_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.study.code} PUF v{self.version}"
