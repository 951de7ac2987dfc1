"""Create the demo office's service-desk traffic (does nothing if it exists)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from amargah.desk.demo import create_demo_traffic


class Command(BaseCommand):
    help = "Create a few months of plausible demo tickets, replies and ratings."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1405)
        parser.add_argument("--months", type=int, default=4)

    def handle(self, *args: Any, **options: Any) -> None:
        created = create_demo_traffic(seed=options["seed"], months=options["months"])
        self.stdout.write(f"demo tickets created: {created}")
