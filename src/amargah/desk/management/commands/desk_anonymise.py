"""Anonymise tickets past the retention period (a daily timer, or once to start the task)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from amargah.desk import services, tasks


class Command(BaseCommand):
    help = (
        "Remove personal data and free texts from tickets concluded more than "
        "DESK_RETENTION_DAYS ago, keeping their statistics."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="also queue the self-rescheduling daily task on the task worker",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.tickets_anonymise_expired()
        self.stdout.write(
            f"tickets anonymised: {count} (retention {settings.DESK_RETENTION_DAYS} days)"
        )
        if options["schedule"] and tasks.retention_schedule():
            self.stdout.write("daily retention task queued")
