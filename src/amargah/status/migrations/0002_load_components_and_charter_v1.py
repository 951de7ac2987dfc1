"""The service's components and the office's service level agreement as charter version 1."""

from pathlib import Path

from django.db import migrations
from django.utils import timezone

CONTENT = Path(__file__).resolve().parents[1] / "content"

COMPONENTS = [
    ("website", "وبگاه", "Website", 1),
    ("service-desk", "میز خدمت", "Service desk", 2),
    ("data-portal", "درگاه داده", "Data portal", 3),
    ("api", "رابط‌های برنامه‌نویسی (API)", "APIs", 4),
]


def load(apps, schema_editor):
    Component = apps.get_model("status", "Component")
    CharterVersion = apps.get_model("status", "CharterVersion")
    for code, name_fa, name_en, order in COMPONENTS:
        Component.objects.get_or_create(
            code=code, defaults={"name_fa": name_fa, "name_en": name_en, "order": order}
        )
    if not CharterVersion.objects.exists():
        now = timezone.now()
        CharterVersion.objects.create(
            number=1,
            title_fa="بیانیهٔ سطح توافق خدمت تأمین آمار و اطلاعات تولیدی",
            title_en="Service level agreement: providing statistics and produced information",
            body_fa=(CONTENT / "charter-v1.fa.md").read_text(encoding="utf-8"),
            body_en=(CONTENT / "charter-v1.en.md").read_text(encoding="utf-8"),
            effective_from=timezone.localdate(now),
            published_at=now,
        )


def unload(apps, schema_editor):
    apps.get_model("status", "Component").objects.filter(
        code__in=[code for code, *_rest in COMPONENTS]
    ).delete()
    apps.get_model("status", "CharterVersion").objects.filter(number=1).delete()


class Migration(migrations.Migration):
    dependencies = [("status", "0001_status_components_incidents_charter")]
    operations = [migrations.RunPython(load, unload)]
