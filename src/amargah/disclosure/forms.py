"""The staff form that asks for a public-use microdata file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def _lines(text: str) -> list[tuple[int, str]]:
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def parse_recodes(text: str) -> dict[str, dict[str, Any]]:
    """Recodes, one per line: ``age = 5/80`` (bands of 5, 80 and over in one) or
    ``marital: 3>2, 4>2`` (codes 3 and 4 become 2)."""
    out: dict[str, dict[str, Any]] = {}
    for n, line in _lines(text):
        if "=" in line:
            name, _sep, value = (part.strip() for part in line.partition("="))
            width, _slash, top = (part.strip() for part in value.partition("/"))
            if not name or not width.isdigit() or (top and not top.isdigit()):
                raise ValidationError(
                    gettext("Line %(line)s: write a band recode as “age = 5/80”.") % {"line": n}
                )
            out[name] = {"width": int(width), **({"top": int(top)} if top else {})}
        elif ":" in line:
            name, _sep, pairs = (part.strip() for part in line.partition(":"))
            mapping: dict[str, str] = {}
            for pair in pairs.split(","):
                old, arrow, new = (part.strip() for part in pair.partition(">"))
                if not arrow or not old or not new:
                    raise ValidationError(
                        gettext("Line %(line)s: write a code recode as “marital: 3>2, 4>2”.")
                        % {"line": n}
                    )
                mapping[old] = new
            out[name] = {"map": mapping}
        else:
            raise ValidationError(
                gettext("Line %(line)s: a recode is “age = 5/80” or “marital: 3>2, 4>2”.")
                % {"line": n}
            )
    return out


def parse_top_codes(text: str) -> dict[str, float]:
    """Top-codes, one per line: ``income = 400000000`` (in the variable's unit)."""
    out: dict[str, float] = {}
    for n, line in _lines(text):
        name, _sep, value = (part.strip() for part in line.partition("="))
        try:
            cap = float(value)
        except ValueError:
            cap = None
        if not name or cap is None:
            raise ValidationError(
                gettext("Line %(line)s: write a top-code as “income = 400000000”.") % {"line": n}
            )
        out[name] = int(cap) if cap.is_integer() else cap
    return out


class PublicUseFileForm(forms.Form):
    """Key variables, k, recodes, top-codes and the variables to drop."""

    keys = forms.MultipleChoiceField(
        label=_("Key variables (what an intruder may know)"),
        widget=forms.CheckboxSelectMultiple,
    )
    k = forms.IntegerField(label=_("k: smallest group on the keys"), min_value=2, initial=3)
    recodes = forms.CharField(
        label=_("Recodes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "ltr"}),
        help_text=_(
            "One per line: “age = 5/80” for five-year bands with 80 and over in one; "
            "“marital: 3>2, 4>2” to merge codes."
        ),
    )
    top_codes = forms.CharField(
        label=_("Top-codes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
        help_text=_("One per line: “income = 400000000”."),
    )
    drop = forms.MultipleChoiceField(
        label=_("Variables to drop (direct identifiers and anything not for the public)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    local_suppression = forms.BooleanField(
        label=_("Blank key values where needed to reach k (local suppression)"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, columns: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(name, name) for name in columns]
        for name in ("keys", "drop"):
            field = self.fields[name]
            if isinstance(field, forms.ChoiceField):
                field.choices = choices
        for name in ("k", "recodes", "top_codes"):
            self.fields[name].widget.attrs["class"] = "form-control"

    def clean_recodes(self) -> dict[str, dict[str, Any]]:
        return parse_recodes(self.cleaned_data.get("recodes") or "")

    def clean_top_codes(self) -> dict[str, float]:
        return parse_top_codes(self.cleaned_data.get("top_codes") or "")
