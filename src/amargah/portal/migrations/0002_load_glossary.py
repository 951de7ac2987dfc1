"""The glossary's first terms: what a reader of the published tables needs."""

from django.db import migrations

TERMS = [
    (
        "census",
        "سرشماری",
        "Census",
        "شمارش همهٔ افراد و خانوارهای یک سرزمین در زمانی معین. نتایج سرشماری از نمونه نیست و خطای نمونه‌گیری ندارد.",
        "A count of every person and household of a territory at a given time. Its results do not come from a sample and have no sampling error.",
    ),
    (
        "sample-survey",
        "آمارگیری نمونه‌ای",
        "Sample survey",
        "گردآوری اطلاعات از بخشی از جامعه که به روش تصادفی برگزیده شده است؛ نتایج با وزن‌دهی به کل جامعه تعمیم داده می‌شوند.",
        "Collecting information from a randomly selected part of the population; weighting extends the results to the whole population.",
    ),
    (
        "household",
        "خانوار",
        "Household",
        "گروهی از افراد که با هم در یک واحد مسکونی زندگی می‌کنند، هزینه‌های زندگی را با هم می‌پردازند و معمولاً با هم غذا می‌خورند.",
        "People who live together in one dwelling, share living expenses and usually eat together.",
    ),
    (
        "enumeration-area",
        "حوزهٔ سرشماری",
        "Enumeration area",
        "محدوده‌ای کوچک که یک مأمور سرشماری آن را می‌شمارد؛ در آمارگیری‌ها واحد نمونه‌گیری مرحلهٔ نخست است.",
        "A small area counted by one census enumerator; in surveys it is the first-stage sampling unit.",
    ),
    (
        "stratum",
        "طبقه",
        "Stratum",
        "بخشی از جامعه که جداگانه از آن نمونه گرفته می‌شود، مانند نقاط شهری یا روستایی هر شهرستان؛ طبقه‌بندی دقت برآوردها را بالا می‌برد.",
        "A part of the population sampled separately, such as the urban or rural areas of a county; stratification makes estimates more precise.",
    ),
    (
        "sampling-weight",
        "وزن نمونه",
        "Sampling weight",
        "شمار افرادی از جامعه که هر فرد نمونه نمایندهٔ آن‌هاست؛ وزن‌ها برای بی‌پاسخی و همخوانی با جمعیت سرشماری تعدیل می‌شوند.",
        "The number of people in the population each sampled person stands for; weights are adjusted for nonresponse and to agree with census counts.",
    ),
    (
        "labour-force",
        "جمعیت فعال",
        "Labour force",
        "افراد ۱۵ ساله و بیشتر که شاغل یا بیکارند، به تعریف سازمان بین‌المللی کار.",
        "Persons aged 15 and over who are employed or unemployed, by the definitions of the International Labour Organization.",
    ),
    (
        "activity-rate",
        "نرخ مشارکت اقتصادی",
        "Activity rate",
        "سهم جمعیت فعال (شاغل و بیکار) از جمعیت ۱۵ ساله و بیشتر، به درصد.",
        "The labour force (employed and unemployed) as a percentage of the population aged 15 and over.",
    ),
    (
        "employment-rate",
        "نسبت اشتغال",
        "Employment rate",
        "سهم شاغلان از جمعیت ۱۵ ساله و بیشتر، به درصد.",
        "The employed as a percentage of the population aged 15 and over.",
    ),
    (
        "unemployment-rate",
        "نرخ بیکاری",
        "Unemployment rate",
        "سهم بیکاران از جمعیت فعال، به درصد. بیکار کسی است که کار ندارد، در جست‌وجوی کار است و آمادهٔ کار کردن است.",
        "The unemployed as a percentage of the labour force. The unemployed have no work, are looking for work and are available to work.",
    ),
    (
        "design-effect",
        "اثر طرح",
        "Design effect",
        "نسبت واریانس یک برآورد در طرح نمونه‌گیری واقعی به واریانس آن در نمونه‌گیری تصادفی ساده با همان اندازه.",
        "The variance of an estimate under the actual sample design divided by its variance under simple random sampling of the same size.",
    ),
]


def load(apps, schema_editor):
    GlossaryTerm = apps.get_model("portal", "GlossaryTerm")
    for slug, term_fa, term_en, definition_fa, definition_en in TERMS:
        GlossaryTerm.objects.get_or_create(
            slug=slug,
            defaults={
                "term_fa": term_fa,
                "term_en": term_en,
                "definition_fa": definition_fa,
                "definition_en": definition_en,
            },
        )


def unload(apps, schema_editor):
    apps.get_model("portal", "GlossaryTerm").objects.filter(
        slug__in=[term[0] for term in TERMS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_portal_studies_tables_releases_glossary")]
    operations = [migrations.RunPython(load, unload)]
