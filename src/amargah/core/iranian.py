"""Iranian identifiers: national ID, legal-entity national ID, mobile number, postal code.

Pure functions, no Django. Each ``clean_*`` function takes what a person typed (any
digits: ASCII, Persian, Arabic-Indic; spaces and hyphens allowed), returns the
identifier in ASCII digits, or raises :class:`IdentifierError` whose ``reason`` says
why it was refused, so a form can word the message in the reader's language.

The checksums follow the algorithms in the project's service-desk standards note
(§4.1 and §4.2), which lists verified valid and invalid examples.
"""

from __future__ import annotations

import enum
import re

from amargah.core.persian import to_ascii_digits

# Weights of the legal-entity ID checksum, one per digit d1..d10.
_COMPANY_WEIGHTS = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)
# Separators people type inside numbers: spaces, hyphens, dots, slashes, ZWNJ.
_SEPARATORS = re.compile(r"[\s\-./\u200c\u200f\u200e]")


class Reason(enum.StrEnum):
    """Why an identifier was refused."""

    NOT_DIGITS = "not_digits"
    LENGTH = "length"
    REPEATED = "repeated"
    CHECKSUM = "checksum"
    PREFIX = "prefix"


class IdentifierError(ValueError):
    """An identifier that is not valid; ``reason`` tells why."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason


def _digits(value: str) -> str:
    """ASCII digits of ``value`` without separators; refuse anything else."""
    text = _SEPARATORS.sub("", to_ascii_digits(value.strip()))
    if not text or not re.fullmatch(r"[0-9]+", text, flags=re.ASCII):
        raise IdentifierError(Reason.NOT_DIGITS)
    return text


def national_id_is_valid(code: str) -> bool:
    """Whether a 10-digit ASCII string passes the national ID checksum (repdigits fail)."""
    if not re.fullmatch(r"[0-9]{10}", code, flags=re.ASCII) or len(set(code)) == 1:
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(code[:9], range(10, 1, -1), strict=True)
    )
    remainder = total % 11
    expected = remainder if remainder < 2 else 11 - remainder
    return int(code[9]) == expected


def clean_national_id(value: str) -> str:
    """The 10-digit national ID (کد ملی) in ASCII.

    Eight or nine digits are padded with leading zeros: old cards and spreadsheets
    drop them, and the checksum still guards the result.
    """
    code = _digits(value)
    if 8 <= len(code) <= 9:
        code = code.zfill(10)
    if len(code) != 10:
        raise IdentifierError(Reason.LENGTH)
    # Every repdigit passes the checksum arithmetic, yet none is issued.
    if len(set(code)) == 1:
        raise IdentifierError(Reason.REPEATED)
    if not national_id_is_valid(code):
        raise IdentifierError(Reason.CHECKSUM)
    return code


def company_id_is_valid(code: str) -> bool:
    """Whether an 11-digit ASCII string passes the legal-entity ID checksum."""
    if not re.fullmatch(r"[0-9]{11}", code, flags=re.ASCII):
        return False
    shift = int(code[9]) + 2
    total = sum(
        (int(digit) + shift) * weight
        for digit, weight in zip(code[:10], _COMPANY_WEIGHTS, strict=True)
    )
    remainder = total % 11
    return int(code[10]) == (0 if remainder == 10 else remainder)


def clean_company_id(value: str) -> str:
    """The 11-digit legal-entity national ID (شناسه ملی) in ASCII."""
    code = _digits(value)
    if len(code) != 11:
        raise IdentifierError(Reason.LENGTH)
    if len(set(code)) == 1:
        raise IdentifierError(Reason.REPEATED)
    if not company_id_is_valid(code):
        raise IdentifierError(Reason.CHECKSUM)
    return code


def clean_mobile(value: str) -> str:
    """An Iranian mobile number as ``09XXXXXXXXX``.

    Accepts the international forms (+98, 0098, 98) and the form without the
    leading zero. Operator prefixes are not checked: ranges and portability change.
    """
    text = to_ascii_digits(value.strip())
    text = _SEPARATORS.sub("", text).replace("(", "").replace(")", "")
    if text.startswith("+"):
        text = text[1:]
    if not text or not re.fullmatch(r"[0-9]+", text, flags=re.ASCII):
        raise IdentifierError(Reason.NOT_DIGITS)
    for prefix in ("0098", "98"):
        if text.startswith(prefix) and len(text) == len(prefix) + 10:
            text = text[len(prefix) :]
            break
    if len(text) == 10 and text.startswith("9"):
        text = "0" + text
    if len(text) != 11:
        raise IdentifierError(Reason.LENGTH)
    if not text.startswith("09"):
        raise IdentifierError(Reason.PREFIX)
    return text


def clean_postal_code(value: str) -> str:
    """A 10-digit postal code in ASCII (the usual ``5-5`` hyphen is dropped)."""
    code = _digits(value)
    if len(code) != 10:
        raise IdentifierError(Reason.LENGTH)
    if len(set(code)) == 1:
        raise IdentifierError(Reason.REPEATED)
    return code


def mask_mobile(mobile: str) -> str:
    """A mobile number with its middle digits hidden, for lists: ``0912***4567``."""
    return f"{mobile[:4]}***{mobile[-4:]}" if len(mobile) == 11 else "***"
