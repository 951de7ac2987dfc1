"""Print the service desk's monthly SLA figures, computed from the tickets."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amargah.desk import selectors
from amargah.desk.views import performance_header, performance_row


class Command(BaseCommand):
    help = "Print the desk's SLA performance per Jalali month (CSV on standard output)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="a Jalali month YYYY-MM (default: the last six months)")
        parser.add_argument("--months", type=int, default=6, help="how many recent months")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["month"]:
            month = selectors.JalaliMonth.parse(options["month"])
            if month is None:
                raise CommandError(
                    f"--month {options['month']!r} is not a Jalali month like 1405-09"
                )
            months = [month]
        else:
            months = selectors.recent_months(count=options["months"])
        self.stdout.write(",".join(performance_header()))
        for month in months:
            self.stdout.write(",".join(performance_row(selectors.month_performance(month))))
