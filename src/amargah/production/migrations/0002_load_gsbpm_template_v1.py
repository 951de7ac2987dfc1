"""Version 1 of the office's checklist template: GSBPM 5.1 sub-processes and plan criteria.

The sub-processes are the standard's (UNECE GSBPM 5.1, 1.1–8.3); the sign-off roles
and the plan review criteria are the office's first choice, editable as new versions.
"""

from django.db import migrations
from django.utils import timezone

PHASES = [
    (
        "specify_needs",
        "project_manager",
        [
            ("1.1", "Identify needs", "شناسایی نیازها"),
            ("1.2", "Consult and confirm needs", "مشورت و تأیید نیازها"),
            ("1.3", "Establish output objectives", "تعیین اهداف خروجی‌ها"),
            ("1.4", "Identify concepts", "شناسایی مفاهیم"),
            ("1.5", "Check data availability", "بررسی دسترس‌پذیری داده‌ها"),
            ("1.6", "Prepare and submit business case", "تهیه و ارائهٔ توجیه اجرای طرح"),
        ],
    ),
    (
        "design",
        "methodologist",
        [
            ("2.1", "Design outputs", "طراحی خروجی‌ها"),
            ("2.2", "Design variable descriptions", "طراحی توصیف متغیرها"),
            ("2.3", "Design collection", "طراحی گردآوری"),
            ("2.4", "Design frame and sample", "طراحی چارچوب و نمونه"),
            ("2.5", "Design processing and analysis", "طراحی پردازش و تحلیل"),
            (
                "2.6",
                "Design production systems and workflow",
                "طراحی سامانه‌های تولید و گردش کار",
            ),
        ],
    ),
    (
        "build",
        "project_manager",
        [
            (
                "3.1",
                "Reuse or build collection instruments",
                "استفادهٔ مجدد یا ساخت ابزارهای گردآوری",
            ),
            (
                "3.2",
                "Reuse or build processing and analysis components",
                "استفادهٔ مجدد یا ساخت اجزای پردازش و تحلیل",
            ),
            (
                "3.3",
                "Reuse or build dissemination components",
                "استفادهٔ مجدد یا ساخت اجزای انتشار",
            ),
            ("3.4", "Configure workflows", "پیکربندی گردش‌های کار"),
            ("3.5", "Test production systems", "آزمون سامانه‌های تولید"),
            ("3.6", "Test statistical business process", "آزمون فرایند آماری"),
            ("3.7", "Finalise production systems", "نهایی‌سازی سامانه‌های تولید"),
        ],
    ),
    (
        "collect",
        "field_manager",
        [
            ("4.1", "Create frame and select sample", "ایجاد چارچوب و انتخاب نمونه"),
            ("4.2", "Set up collection", "راه‌اندازی گردآوری"),
            ("4.3", "Run collection", "اجرای گردآوری"),
            ("4.4", "Finalise collection", "نهایی‌سازی گردآوری"),
        ],
    ),
    (
        "process",
        "data_processor",
        [
            ("5.1", "Integrate data", "یکپارچه‌سازی داده‌ها"),
            ("5.2", "Classify and code", "طبقه‌بندی و کدگذاری"),
            ("5.3", "Review and validate", "بازبینی و اعتبارسنجی"),
            ("5.4", "Edit and impute", "ویرایش و جانهی"),
            ("5.5", "Derive new variables and units", "ساخت متغیرها و واحدهای جدید"),
            ("5.6", "Calculate weights", "محاسبهٔ وزن‌ها"),
            ("5.7", "Calculate aggregates", "محاسبهٔ مقادیر تجمیعی"),
            ("5.8", "Finalise data files", "نهایی‌سازی پرونده‌های داده"),
        ],
    ),
    (
        "analyse",
        "methodologist",
        [
            ("6.1", "Prepare draft outputs", "تهیهٔ پیش‌نویس خروجی‌ها"),
            ("6.2", "Validate outputs", "اعتبارسنجی خروجی‌ها"),
            ("6.3", "Interpret and explain outputs", "تفسیر و توضیح خروجی‌ها"),
            ("6.4", "Apply disclosure control", "اعمال کنترل افشا"),
            ("6.5", "Finalise outputs", "نهایی‌سازی خروجی‌ها"),
        ],
    ),
    (
        "disseminate",
        "disseminator",
        [
            ("7.1", "Update output systems", "به‌روزرسانی سامانه‌های خروجی"),
            ("7.2", "Produce dissemination products", "تولید محصولات انتشار"),
            ("7.3", "Manage release of dissemination products", "مدیریت انتشار محصولات"),
            ("7.4", "Promote dissemination products", "معرفی و ترویج محصولات انتشار"),
            ("7.5", "Manage user support", "مدیریت پشتیبانی کاربران"),
        ],
    ),
    (
        "evaluate",
        "project_manager",
        [
            ("8.1", "Gather evaluation inputs", "گردآوری ورودی‌های ارزیابی"),
            ("8.2", "Conduct evaluation", "انجام ارزیابی"),
            ("8.3", "Agree an action plan", "توافق بر برنامهٔ اقدام"),
        ],
    ),
]

CRITERIA = [
    (
        "P1",
        "Objectives and necessity: the need is stated and no existing statistic meets it",
        "اهداف و ضرورت: نیاز روشن است و هیچ آمار موجودی آن را برآورده نمی‌کند",
    ),
    (
        "P2",
        "Concepts and variables follow the national classifications and definitions",
        "مفاهیم و متغیرها با طبقه‌بندی‌ها و تعریف‌های ملی سازگارند",
    ),
    (
        "P3",
        "Target population and sampling frame are defined and cover the population",
        "جامعهٔ هدف و چارچوب نمونه‌گیری تعریف شده‌اند و جامعه را پوشش می‌دهند",
    ),
    (
        "P4",
        "Sample design and estimation give the precision the objectives need",
        "طرح نمونه‌گیری و برآورد، دقت لازم برای اهداف را فراهم می‌کنند",
    ),
    (
        "P5",
        "The questionnaire is a valid XLSForm and measures the variables",
        "پرسش‌نامه یک XLSForm معتبر است و متغیرها را اندازه می‌گیرد",
    ),
    (
        "P6",
        "The timetable passes every stage in order and is realistic",
        "زمان‌بندی همهٔ مراحل را به ترتیب طی می‌کند و واقع‌بینانه است",
    ),
    (
        "P7",
        "Dissemination plan and confidentiality of respondents",
        "برنامهٔ انتشار و محرمانگی اطلاعات پاسخ‌گویان",
    ),
]


def load(apps, schema_editor):
    ChecklistTemplate = apps.get_model("production", "ChecklistTemplate")
    TemplatePhase = apps.get_model("production", "TemplatePhase")
    TemplateItem = apps.get_model("production", "TemplateItem")
    PlanCriterion = apps.get_model("production", "PlanCriterion")
    if ChecklistTemplate.objects.filter(version=1).exists():
        return
    template = ChecklistTemplate.objects.create(
        version=1,
        title_fa="استاندارد فرایند تولید آمار (GSBPM نسخهٔ ۵٫۱)",
        title_en="Statistical production standard (GSBPM 5.1)",
        note="GSBPM 5.1 sub-processes; sign-off roles and plan criteria of the office.",
        published_at=timezone.now(),
    )
    for phase, role, items in PHASES:
        template_phase = TemplatePhase.objects.create(
            template=template, phase=phase, signoff_role=role
        )
        for order, (code, title_en, title_fa) in enumerate(items):
            TemplateItem.objects.create(
                template_phase=template_phase,
                code=code,
                title_fa=title_fa,
                title_en=title_en,
                order=order,
            )
    for order, (code, title_en, title_fa) in enumerate(CRITERIA):
        PlanCriterion.objects.create(
            template=template, code=code, title_fa=title_fa, title_en=title_en, order=order
        )


def unload(apps, schema_editor):
    ChecklistTemplate = apps.get_model("production", "ChecklistTemplate")
    Project = apps.get_model("production", "Project")
    AgencyPlan = apps.get_model("production", "AgencyPlan")
    template = ChecklistTemplate.objects.filter(version=1).first()
    if template is None:
        return
    if (
        Project.objects.filter(template=template).exists()
        or AgencyPlan.objects.filter(template=template).exists()
    ):
        return
    template.delete()


class Migration(migrations.Migration):
    dependencies = [("production", "0001_projects_phases_artefacts_plans_audit")]

    operations = [migrations.RunPython(load, unload)]
