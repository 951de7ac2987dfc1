"""The SMS texts of the service desk, one function each, so every one can be measured.

An SMS in Persian travels as UCS-2: one segment holds 70 characters, and a longer
message is split into segments of 67 that the operator bills one by one. Texts
without a link must fit one segment (``tests/desk/test_desk_sms.py`` checks each
with the longest realistic values); a text with a link may use up to
``DESK_SMS_MAX_SEGMENTS``.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from amargah.core.persian import to_persian_digits


def _digits(text: str, language: str) -> str:
    return to_persian_digits(text) if language == "fa" else text


def sms_registered(*, code: str, due: str, language: str) -> str:
    """Sent at once on submission: the tracking code and the date the answer is due."""
    with translation.override(language):
        return _("Amargah: request registered. Tracking code %(code)s, answer by %(date)s") % {
            "code": _digits(code, language),
            "date": due,
        }


def sms_reply(*, code: str, language: str) -> str:
    """Sent on every public reply (and on a rejection or referral)."""
    with translation.override(language):
        return _("Amargah: your request %(code)s has a reply. See it on the site.") % {
            "code": _digits(code, language)
        }


def sms_otp(*, otp: str, language: str) -> str:
    """The six-digit confirmation code of the follow-up page."""
    with translation.override(language):
        return _("Amargah confirmation code: %(code)s") % {"code": _digits(otp, language)}


def sms_survey(*, link: str, language: str) -> str:
    """The one-time survey link sent once a request is concluded."""
    with translation.override(language):
        return _("Amargah: please rate our answer: %(link)s") % {"link": link}


# Characters of the GSM 03.38 default alphabet (one septet each) and of its extension
# table (two septets: an escape and the character).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")


def ucs2_units(text: str) -> int:
    """Length of ``text`` in UCS-2 code units, as an SMS segment of Persian text counts them."""
    return len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    """How many SMS segments ``text`` takes (0 for an empty text).

    GSM-7 when every character is in the default alphabet: 160 septets in one
    segment, 153 per segment when concatenated (extension characters count two).
    Otherwise UCS-2: 70 UTF-16 code units in one, 67 per segment when concatenated.
    """
    if not text:
        return 0
    if all(char in _GSM_BASIC or char in _GSM_EXTENDED for char in text):
        units, single, multi = sum(2 if char in _GSM_EXTENDED else 1 for char in text), 160, 153
    else:
        units, single, multi = ucs2_units(text), 70, 67
    return 1 if units <= single else -(-units // multi)


def decision_reply(*, rejected: bool, legal_basis_label: str, referred_to: str) -> str:
    """The public reply that states a rejection's legal ground or a referral's body.

    In the active language; the officer's explanation, if any, follows it.
    """
    if rejected:
        return _("Your request cannot be granted. Legal ground: %(basis)s.") % {
            "basis": legal_basis_label
        }
    return _(
        "The information you asked for is held by %(body)s: your request is referred to them."
    ) % {"body": referred_to}
