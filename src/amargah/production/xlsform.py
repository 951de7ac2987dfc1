"""Questionnaires as XLSForms: converted with pyxform, checked by ODK Validate when Java is here.

pyxform writes its errors in English. The office's users read Persian first, so the
common messages are recognised and explained in the user's language, with pyxform's
own words kept after the explanation for whoever needs the exact text.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Each pattern recognises one pyxform message; the groups fill the explanation.
_EXPLANATIONS: tuple[tuple[re.Pattern[str], Promise], ...] = (
    (
        re.compile(r"Unknown question type '(?P<type>[^']*)'"),
        _("The question type “%(type)s” is unknown; check its spelling on the survey sheet."),
    ),
    (
        re.compile(
            r"\[row : (?P<row>\d+)\] On the '(?P<sheet>\w+)' sheet, the 'name' value "
            r"'(?P<name>[^']*)' is invalid\. Questions, groups, and repeats must be unique"
        ),
        _(
            "Row %(row)s of the “%(sheet)s” sheet: the name “%(name)s” is used twice; "
            "names must be unique within their group."
        ),
    ),
    (
        re.compile(
            r"\[row : (?P<row>\d+)\] On the '(?P<sheet>\w+)' sheet, the 'name' value is invalid"
        ),
        _(
            "Row %(row)s of the “%(sheet)s” sheet: the name is invalid; a name begins with a "
            "letter or an underscore and contains only letters, digits, underscores, hyphens "
            "and periods."
        ),
    ),
    (
        re.compile(r"There should be a choices sheet"),
        _("The form has select questions but no “choices” sheet with list_name, name and label."),
    ),
    (
        re.compile(r"\[row : (?P<row>\d+)\] Unmatched '(?P<what>\w+)'"),
        _("Row %(row)s of the survey sheet: “%(what)s” is not closed by its matching end row."),
    ),
    (
        re.compile(r"The survey element named '(?P<name>[^']*)' has no label or hint"),
        _("The question “%(name)s” has no label: every question needs a label or a hint."),
    ),
    (
        re.compile(r"You must have a sheet named 'survey'"),
        _("The workbook has no sheet named “survey”."),
    ),
    (
        re.compile(r"not recognized as a supported type|is not a supported type|File is not a zip"),
        _("The file is not an Excel workbook (.xlsx) that pyxform can read."),
    ),
    (
        re.compile(r"ODK Validate Errors"),
        _("ODK Validate found an error in a relevance, constraint or calculation."),
    ),
)


class XlsformError(Exception):
    """pyxform (or ODK Validate) refused the form; ``pyxform_message`` is its own text."""

    def __init__(self, pyxform_message: str) -> None:
        super().__init__(pyxform_message)
        self.pyxform_message = pyxform_message

    def explanation(self) -> str:
        """What is wrong, in the active language."""
        for pattern, text in _EXPLANATIONS:
            found = pattern.search(self.pyxform_message)
            if found:
                return str(text) % found.groupdict()
        return str(_("pyxform refused the form."))


@dataclass(frozen=True)
class XlsformInfo:
    """What pyxform found in a valid form."""

    form_id: str
    title: str
    version: str
    warnings: list[str] = field(default_factory=list)
    odk_validated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "form_id": self.form_id,
            "title": self.title,
            "version": self.version,
            "warnings": self.warnings,
            "odk_validated": self.odk_validated,
        }


def odk_validate_available() -> bool:
    """Whether forms are also checked by ODK Validate (needs ``java``; on by default)."""
    wanted = getattr(settings, "PRODUCTION_ODK_VALIDATE", True)
    return bool(wanted) and shutil.which("java") is not None


def _clean_validate_message(message: str) -> str:
    # ODK Validate names the temporary file it checked; that name means nothing to
    # the user, so keep only the lines that describe the problem.
    lines = [line.strip(" :>") for line in message.splitlines()]
    useful = [
        line
        for line in lines
        if line
        and not line.startswith("${tmp")
        and not line.startswith("The following files failed")
        and not line.startswith("Result:")
    ]
    return " ".join(useful)


def check_xlsform(data: bytes) -> XlsformInfo:
    """Convert an XLSForm with pyxform (and ODK Validate when available).

    Raises :class:`XlsformError` with pyxform's message when the form is refused.
    """
    # ODK Validate starts a JVM (about a second); a form already accepted in this
    # process (the same bytes) is not checked again.
    validate = odk_validate_available()
    key = (hashlib.sha256(data).hexdigest(), validate)
    if key in _ACCEPTED:
        return _ACCEPTED[key]
    info = _convert(data, validate=validate)
    if len(_ACCEPTED) >= _ACCEPTED_MAX:
        _ACCEPTED.clear()
    _ACCEPTED[key] = info
    return info


_ACCEPTED: dict[tuple[str, bool], XlsformInfo] = {}
_ACCEPTED_MAX = 64


def _convert(data: bytes, *, validate: bool) -> XlsformInfo:
    # pyxform (with openpyxl) takes about 0.3 s to import; only this check needs it, so
    # a web worker does not pay for it when it starts (restart after a crash).
    from pyxform.errors import PyXFormError
    from pyxform.validators.odk_validate import ODKValidateError
    from pyxform.xls2xform import convert

    try:
        result = convert(xlsform=data, file_type=".xlsx", validate=validate)
    except ODKValidateError as error:
        raise XlsformError(_clean_validate_message(str(error))) from error
    except PyXFormError as error:
        raise XlsformError(str(error).strip()) from error
    except (ValueError, KeyError, TypeError, OSError) as error:
        # openpyxl's complaints about a broken workbook surface as these.
        raise XlsformError(str(error).strip() or error.__class__.__name__) from error
    definition = result._pyxform
    return XlsformInfo(
        form_id=str(definition.get("id_string") or definition.get("name") or ""),
        title=str(definition.get("title") or ""),
        version=str(definition.get("version") or ""),
        warnings=[str(warning) for warning in result.warnings],
        odk_validated=validate,
    )
