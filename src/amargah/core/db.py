"""Database helpers the apps share for a hot write path: prepared statements, one INSERT."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.models import Field, Model
from django.db.models.signals import post_save, pre_save


@contextmanager
def prepared_statements(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Within the block, PostgreSQL prepares the statements this connection sends.

    Django sends every query with its values quoted into the text (client-side
    binding) and prepares nothing, so PostgreSQL parses and plans each one again.
    Inside this block the connection binds values on the server and prepares each
    statement the first time, so a worker's later sendings of the same INSERT skip
    parsing and planning (bench/desk_load.py: about 0.3 ms of PostgreSQL CPU less per
    desk submission, a third of it). Only for code whose queries are known to work
    with server-side binding (plain INSERTs, lookups by key): it is not on for the
    whole site because PostgreSQL refuses some GROUP BY queries bound that way.
    On other databases it does nothing. A connection pooler in transaction mode
    must keep prepared statements per client (PgBouncer 1.21+ does, with
    ``max_prepared_statements``).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    # Django's health check may replace a broken connection: let it happen before the
    # connection is changed, not on the block's first query.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    factory, threshold = raw.cursor_factory, raw.prepare_threshold
    raw.cursor_factory = ServerBindingCursor
    raw.prepare_threshold = 0  # prepare at the first sending; psycopg keeps 100 a connection
    try:
        yield
    finally:
        raw.cursor_factory, raw.prepare_threshold = factory, threshold


@dataclass(frozen=True)
class _InsertPlan:
    """One model's INSERT as Django's compiler writes it, or None for its SQL, and its fields."""

    sql: str | None  # None: every INSERT of the model goes through the compiler
    fields: tuple[Field[Any, Any], ...]
    returning: tuple[Field[Any, Any], ...]


_PLANS: dict[tuple[type[Model], str, bool], _InsertPlan] = {}


def insert(instance: Model, *, using: str | None = None) -> None:
    """Save a new ``instance`` with one INSERT, as ``instance.save(force_insert=True)`` does,
    for less of the ORM's Python work: for a hot write path.

    The statement is written once per model and database, with the text Django's
    compiler gives it (so a prepared statement is reused); each call prepares the field
    values as ``save()`` does (``pre_save`` then ``get_db_prep_save``: defaults,
    ``auto_now_add`` and foreign keys behave the same), sends ``pre_save`` and
    ``post_save`` and sets the returned primary key. A value that is an expression, a
    field with its own placeholder or a returned column that needs converting goes
    through Django's compiler instead, and a model with parents or
    ``order_with_respect_to``, or a proxy, through ``save()``. About 0.2 ms of CPU less per
    row than ``QuerySet.create`` on PostgreSQL on a busy 2-core machine (the desk's
    submission writes four rows: bench/desk_load.py).
    """
    model = type(instance)
    meta = model._meta
    using = using or router.db_for_write(model, instance=instance)
    if meta.proxy or meta.parents or meta.order_with_respect_to:
        instance.save(force_insert=True, using=using)
        return
    instance._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    if not meta.auto_created:
        pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    pk_set = instance._is_pk_set(meta)  # type: ignore[attr-defined]
    if not pk_set:
        setattr(instance, meta.pk.attname, meta.pk.get_pk_value_on_save(instance))
        pk_set = instance._is_pk_set(meta)  # type: ignore[attr-defined]
    connection = connections[using]
    plan = _insert_plan(model, connection, pk_set=pk_set)
    values: list[Any] = []
    sql = plan.sql
    for field in plan.fields if sql is not None else ():
        value = field.pre_save(instance, add=True)
        if hasattr(value, "resolve_expression"):
            sql = None  # the compiler turns an expression into SQL of its own
            break
        values.append(field.get_db_prep_save(value, connection=connection))
    with transaction.mark_for_rollback_on_error(using):
        if sql is None:
            rows = model._base_manager._insert(  # type: ignore[attr-defined]
                [instance], fields=plan.fields, returning_fields=plan.returning, using=using
            )
            row = rows[0] if rows else None
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql, values)
                row = cursor.fetchone() if plan.returning else None
    for value, field in zip(row or (), plan.returning, strict=False):
        setattr(instance, field.attname, value)
    instance._state.db = using
    instance._state.adding = False
    if not meta.auto_created:
        post_save.send(
            sender=model,
            instance=instance,
            created=True,
            update_fields=None,
            raw=False,
            using=using,
        )


def _insert_plan(model: type[Model], connection: Any, *, pk_set: bool) -> _InsertPlan:
    """The INSERT of ``model`` on ``connection``; its ``sql`` None where only the compiler
    will do."""
    key = (model, connection.alias, pk_set)
    plan = _PLANS.get(key)
    if plan is not None:
        return plan
    meta = model._meta
    fields = tuple(
        field
        for field in meta.local_concrete_fields
        if not field.generated and (pk_set or field is not meta.auto_field)
    )
    returning = tuple(meta.db_returning_fields)
    sql = None
    simple = (
        connection.vendor in ("postgresql", "sqlite")
        and fields
        and not any(hasattr(field, "get_placeholder") for field in fields)
        and (not returning or connection.features.can_return_columns_from_insert)
        and not any(
            connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            for column in (field.get_col(meta.db_table) for field in returning)
        )
    )
    if simple:
        quote = connection.ops.quote_name
        sql = (
            f"{connection.ops.insert_statement(on_conflict=None)} {quote(meta.db_table)} "
            f"({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        returning_sql, returning_params = connection.ops.return_insert_columns(list(returning))
        if returning_params:
            sql = None
        elif returning_sql:
            sql = f"{sql} {returning_sql}"
    plan = _PLANS[key] = _InsertPlan(sql, fields, returning)
    return plan
