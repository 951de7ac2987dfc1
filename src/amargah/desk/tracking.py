"""Tracking codes: 12 digits, 10 random and 2 ISO 7064 MOD 97-10 check digits.

The check digits catch every single-digit typo and every swap of two neighbouring
digits, so a mistyped code is told apart from an unknown one without a query.
The random part comes from ``secrets``: codes are neither sequential nor guessable
(about 33 bits, enough only together with the mobile number and rate limits).
"""

from __future__ import annotations

import re
import secrets

from amargah.core.persian import to_ascii_digits

RANDOM_DIGITS = 10


def check_digits(digits: str) -> str:
    """The two ISO 7064 MOD 97-10 check digits for a string of ASCII digits."""
    return f"{98 - (int(digits) * 100) % 97:02d}"


def is_valid(code: str) -> bool:
    """Whether ``code`` is 12 ASCII digits whose check digits match."""
    return bool(re.fullmatch(r"[0-9]{12}", code, flags=re.ASCII)) and int(code) % 97 == 1


def new_code() -> str:
    """A fresh random tracking code."""
    digits = f"{secrets.randbelow(10**RANDOM_DIGITS):0{RANDOM_DIGITS}d}"
    return digits + check_digits(digits)


def normalize(value: str) -> str:
    """What a person typed, as ASCII digits without spaces or hyphens."""
    return re.sub(r"[\s\-]", "", to_ascii_digits(value))


def grouped(code: str) -> str:
    """The code in groups of four for reading aloud: ``4051-2345-6789``."""
    return "-".join(code[index : index + 4] for index in range(0, len(code), 4))
