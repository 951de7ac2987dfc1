"""The ticket table keeps only the indexes its queries use (migration 0005, PostgreSQL)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def ticket_indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "select indexname, indexdef from pg_indexes"
            " where schemaname = current_schema() and tablename = 'desk_ticket'"
        )
        return dict(cursor.fetchall())


def pattern_indexes() -> list[str]:
    return sorted(name for name, sql in ticket_indexes().items() if "varchar_pattern_ops" in sql)


def test_no_like_index_is_written_with_each_ticket_and_the_migration_reverses() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("Django adds LIKE indexes only on PostgreSQL (DATABASE_URL=postgres://...)")
    assert pattern_indexes() == []
    definitions = " ".join(ticket_indexes().values())
    # The exact lookups keep their indexes: code, form token (both unique) and mobile.
    for column in ("tracking_code", "form_token", "mobile"):
        assert f"btree ({column})" in definitions
    call_command("migrate", "desk", "0004", verbosity=0)
    assert pattern_indexes() == [
        "desk_ticket_form_token_like",
        "desk_ticket_mobile_like",
        "desk_ticket_tracking_code_like",
    ]
    call_command("migrate", "desk", verbosity=0)
    assert pattern_indexes() == []
