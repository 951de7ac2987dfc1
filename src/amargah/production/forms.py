"""What people type: plans, reviews, checklist marks, artefacts; messages in their language."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import jdatetime
from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from amargah.core.persian import normalize
from amargah.production.choices import (
    ArtefactKind,
    CriterionVerdict,
    ItemState,
    ProjectKind,
    ReviewDecision,
    TeamRole,
)
from amargah.production.models import AgencyPlan, Artefact, PlanCriterion
from amargah.production.services import PlanContent
from amargah.production.templatetags.production import jdate_input

_DATE = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$")
# Years before this are Jalali (1405 is 2026); Gregorian dates are far later.
_JALALI_BEFORE = 1700


class JalaliDateField(forms.DateField):
    """A date typed as YYYY-MM-DD (or with slashes), Jalali or Gregorian, any digits."""

    widget = forms.TextInput(attrs={"placeholder": "1405/01/15", "dir": "ltr"})

    def prepare_value(self, value: Any) -> Any:
        # A stored date is shown the way the reader types it (Jalali in Persian).
        return jdate_input(value) if isinstance(value, dt.date) else value

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.date):
            return value
        found = _DATE.match(normalize(str(value)))
        if found is None:
            raise ValidationError(
                _("Enter a date as year/month/day, for example 1405/01/15."), code="invalid"
            )
        year, month, day = (int(part) for part in found.groups())
        try:
            if year < _JALALI_BEFORE:
                return jdatetime.date(year, month, day).togregorian()
            return dt.date(year, month, day)
        except ValueError as error:
            raise ValidationError(_("This date does not exist."), code="invalid") from error


class NormalizedCharField(forms.CharField):
    """Text with Persian letters for Arabic look-alikes and ASCII digits."""

    def to_python(self, value: Any) -> str:
        return normalize(super().to_python(value) or "")


class StyledForm(forms.Form):
    """A form whose widgets carry the site's (Bootstrap) classes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_fields()

    def style_fields(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)


def _textarea() -> forms.Textarea:
    return forms.Textarea(attrs={"rows": 3})


class PlanForm(StyledForm):
    """An agency's statistical plan, with its questionnaire as an XLSForm."""

    title = NormalizedCharField(label=_("Title"), max_length=200)
    objectives = NormalizedCharField(label=_("Objectives and necessity"), widget=_textarea())
    variables = NormalizedCharField(label=_("Main variables"), widget=_textarea())
    population = NormalizedCharField(label=_("Target population and frame"), widget=_textarea())
    sample_design = NormalizedCharField(label=_("Sample design"), widget=_textarea())
    timetable = NormalizedCharField(label=_("Timetable of the stages"), widget=_textarea())
    dissemination_plan = NormalizedCharField(label=_("Dissemination plan"), widget=_textarea())
    starts_on = JalaliDateField(label=_("Starts on"))
    ends_on = JalaliDateField(label=_("Ends on"))
    questionnaire = forms.FileField(
        label=_("Questionnaire (XLSForm, .xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The plan must end after it starts."))
        return data

    def content(self) -> PlanContent:
        data = self.cleaned_data
        return PlanContent(
            title=data["title"],
            objectives=data["objectives"],
            variables=data["variables"],
            population=data["population"],
            sample_design=data["sample_design"],
            timetable=data["timetable"],
            dissemination_plan=data["dissemination_plan"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        )

    @classmethod
    def initial_from(cls, plan: AgencyPlan) -> dict[str, Any]:
        return {
            name: getattr(plan, name)
            for name in (
                "title",
                "objectives",
                "variables",
                "population",
                "sample_design",
                "timetable",
                "dissemination_plan",
                "starts_on",
                "ends_on",
            )
        }


class ResubmitForm(PlanForm):
    """The revised plan; a new questionnaire is optional."""

    questionnaire = forms.FileField(
        label=_("New questionnaire (XLSForm, .xlsx), if it changed"), required=False
    )
    response = NormalizedCharField(
        label=_("What you changed in answer to the comments"), widget=_textarea()
    )


class ReviewForm(StyledForm):
    """A verdict and a comment per criterion, then the decision."""

    decision = forms.ChoiceField(label=_("Decision"), choices=ReviewDecision.choices)
    summary = NormalizedCharField(label=_("Summary"), required=False, widget=_textarea())

    def __init__(self, *args: Any, criteria: list[PlanCriterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"verdict_{criterion.pk}"] = forms.ChoiceField(
                label=criterion.code,
                choices=CriterionVerdict.choices,
                initial=CriterionVerdict.MEETS,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            )
            self.fields[f"comment_{criterion.pk}"] = NormalizedCharField(
                label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
        self.style_fields()

    def verdicts(self) -> dict[int, tuple[CriterionVerdict, str]]:
        return {
            criterion.pk: (
                CriterionVerdict(self.cleaned_data[f"verdict_{criterion.pk}"]),
                self.cleaned_data.get(f"comment_{criterion.pk}", ""),
            )
            for criterion in self.criteria
        }

    def rows(self) -> list[tuple[PlanCriterion, forms.BoundField, forms.BoundField]]:
        return [
            (criterion, self[f"verdict_{criterion.pk}"], self[f"comment_{criterion.pk}"])
            for criterion in self.criteria
        ]


class ChecklistForm(StyledForm):
    state = forms.ChoiceField(label=_("State"), choices=ItemState.choices)
    reason = NormalizedCharField(label=_("Reason"), required=False, max_length=1000)


class ArtefactForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=ArtefactKind.choices)
    name = forms.SlugField(
        label=_("Name"),
        max_length=80,
        help_text=_("Latin letters, digits and hyphens; the same name makes a new version."),
    )
    file = forms.FileField(label=_("File"))
    inputs = forms.ModelMultipleChoiceField(
        label=_("Made from (inputs)"), queryset=Artefact.objects.none(), required=False
    )
    note = NormalizedCharField(label=_("Note"), required=False, widget=_textarea())

    def __init__(self, *args: Any, available: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if available is not None:
            self.fields["inputs"].queryset = available  # type: ignore[attr-defined]


class SampleForm(StyledForm):
    """Draw a stratified sample from a frame artefact."""

    frame = forms.ModelChoiceField(label=_("Sampling frame"), queryset=Artefact.objects.none())
    n = forms.IntegerField(label=_("Sample size"), min_value=1)
    strata = forms.CharField(label=_("Strata column"), max_length=100)
    method = forms.ChoiceField(
        label=_("Selection within strata"),
        choices=[
            ("srs", _("Simple random")),
            ("systematic", _("Systematic")),
            ("pps", _("Probability proportional to size (systematic)")),
        ],
    )
    size = forms.CharField(label=_("Size column (for PPS)"), max_length=100, required=False)
    seed = forms.IntegerField(label=_("Random seed"), initial=1405)
    name = forms.SlugField(label=_("Name"), max_length=80, initial="sample")

    def __init__(self, *args: Any, frames: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if frames is not None:
            self.fields["frame"].queryset = frames  # type: ignore[attr-defined]


class SignOffForm(StyledForm):
    comment = NormalizedCharField(label=_("Comment"), required=False, widget=_textarea())


class ScheduleForm(StyledForm):
    planned_start = JalaliDateField(label=_("Planned start"))
    planned_end = JalaliDateField(label=_("Planned end"))


class ReopenForm(StyledForm):
    reason = NormalizedCharField(label=_("Why reopen this phase"), widget=_textarea())


class ProjectForm(StyledForm):
    """A new project of the office."""

    code = forms.SlugField(label=_("Code"), max_length=50)
    title_fa = NormalizedCharField(label=_("Title (Persian)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ProjectKind.choices)
    purpose = NormalizedCharField(label=_("Purpose"), required=False, widget=_textarea())
    legal_basis = NormalizedCharField(label=_("Legal basis"), required=False, max_length=300)
    budget_line = NormalizedCharField(label=_("Budget line"), required=False, max_length=100)
    starts_on = JalaliDateField(label=_("Starts on"))
    ends_on = JalaliDateField(label=_("Ends on"))
    results_expected_on = JalaliDateField(label=_("Results expected on"), required=False)
    is_public = forms.BooleanField(
        label=_("Show on the public study page"), required=False, initial=True
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The project must end after it starts."))
        return data


class MemberForm(StyledForm):
    username = forms.CharField(label=_("User name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=TeamRole.choices)

    def clean_username(self) -> User:
        user = User.objects.filter(username=self.cleaned_data["username"], is_active=True).first()
        if user is None:
            raise ValidationError(_("No active user has this user name."), code="unknown")
        return user
