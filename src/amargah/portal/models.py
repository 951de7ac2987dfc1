"""Studies with their documentation, published tables, their releases, and the glossary."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from amargah.portal.choices import ReleaseStatus, StudyKind, VariableKind


class Study(models.Model):
    """A census or survey with its metadata (the DDI-Codebook study description)."""

    code = models.SlugField(_("code"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=StudyKind.choices)
    title_fa = models.CharField(_("title (Persian)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300)
    abstract_fa = models.TextField(_("abstract (Persian)"))
    abstract_en = models.TextField(_("abstract (English)"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    coverage_fa = models.CharField(_("coverage (Persian)"), max_length=300)
    coverage_en = models.CharField(_("coverage (English)"), max_length=300)
    universe_fa = models.TextField(_("universe (Persian)"))
    universe_en = models.TextField(_("universe (English)"))
    methodology_fa = models.TextField(_("methodology (Persian, Markdown)"))
    methodology_en = models.TextField(_("methodology (English, Markdown)"))
    sampling_fa = models.TextField(_("sample design (Persian)"), blank=True)
    sampling_en = models.TextField(_("sample design (English)"), blank=True)
    response_rate = models.FloatField(
        _("response rate (AAPOR RR1, fraction)"), null=True, blank=True
    )
    cases = models.PositiveIntegerField(_("records"), default=0)
    producer_fa = models.CharField(_("producer (Persian)"), max_length=300)
    producer_en = models.CharField(_("producer (English)"), max_length=300)

    class Meta:
        ordering = ["-period_end", "code"]
        verbose_name = _("study")
        verbose_name_plural = _("studies")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="study_period_order"
            ),
        ]

    def __str__(self) -> str:
        return self.title_en


class Variable(models.Model):
    """A variable of a study's microdata, documented as DDI-Codebook's ``var``."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="variables")
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=20, choices=VariableKind.choices)
    label_fa = models.CharField(_("label (Persian)"), max_length=300)
    label_en = models.CharField(_("label (English)"), max_length=300)
    question_fa = models.TextField(_("question text (Persian)"), blank=True)
    question_en = models.TextField(_("question text (English)"), blank=True)
    universe = models.CharField(_("universe"), max_length=200, blank=True)
    # [{"code": "1", "fa": "...", "en": "...", "frequency": 123}]
    categories = models.JSONField(_("categories"), default=list, blank=True)
    # {"valid": n, "missing": n, "mean": x, "min": x, "max": x, "median": x}
    summary = models.JSONField(_("summary statistics"), default=dict, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["study", "order", "name"]
        verbose_name = _("variable")
        verbose_name_plural = _("variables")
        constraints = [
            models.UniqueConstraint(fields=["study", "name"], name="variable_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.study.code}.{self.name}"


class StatTable(models.Model):
    """A published statistical table (SDMX dataflow, PxWeb table): its identity."""

    code = models.CharField(_("code"), max_length=50, unique=True)
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="tables")
    title_fa = models.CharField(_("title (Persian)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300)
    subject_fa = models.CharField(_("subject (Persian)"), max_length=100)
    subject_en = models.CharField(_("subject (English)"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("table")
        verbose_name_plural = _("tables")

    def __str__(self) -> str:
        return self.code


class Release(models.Model):
    """One version of a table's data, immutable once published.

    The cube (structure and observations) lives in the content-addressed store as a
    Parquet file named by its SHA-256; a correction is a new version with its note,
    and older versions stay readable.
    """

    table = models.ForeignKey(StatTable, on_delete=models.PROTECT, related_name="releases")
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=ReleaseStatus.choices, default=ReleaseStatus.SCHEDULED
    )
    scheduled_for = models.DateTimeField(_("scheduled for"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    change_fa = models.TextField(_("what changed (Persian)"), blank=True)
    change_en = models.TextField(_("what changed (English)"), blank=True)
    cube_sha256 = models.CharField(_("data checksum (SHA-256)"), max_length=64)
    cells = models.PositiveIntegerField(_("cells"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["table", "-version"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        constraints = [
            models.UniqueConstraint(fields=["table", "version"], name="release_unique_version"),
            models.CheckConstraint(
                condition=Q(status=ReleaseStatus.PUBLISHED, published_at__isnull=False)
                | (~Q(status=ReleaseStatus.PUBLISHED) & Q(published_at__isnull=True)),
                name="release_published_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "scheduled_for"], name="release_due_idx")]

    def __str__(self) -> str:
        return f"{self.table.code} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # What was published stays as it was: a correction is a new version.
        if self.pk is not None:
            stored = Release.objects.filter(pk=self.pk).first()
            if stored is not None and stored.status == ReleaseStatus.PUBLISHED:
                frozen = ("table_id", "version", "cube_sha256", "published_at", "status")
                if any(getattr(stored, name) != getattr(self, name) for name in frozen):
                    raise ValidationError(
                        _("A published release cannot change; publish a new version."),
                        code="published",
                    )
        super().save(*args, **kwargs)


class GlossaryTerm(models.Model):
    """A statistical term explained for the public (statistical literacy)."""

    slug = models.SlugField(_("slug"), unique=True)
    term_fa = models.CharField(_("term (Persian)"), max_length=200)
    term_en = models.CharField(_("term (English)"), max_length=200)
    definition_fa = models.TextField(_("definition (Persian)"))
    definition_en = models.TextField(_("definition (English)"))

    class Meta:
        ordering = ["term_en"]
        verbose_name = _("glossary term")
        verbose_name_plural = _("glossary terms")

    def __str__(self) -> str:
        return self.term_en
