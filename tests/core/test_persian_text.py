from amargah.core.persian import normalize, to_ascii_digits, to_persian_digits


def test_digits_of_every_script_become_ascii() -> None:
    assert to_ascii_digits("۰۹۱۲٣٤٥abc") == "0912345abc"


def test_ascii_and_arabic_digits_become_persian() -> None:
    assert to_persian_digits("1405/09/06 ٧") == "۱۴۰۵/۰۹/۰۶ ۷"


def test_arabic_letters_become_persian() -> None:
    assert normalize("كتاب علي ۱۲") == "کتاب علی 12"
