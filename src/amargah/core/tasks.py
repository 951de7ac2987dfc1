"""Queueing background tasks so that they exist exactly when the work they refer to does.

Every app queues through these: the desk's notifications and SLA checks, production's
deliveries and daily reminder, the status page's probe and notices.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks_db import backend as tasks_db
from django_tasks_db.compat import normalize_json

from amargah.core.db import insert


class DatabaseBackend(tasks_db.DatabaseBackend):
    """django-tasks-db's queue, whose ``enqueue`` writes its row with ``amargah.core.db.insert``.

    The same row and the same signals as the library's ``DBTaskResult.objects.create``.
    A desk submission queues one task: its row was about a fifth of the submission's ORM
    work (bench/desk_load.py).
    """

    def _task_to_db_task(self, task: Any, args: Any, kwargs: Any) -> Any:
        from django_tasks_db.models import DBTaskResult

        row: DBTaskResult[Any, Any] = DBTaskResult(
            id=self._get_id(),
            backend_name=self.alias,
            task_path=task.module_path,
            queue_name=task.queue_name,
            priority=task.priority,
            run_after=task.run_after,
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
        )
        insert(row)
        return row


def in_database(some_task: Any) -> bool:
    """Whether the task queue lives in the application's database (django-tasks-db)."""
    return isinstance(some_task.get_backend(), tasks_db.DatabaseBackend)


def enqueue_with_transaction(some_task: Any, *args: int, when: dt.datetime | None = None) -> bool:
    """Queue ``some_task`` so that the worker sees it only once the current transaction commits.

    A queue in the same database is written inside the transaction: the task and the
    rows it works on commit together (one commit, and no window in which a crash leaves
    a row without its task). Any other backend is called after the commit. A deferred
    task (``when``) needs a backend that can defer; without one the apps' periodic
    sweeps do the work. True when queued (or will be at the commit).
    """
    if when is not None and not some_task.get_backend().supports_defer:
        return False
    scheduled = some_task.using(run_after=max(when, timezone.now())) if when else some_task
    if in_database(some_task):
        scheduled.enqueue(*args)
    else:
        transaction.on_commit(lambda: scheduled.enqueue(*args), robust=True)
    return True


def schedule_once(some_task: Any, *, run_after: dt.datetime) -> bool:
    """Queue the next run of a self-scheduling task unless one is already waiting.

    True when one was queued. Only a backend that can defer keeps such a chain going
    (the immediate backend of the tests would recurse), so without one nothing is queued.
    """
    if not some_task.get_backend().supports_defer:
        return False
    if in_database(some_task):
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        waiting = DBTaskResult.objects.filter(
            task_path=some_task.module_path, status=TaskResultStatus.READY
        ).exists()
        if waiting:
            return False
    some_task.using(run_after=run_after).enqueue()
    return True
