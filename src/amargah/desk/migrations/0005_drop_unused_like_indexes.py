"""Drop the PostgreSQL ``LIKE`` indexes Django adds next to the ticket's unique and indexed text columns.

On PostgreSQL Django gives every indexed or unique ``CharField`` a second index with
``varchar_pattern_ops`` for ``LIKE 'prefix%'`` queries. Nothing queries a ticket's
tracking code, form token or mobile number by prefix (lookups are exact; the admin's
search is ``UPPER(...) LIKE '%...%'``, which no such index serves), yet each of these
indexes is written by every submission, the desk's busiest write (bench/desk_load.py).
A later ``AlterField`` on one of these columns would create its index again; drop it
in that migration too. Nothing happens on other databases.
"""

from typing import Any

from django.db import migrations

COLUMNS = ("tracking_code", "form_token", "mobile")


def like_indexes(schema_editor: Any) -> list[str]:
    """The names of desk_ticket's pattern-ops indexes on ``COLUMNS`` (whatever Django named them)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "select indexname, indexdef from pg_indexes"
            " where schemaname = current_schema() and tablename = 'desk_ticket'"
        )
        rows = cursor.fetchall()
    return [
        name
        for name, definition in rows
        if "varchar_pattern_ops" in definition
        and any(f"({column} varchar_pattern_ops)" in definition for column in COLUMNS)
    ]


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in like_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        name = schema_editor.quote_name(f"desk_ticket_{column}_like")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON desk_ticket ({column} varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("desk", "0004_ticket_outcome_channel_entry_retention")]

    operations = [migrations.RunPython(drop, create, elidable=False)]
