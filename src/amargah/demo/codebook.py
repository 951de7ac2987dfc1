"""Codes and labels (Persian and English) of every coded variable of the demo world.

The codebook is written to ``codebook.json`` next to the data, so that later code can
label tables without importing this module. A missing value (null) always means "not
in the universe of the question" (for example activity status under age 15); each
variable states its universe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["AREAS", "CODEBOOK", "COUNTIES", "County", "codebook_json"]


@dataclass(frozen=True)
class County:
    """A county (shahrestan) of Semnan Province and its demographic targets.

    ``population`` is the target number of persons at scale 1.0 and ``urban_share``
    the fraction of them living in cities; both are rounded, plausible values for the
    province around the 1395 (2016) census, not official figures.
    """

    code: int
    name_en: str
    name_fa: str
    population: int
    urban_share: float


COUNTIES: tuple[County, ...] = (
    County(1, "Semnan", "سمنان", 185_000, 0.94),
    County(2, "Shahrud", "شاهرود", 218_000, 0.80),
    County(3, "Damghan", "دامغان", 92_000, 0.72),
    County(4, "Garmsar", "گرمسار", 77_000, 0.78),
    County(5, "Mehdishahr", "مهدی‌شهر", 54_000, 0.82),
    County(6, "Aradan", "آرادان", 18_000, 0.55),
    County(7, "Sorkheh", "سرخه", 23_000, 0.62),
    County(8, "Meyami", "میامی", 29_000, 0.35),
)

#: Area codes: 1 urban, 2 rural. A stratum is ``county * 10 + area``.
AREAS: dict[int, tuple[str, str]] = {1: ("شهری", "Urban"), 2: ("روستایی", "Rural")}


def _codes(pairs: dict[int, tuple[str, str]]) -> dict[str, dict[str, str]]:
    return {str(code): {"fa": fa, "en": en} for code, (fa, en) in pairs.items()}


_ISIC_SECTIONS = {
    1: ("کشاورزی، جنگلداری و ماهیگیری", "A Agriculture, forestry and fishing"),
    2: ("معدن", "B Mining and quarrying"),
    3: ("صنعت (ساخت)", "C Manufacturing"),
    4: ("تأمین برق، گاز، بخار و تهویه هوا", "D Electricity, gas, steam and air conditioning"),
    5: ("آبرسانی، مدیریت پسماند", "E Water supply; sewerage, waste management"),
    6: ("ساختمان", "F Construction"),
    7: ("عمده‌فروشی و خرده‌فروشی", "G Wholesale and retail trade; repair of motor vehicles"),
    8: ("حمل و نقل و انبارداری", "H Transportation and storage"),
    9: ("فعالیت‌های خدماتی مربوط به تأمین جا و غذا", "I Accommodation and food service"),
    10: ("اطلاعات و ارتباطات", "J Information and communication"),
    11: ("فعالیت‌های مالی و بیمه", "K Financial and insurance activities"),
    12: ("فعالیت‌های املاک و مستغلات", "L Real estate activities"),
    13: ("فعالیت‌های حرفه‌ای، علمی و فنی", "M Professional, scientific and technical"),
    14: ("فعالیت‌های اداری و خدمات پشتیبانی", "N Administrative and support services"),
    15: ("اداره عمومی و دفاع؛ تأمین اجتماعی اجباری", "O Public administration and defence"),
    16: ("آموزش", "P Education"),
    17: ("فعالیت‌های مربوط به سلامت انسان و مددکاری اجتماعی", "Q Human health and social work"),
    18: ("هنر، سرگرمی و تفریح", "R Arts, entertainment and recreation"),
    19: ("سایر فعالیت‌های خدماتی", "S Other service activities"),
    20: ("فعالیت‌های خانوارها به عنوان کارفرما", "T Activities of households as employers"),
    21: ("فعالیت‌های سازمان‌ها و هیئت‌های برون‌مرزی", "U Extraterritorial organizations"),
}

CODEBOOK: dict[str, dict[str, Any]] = {
    "county": {
        "label": {"fa": "شهرستان", "en": "County"},
        "codes": {str(c.code): {"fa": c.name_fa, "en": c.name_en} for c in COUNTIES},
    },
    "area": {"label": {"fa": "نقطه شهری/روستایی", "en": "Urban/rural"}, "codes": _codes(AREAS)},
    "stratum": {
        "label": {"fa": "طبقه (شهرستان × شهری/روستایی)", "en": "Stratum (county × urban/rural)"},
        "codes": {
            str(c.code * 10 + a): {
                "fa": f"{c.name_fa} - {AREAS[a][0]}",
                "en": f"{c.name_en} - {AREAS[a][1]}",
            }
            for c in COUNTIES
            for a in AREAS
        },
    },
    "sex": {
        "label": {"fa": "جنس", "en": "Sex"},
        "codes": _codes({1: ("مرد", "Male"), 2: ("زن", "Female")}),
    },
    "age": {"label": {"fa": "سن (سال تمام)", "en": "Age (completed years)"}, "unit": "years"},
    "relation": {
        "label": {"fa": "نسبت با سرپرست خانوار", "en": "Relation to the head of household"},
        "codes": _codes(
            {
                1: ("سرپرست", "Head"),
                2: ("همسر", "Spouse"),
                3: ("فرزند", "Child"),
                4: ("عروس یا داماد", "Child-in-law"),
                5: ("نوه", "Grandchild"),
                6: ("پدر یا مادر", "Parent or parent-in-law"),
                7: ("خواهر یا برادر", "Sibling"),
                8: ("سایر خویشاوندان", "Other relative"),
                9: ("غیرخویشاوند", "Non-relative"),
            }
        ),
    },
    "marital": {
        "label": {"fa": "وضع زناشویی", "en": "Marital status"},
        "universe": "age >= 10",
        "codes": _codes(
            {
                1: ("دارای همسر", "Married"),
                2: ("بی‌همسر بر اثر فوت همسر", "Widowed"),
                3: ("بی‌همسر بر اثر طلاق", "Divorced"),
                4: ("هرگز ازدواج نکرده", "Never married"),
            }
        ),
    },
    "education": {
        "label": {"fa": "بالاترین مدرک تحصیلی (ISCED 2011)", "en": "Highest level (ISCED 2011)"},
        "universe": "age >= 6",
        "codes": _codes(
            {
                0: ("بدون تحصیلات یا کمتر از ابتدایی", "No schooling or less than primary"),
                1: ("ابتدایی", "Primary"),
                2: ("متوسطه اول", "Lower secondary"),
                3: ("متوسطه دوم", "Upper secondary"),
                5: ("کاردانی", "Short-cycle tertiary"),
                6: ("کارشناسی", "Bachelor's or equivalent"),
                7: ("کارشناسی ارشد", "Master's or equivalent"),
                8: ("دکتری", "Doctoral or equivalent"),
            }
        ),
    },
    "literacy": {
        "label": {"fa": "سواد", "en": "Literacy"},
        "universe": "age >= 6",
        "codes": _codes({1: ("باسواد", "Literate"), 2: ("بی‌سواد", "Illiterate")}),
    },
    "activity": {
        "label": {"fa": "وضع فعالیت (تعاریف ILO)", "en": "Activity status (ILO definitions)"},
        "universe": "age >= 15",
        "codes": _codes(
            {1: ("شاغل", "Employed"), 2: ("بیکار", "Unemployed"), 3: ("غیرفعال", "Inactive")}
        ),
    },
    "isco": {
        "label": {"fa": "گروه عمده شغلی (ISCO-08)", "en": "Occupation, major group (ISCO-08)"},
        "universe": "activity = 1",
        "codes": _codes(
            {
                0: ("نیروهای مسلح", "Armed forces occupations"),
                1: ("مدیران", "Managers"),
                2: ("متخصصان", "Professionals"),
                3: ("تکنسین‌ها و دستیاران", "Technicians and associate professionals"),
                4: ("کارمندان امور اداری و دفتری", "Clerical support workers"),
                5: ("کارکنان خدماتی و فروشندگان", "Service and sales workers"),
                6: ("کارکنان ماهر کشاورزی، جنگلداری و ماهیگیری", "Skilled agricultural workers"),
                7: ("صنعتگران و کارکنان مشاغل مربوط", "Craft and related trades workers"),
                8: ("متصدیان و مونتاژکاران ماشین‌آلات", "Plant and machine operators"),
                9: ("کارگران ساده", "Elementary occupations"),
            }
        ),
    },
    "isic": {
        "label": {"fa": "بخش فعالیت اقتصادی (ISIC Rev.4)", "en": "Industry, section (ISIC Rev.4)"},
        "universe": "activity = 1",
        "codes": _codes(_ISIC_SECTIONS),
    },
    "income": {
        "label": {"fa": "درآمد سالانه", "en": "Annual income"},
        "unit": "rials",
        "universe": "all persons (0 for non-earners)",
    },
    "record_key": {
        "label": {"fa": "کلید رکورد", "en": "Record key (uniform on [0, 1), for cell-key noise)"},
    },
    "disposition": {
        "label": {"fa": "نتیجه مراجعه", "en": "Final disposition (AAPOR)"},
        "codes": {
            "1": {"fa": "مصاحبه کامل", "en": "Complete interview", "aapor": "1.1"},
            "2": {"fa": "امتناع", "en": "Refusal", "aapor": "2.11"},
            "3": {"fa": "عدم تماس", "en": "Non-contact", "aapor": "2.20"},
            "4": {"fa": "خالی یا فاقد شرایط", "en": "Vacant or ineligible", "aapor": "4.6"},
        },
    },
}


def codebook_json() -> dict[str, Any]:
    """The codebook as written to ``codebook.json``."""
    return {"variables": CODEBOOK}
