"""Send due notifications and escalate missed deadlines (cron, or backends that cannot defer)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from amargah.desk import services


class Command(BaseCommand):
    help = "Send notifications whose retry is due and escalate every missed SLA deadline once."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = services.notifications_send_due()
        escalated = services.escalate_breaches()
        self.stdout.write(f"notifications tried: {sent}; targets escalated: {escalated}")
