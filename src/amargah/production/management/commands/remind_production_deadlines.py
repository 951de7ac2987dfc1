"""Remind people of passed production deadlines (run daily, e.g. from a timer)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from amargah.production import services


class Command(BaseCommand):
    help = "Notify reviewers, agencies and teams of plan and stage deadlines that have passed."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = services.deadline_reminders()
        self.stdout.write(f"{sent} reminders sent")
