"""Production notifications through the office's SMS and e-mail channels, and daily reminders."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from production_support import People

from amargah.desk.notifications import LocmemSmsBackend
from amargah.desk.texts import ucs2_units
from amargah.production import notifications, services, tasks
from amargah.production.choices import (
    CriterionVerdict,
    DeliveryChannel,
    DeliveryStatus,
    ReviewDecision,
)
from amargah.production.models import (
    AgencyPlan,
    Contact,
    DeadlineReminder,
    Delivery,
    Notification,
    PlanCriterion,
    Project,
)

LOCMEM = "amargah.desk.notifications.LocmemSmsBackend"
FAILING = "amargah.desk.notifications.FailingSmsBackend"
LONG_TITLE = "آمارگیری بسیار مفصل هزینه‌ها و درآمدهای سلامت خانوارهای شهری و روستایی استان سمنان"


@pytest.fixture(autouse=True)
def sms_outbox(settings: Any) -> Iterator[list[Any]]:
    settings.DESK_SMS_BACKEND = LOCMEM
    LocmemSmsBackend.outbox.clear()
    yield LocmemSmsBackend.outbox
    LocmemSmsBackend.outbox.clear()


@pytest.fixture
def mobiles(people: People) -> None:
    Contact.objects.create(user=people.officer, mobile="09121111111")
    Contact.objects.create(user=people.agency_user, mobile="09122222222")
    Contact.objects.create(user=people.manager, mobile="09123333333")


def test_a_mobile_number_is_normalised_and_checked(people: People) -> None:
    contact = Contact(user=people.officer, mobile="۰۹۱۲ ۳۴۵ ۶۷۸۹")
    contact.full_clean()
    assert contact.mobile == "09123456789"
    with pytest.raises(ValidationError) as caught:
        Contact(user=people.manager, mobile="0812345678").full_clean()
    assert "mobile" in caught.value.message_dict


def test_sms_always_fits_one_segment() -> None:
    text = notifications.fit_sms("طرح تازه برای بررسی: %(title)s", {"title": LONG_TITLE})
    assert ucs2_units(text) == 70
    assert text.startswith("طرح تازه برای بررسی: ") and text.endswith("…")
    short = notifications.fit_sms("طرح تازه برای بررسی: %(title)s", {"title": "سلامت"})
    assert short == "طرح تازه برای بررسی: سلامت"


def test_a_plan_reaches_reviewers_by_sms_and_email_after_commit(
    people: People,
    mobiles: None,
    submit_plan: Callable[..., AgencyPlan],
    sms_outbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        plan = submit_plan(title=LONG_TITLE)
        # Nothing leaves before the commit.
        assert sms_outbox == [] and mail.outbox == []
    assert callbacks
    assert [sms.to for sms in sms_outbox] == ["09121111111"]
    assert ucs2_units(sms_outbox[0].body) <= 70
    assert "بررسی" in sms_outbox[0].body
    assert [message.to for message in mail.outbox] == [["officer@x.invalid"]]
    assert f"/production/plans/{plan.pk}/" in mail.outbox[0].body
    deliveries = Delivery.objects.filter(notification__recipient=people.officer)
    assert {(d.channel, d.status) for d in deliveries} == {
        (DeliveryChannel.SMS, DeliveryStatus.SENT),
        (DeliveryChannel.EMAIL, DeliveryStatus.SENT),
    }
    assert Notification.objects.get(recipient=people.officer).emailed_at is not None


def test_every_production_sms_fits_one_segment(
    people: People,
    mobiles: None,
    submit_plan: Callable[..., AgencyPlan],
    project: Project,
    sms_outbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        plan = submit_plan(title=LONG_TITLE)
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_review_start(plan=plan, user=people.officer)
    criteria = PlanCriterion.objects.filter(template=plan.template)
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_decide(
            plan=plan,
            user=people.officer,
            decision=ReviewDecision.REJECTED,
            verdicts={c.pk: (CriterionVerdict.CHANGE, "ناقص است") for c in criteria},
            summary="طرح با استاندارد سازگار نیست.",
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.deadline_reminders(today=timezone.localdate() + dt.timedelta(days=400))
    bodies = [sms.body for sms in sms_outbox]
    assert len(bodies) >= 4
    assert all(ucs2_units(body) <= 70 for body in bodies), bodies
    assert {sms.to for sms in sms_outbox} == {"09121111111", "09122222222", "09123333333"}


def test_a_failing_sms_provider_loses_nothing_and_is_retried(
    people: People,
    mobiles: None,
    submit_plan: Callable[..., AgencyPlan],
    settings: Any,
    sms_outbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DESK_SMS_BACKEND = FAILING
    with django_capture_on_commit_callbacks(execute=True):
        plan = submit_plan()
    # The action stands, the inbox has the message, the e-mail went, the SMS waits.
    assert AgencyPlan.objects.filter(pk=plan.pk).exists()
    assert Notification.objects.filter(recipient=people.officer).count() == 1
    assert len(mail.outbox) == 1
    sms = Delivery.objects.get(channel=DeliveryChannel.SMS)
    assert sms.status == DeliveryStatus.PENDING and sms.attempts == 1
    assert "refused" in sms.last_error and sms.next_attempt_at > timezone.now()
    # Not due yet: nothing is tried.
    assert notifications.deliveries_send_due() == 0
    # The provider is back by the time of the retry.
    settings.DESK_SMS_BACKEND = LOCMEM
    assert notifications.deliveries_send_due(now=sms.next_attempt_at) == 1
    sms.refresh_from_db()
    assert sms.status == DeliveryStatus.SENT and sms.attempts == 2
    assert [message.to for message in sms_outbox] == ["09121111111"]
    # A sent delivery is never sent again.
    assert notifications.delivery_send(delivery_id=sms.pk) == "skipped"
    assert len(sms_outbox) == 1


def test_a_provider_that_never_recovers_marks_the_delivery_failed(
    people: People,
    mobiles: None,
    submit_plan: Callable[..., AgencyPlan],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DESK_SMS_BACKEND = FAILING
    settings.PRODUCTION_NOTIFY_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        submit_plan()
    sms = Delivery.objects.get(channel=DeliveryChannel.SMS)
    for day in range(1, 6):
        notifications.deliveries_send_due(now=timezone.now() + dt.timedelta(days=day))
    sms.refresh_from_db()
    assert sms.status == DeliveryStatus.FAILED and sms.attempts == 3
    assert Notification.objects.filter(recipient=people.officer).exists()


def test_the_file_backend_writes_each_sms(
    people: People,
    mobiles: None,
    submit_plan: Callable[..., AgencyPlan],
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DESK_SMS_BACKEND = "amargah.desk.notifications.FileSmsBackend"
    settings.DESK_SMS_FILE_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        submit_plan()
    lines = (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [record["to"] for record in records] == ["09121111111"]
    assert ucs2_units(records[0]["body"]) <= 70


def test_a_rolled_back_action_sends_nothing(
    people: People,
    mobiles: None,
    submit_plan: Callable[..., AgencyPlan],
    sms_outbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        submit_plan()
        raise RuntimeError("the caller failed after the plan")
    assert not Delivery.objects.exists() and sms_outbox == [] and mail.outbox == []


def test_the_database_queue_gets_the_send_in_the_same_transaction(
    people: People, mobiles: None, submit_plan: Callable[..., AgencyPlan], settings: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    submit_plan()
    queued = DBTaskResult.objects.filter(task_path=tasks.send_delivery.module_path)
    assert sorted(queued.values_list("args_kwargs__args", flat=True)) == sorted(
        [[pk] for pk in Delivery.objects.values_list("pk", flat=True)]
    )


# ---------------------------------------------------------------------------- reminders


def test_reminders_go_out_once_per_item_per_day(
    people: People,
    mobiles: None,
    submit_plan: Callable[..., AgencyPlan],
    project: Project,
    sms_outbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    plan = submit_plan()
    assert plan.deadline is not None
    officer_notes = Notification.objects.filter(recipient=people.officer)
    before = officer_notes.count()
    # Five days ahead the plan is not near yet; phase 1 of the project is overdue.
    early = plan.deadline - dt.timedelta(days=5)
    assert services.deadline_reminders(today=early) >= 1
    assert officer_notes.count() == before
    assert Notification.objects.filter(
        recipient=people.manager, subject__contains=project.code
    ).exists()
    # Two days ahead the reviewer hears that the deadline is near; twice on one day is once.
    near = plan.deadline - dt.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.deadline_reminders(today=near)
        again = services.deadline_reminders(today=near)
    assert first >= 2 and again == 0
    assert officer_notes.count() == before + 1
    assert DeadlineReminder.objects.filter(plan=plan, day=near).count() == 1
    assert "09121111111" in {sms.to for sms in sms_outbox}
    # The next day brings the next reminder; after the deadline it says it passed.
    services.deadline_reminders(today=near + dt.timedelta(days=1))
    services.deadline_reminders(today=plan.deadline + dt.timedelta(days=1))
    assert officer_notes.count() == before + 3
    assert officer_notes.order_by("-created_at", "-id")[0].subject.startswith("مهلت")
    # A plan the office decided is no longer reminded.
    plan.status = "approved"
    plan.save(update_fields=["status"])
    services.deadline_reminders(today=plan.deadline + dt.timedelta(days=2))
    assert officer_notes.count() == before + 3


def test_the_database_allows_one_reminder_per_item_per_day(
    people: People, submit_plan: Callable[..., AgencyPlan]
) -> None:
    plan = submit_plan()
    today = timezone.localdate()
    DeadlineReminder.objects.create(day=today, deadline=today, plan=plan)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeadlineReminder.objects.create(day=today, deadline=today, plan=plan)


def test_the_daily_task_run_twice_reminds_once(
    people: People, mobiles: None, project: Project, sms_outbox: list[Any]
) -> None:
    # The project started months ago: its first phase is past its planned end today.
    first = tasks.remind_deadlines.enqueue()
    second = tasks.remind_deadlines.enqueue()
    assert first.return_value >= 1 and second.return_value == 0
    assert DeadlineReminder.objects.filter(day=timezone.localdate()).count() == 1
    assert Notification.objects.filter(recipient=people.manager).count() == 1


def test_the_daily_task_queues_its_next_run(settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PRODUCTION_REMINDER_TIME = "08:00"
    assert tasks.reminders_schedule() is True
    assert tasks.reminders_schedule() is False  # one waiting run is enough
    waiting = DBTaskResult.objects.get(task_path=tasks.remind_deadlines.module_path)
    run_after = timezone.localtime(waiting.run_after)
    assert (run_after.hour, run_after.minute) == (8, 0)
    assert timezone.now() < run_after <= timezone.now() + dt.timedelta(days=1)


def test_the_next_run_is_the_next_morning() -> None:
    tz = timezone.get_current_timezone()
    evening = dt.datetime(2026, 11, 27, 20, 0, tzinfo=tz)
    morning = dt.datetime(2026, 11, 27, 6, 0, tzinfo=tz)
    assert tasks.next_reminder_at(evening) == dt.datetime(2026, 11, 28, 8, 0, tzinfo=tz)
    assert tasks.next_reminder_at(morning) == dt.datetime(2026, 11, 27, 8, 0, tzinfo=tz)


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_runs_remind_once(people: People, project: Project) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("overlapping runs need concurrent connections (PostgreSQL)")
    barrier = threading.Barrier(2)
    results: list[int] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(services.deadline_reminders())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2 and min(results) == 0
    assert DeadlineReminder.objects.filter(day=timezone.localdate()).count() == 1
    assert Notification.objects.filter(recipient=people.manager).count() == 1
