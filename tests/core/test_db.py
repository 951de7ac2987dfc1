"""A hot write path's helpers (``amargah.core.db``): prepared statements and one INSERT,
on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Model
from django.db.models.functions import Now
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from amargah.core.db import insert, prepared_statements

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


def columns(instance: Model) -> dict[str, Any]:
    """The row of ``instance`` as stored, read back from the database, without its key."""
    model = type(instance)
    names = [field.attname for field in model._meta.concrete_fields if not field.primary_key]
    return model._base_manager.filter(pk=instance.pk).values(*names).get()


def test_insert_stores_the_row_that_create_stores() -> None:
    before = timezone.now()
    inserted = User(username="inserted", email="a@example.org", first_name="الف")
    insert(inserted)
    created = User.objects.create(username="created", email="a@example.org", first_name="الف")
    assert inserted.pk is not None and inserted.pk != created.pk
    assert not inserted._state.adding and inserted._state.db == "default"
    # Defaults (is_active, date_joined) and everything else as create() stores them.
    row, other = columns(inserted), columns(created)
    assert row.pop("username") == "inserted" and other.pop("username") == "created"
    assert row.pop("date_joined") >= before and other.pop("date_joined") >= before
    assert row == other
    # A foreign key, and a key that the model draws itself (no RETURNING).
    permission = Permission(
        name="inserted", codename="inserted", content_type=ContentType.objects.get_for_model(User)
    )
    insert(permission)
    assert Permission.objects.get(pk=permission.pk).content_type.model == "user"
    task_row: DBTaskResult[Any, Any] = DBTaskResult(
        task_path="a.b", backend_name="default", run_after=before, args_kwargs={"args": [1]}
    )
    insert(task_row)
    stored = DBTaskResult.objects.get(pk=task_row.pk)
    assert stored.args_kwargs == {"args": [1]} and stored.enqueued_at >= before
    assert stored.status == "READY" and stored.worker_ids == []


def test_insert_sends_the_save_signals() -> None:
    seen: list[tuple[str, object, object]] = []

    def before(instance: Group, **kwargs: object) -> None:
        instance.name = instance.name.upper()  # a receiver may still change the row
        seen.append(("pre", instance.pk, kwargs["raw"]))

    def after(instance: Group, **kwargs: object) -> None:
        seen.append(("post", instance.pk, kwargs["created"]))

    pre_save.connect(before, sender=Group, dispatch_uid="test-insert-pre")
    post_save.connect(after, sender=Group, dispatch_uid="test-insert-post")
    try:
        group = Group(name="signalled")
        insert(group)
    finally:
        pre_save.disconnect(dispatch_uid="test-insert-pre", sender=Group)
        post_save.disconnect(dispatch_uid="test-insert-post", sender=Group)
    assert seen == [("pre", None, False), ("post", group.pk, True)]
    assert Group.objects.get(pk=group.pk).name == "SIGNALLED"


def test_insert_hands_an_expression_to_the_compiler() -> None:
    user = User(username="expression", date_joined=Now())
    insert(user)
    assert User.objects.get(pk=user.pk).date_joined is not None


def test_insert_writes_the_statement_that_create_writes_and_survives_a_failed_one() -> None:
    with prepared_statements():
        insert(Group(name="first"))
        with pytest.raises(IntegrityError), transaction.atomic():
            insert(Group(name="first"))
        Group.objects.create(name="second")
        insert(Group(name="third"))
    assert Group.objects.filter(name__in=["first", "second", "third"]).count() == 3
    if connection.vendor == "postgresql":
        # One prepared statement: insert() sends the very text Django's compiler writes.
        assert prepared('INSERT INTO "auth_group"') == 1


def backend_query(pid: int) -> str:
    """The last statement the server session ``pid`` ran, seen from another connection."""
    with connections["default"]._nodb_cursor() as cursor:  # a connection of its own
        cursor.execute("select query from pg_stat_activity where pid = %s", [pid])
        return str(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_the_health_check_asks_the_server_only_when_it_has_spoken() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the health check of the PostgreSQL backend (DATABASE_URL=postgres://...)")
    with connection.cursor() as cursor:
        cursor.execute("select pg_backend_pid(), 'last statement'")
        pid = cursor.fetchone()[0]
    # A kept connection whose socket has nothing to read is usable without a query ...
    assert connection.is_usable()
    assert "last statement" in backend_query(pid)
    # ... and one the server ended is found out, closed and replaced.
    with connections["default"]._nodb_cursor() as cursor:
        cursor.execute("select pg_terminate_backend(%s)", [pid])
    for _ in range(50):  # the session's end reaches the socket almost at once
        if not connection.is_usable():
            break
        time.sleep(0.02)
    assert not connection.is_usable()
    connection.health_check_done = False  # type: ignore[attr-defined]
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:
        cursor.execute("select pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
