"""Remind people of near and passed production deadlines now, or start the daily run."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from amargah.production import notifications, services, tasks


class Command(BaseCommand):
    help = (
        "Notify reviewers, agencies and teams of plan and stage deadlines that are near or "
        "have passed (each item once a day), and retry due SMS and e-mail. With --schedule, "
        "queue the worker's daily run instead (it then queues each next run itself)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Queue the daily reminder task for the worker instead of reminding now.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            queued = tasks.reminders_schedule()
            self.stdout.write(
                "daily reminder queued" if queued else "daily reminder already queued"
            )
            return
        sent = services.deadline_reminders()
        tried = notifications.deliveries_send_due()
        self.stdout.write(f"{sent} reminders sent, {tried} due deliveries tried")
