"""The disclosure-control rules each study's tables are held to."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from amargah.disclosure.choices import ProtectionMethod
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
