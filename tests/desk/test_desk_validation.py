"""Iranian identifiers and tracking codes, with the verified examples of the standards note."""

from __future__ import annotations

import pytest

from amargah.core import iranian
from amargah.core.iranian import IdentifierError, Reason
from amargah.desk import tracking


@pytest.mark.parametrize("code", ["0499370899", "0084575948", "1234567891"])
def test_verified_valid_national_ids(code: str) -> None:
    assert iranian.clean_national_id(code) == code


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("0499370898", Reason.CHECKSUM),
        ("0684159415", Reason.CHECKSUM),
        ("1111111111", Reason.REPEATED),  # passes the checksum arithmetic, never issued
        ("0000000000", Reason.REPEATED),
        ("12345", Reason.LENGTH),
        ("049937089x", Reason.NOT_DIGITS),
    ],
)
def test_verified_invalid_national_ids(code: str, reason: Reason) -> None:
    with pytest.raises(IdentifierError) as caught:
        iranian.clean_national_id(code)
    assert caught.value.reason == reason


def test_every_repdigit_passes_the_arithmetic_but_is_refused() -> None:
    for digit in "0123456789":
        code = digit * 10
        weighted = sum(int(code[i]) * (10 - i) for i in range(9)) % 11
        assert int(code[9]) == (weighted if weighted < 2 else 11 - weighted)
        assert not iranian.national_id_is_valid(code)


def test_national_id_in_persian_and_arabic_digits_is_stored_in_ascii() -> None:
    assert iranian.clean_national_id("۰۴۹۹۳۷۰۸۹۹") == "0499370899"
    assert iranian.clean_national_id("٠٤٩٩٣٧٠٨٩٩") == "0499370899"
    assert iranian.clean_national_id("049-937089-9") == "0499370899"
    # A dropped leading zero is restored; the checksum still guards the result.
    assert iranian.clean_national_id("499370899") == "0499370899"


@pytest.mark.parametrize("code", ["10380284790", "10100387143"])
def test_verified_valid_company_ids(code: str) -> None:
    assert iranian.clean_company_id(code) == code


@pytest.mark.parametrize("code", ["10380285692", "10380284792", "11111111111", "1038028479"])
def test_verified_invalid_company_ids(code: str) -> None:
    with pytest.raises(IdentifierError):
        iranian.clean_company_id(code)


@pytest.mark.parametrize(
    "typed", ["۰۹۱۲۱۲۳۴۵۶۷", "+98 912 123 4567", "00989121234567", "9121234567", "0912-123-4567"]
)
def test_mobile_forms_become_one(typed: str) -> None:
    assert iranian.clean_mobile(typed) == "09121234567"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("0912123456", Reason.LENGTH),
        ("08121234567", Reason.PREFIX),
        ("021-88888888", Reason.PREFIX),
        ("", Reason.NOT_DIGITS),
    ],
)
def test_bad_mobiles(typed: str, reason: Reason) -> None:
    with pytest.raises(IdentifierError) as caught:
        iranian.clean_mobile(typed)
    assert caught.value.reason == reason


def test_postal_code() -> None:
    assert iranian.clean_postal_code("۳۵۱۹۸-۷۶۵۴۳") == "3519876543"
    for bad in ("351987654", "0000000000", "3519x76543"):
        with pytest.raises(IdentifierError):
            iranian.clean_postal_code(bad)


def test_mask_mobile() -> None:
    assert iranian.mask_mobile("09121234567") == "0912***4567"


def test_tracking_codes_are_random_with_check_digits() -> None:
    codes = {tracking.new_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(code) == 12 and tracking.is_valid(code) for code in codes)


def test_check_digits_catch_every_typo_and_neighbour_swap() -> None:
    for code in [tracking.new_code() for _ in range(40)]:
        for index in range(12):
            for digit in "0123456789":
                if digit != code[index]:
                    assert not tracking.is_valid(code[:index] + digit + code[index + 1 :])
        for index in range(11):
            swapped = code[:index] + code[index + 1] + code[index] + code[index + 2 :]
            if swapped != code:
                assert not tracking.is_valid(swapped)


def test_tracking_code_check_digits_are_iso_7064_mod_97_10() -> None:
    # ISO 7064 MOD 97-10 as in IBANs: the whole number is 1 modulo 97.
    assert tracking.check_digits("3214282912") == f"{98 - (3214282912 * 100) % 97:02d}"
    assert int("3214282912" + tracking.check_digits("3214282912")) % 97 == 1
    assert tracking.grouped("405123456789") == "4051-2345-6789"
    assert tracking.normalize("۴۰۵۱-۲۳۴۵ ۶۷۸۹") == "405123456789"
