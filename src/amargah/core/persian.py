"""Persian text helpers: digits and the Arabic letters that look like Persian ones.

Kept small on purpose: normalising ي/ك and three digit sets is all the site needs,
and a full NLP toolkit would cost hundreds of megabytes for it.
"""

from __future__ import annotations

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
ASCII_DIGITS = "0123456789"

_TO_ASCII = str.maketrans(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS, ASCII_DIGITS * 2)
_TO_PERSIAN = str.maketrans(ASCII_DIGITS + ARABIC_INDIC_DIGITS, PERSIAN_DIGITS * 2)
# Arabic yeh (and alef maksura) and kaf are typed by Arabic keyboards and older
# software; Persian text and search need the Persian letters.
_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ۀ": "هٔ", "ة": "ه"})


def to_ascii_digits(text: str) -> str:
    """Replace Persian and Arabic-Indic digits with ASCII digits."""
    return text.translate(_TO_ASCII)


def to_persian_digits(text: str) -> str:
    """Replace ASCII and Arabic-Indic digits with Persian digits."""
    return text.translate(_TO_PERSIAN)


def normalize(text: str) -> str:
    """Normalise user input: Persian letters for Arabic look-alikes, ASCII digits."""
    return to_ascii_digits(text.translate(_LETTERS))
