"""Prepared statements for a hot write path (``amargah.core.db``), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, connection, transaction

from amargah.core.db import prepared_statements

pytestmark = pytest.mark.django_db


def prepared(prefix: str) -> int:
    """How many statements this PostgreSQL session has prepared that start with ``prefix``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) from pg_prepared_statements where statement like %s", [prefix + "%"]
        )
        return int(cursor.fetchone()[0])


def test_the_block_prepares_its_statements_and_survives_a_failed_one() -> None:
    with prepared_statements():
        Group.objects.create(name="first")
        # A unique violation rolls back to the savepoint; the prepared INSERT stays usable.
        with pytest.raises(IntegrityError), transaction.atomic():
            Group.objects.create(name="first")
        Group.objects.create(name="second")
    assert Group.objects.filter(name__in=["first", "second"]).count() == 2
    if connection.vendor == "postgresql":
        assert prepared('INSERT INTO "auth_group"') == 1


def test_outside_the_block_nothing_is_prepared() -> None:
    with prepared_statements():
        Group.objects.create(name="inside")
    assert Group.objects.filter(name="inside").exists()
    if connection.vendor == "postgresql":
        assert prepared('SELECT 1 AS "a" FROM "auth_group"') == 0
