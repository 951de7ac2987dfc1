"""Writes: documenting studies, scheduling and publishing releases."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django_tasks import default_task_backend

from amargah.formats.cube import Cube
from amargah.portal.choices import ReleaseStatus
from amargah.portal.cubes import cube_get, cube_put
from amargah.portal.models import Release, StatTable

logger = logging.getLogger(__name__)

# A publication check takes a cube and returns the problems that forbid publishing it
# (empty when it may be published). The disclosure-control rules plug in here.
PublicationCheck = Callable[[Cube], Sequence[str]]


def publication_checks() -> list[PublicationCheck]:
    """The checks every release passes before it is published (``PORTAL_PUBLICATION_CHECKS``)."""
    return [import_string(path) for path in getattr(settings, "PORTAL_PUBLICATION_CHECKS", [])]


class PublicationRefused(ValidationError):
    """A release failed a publication check; ``problems`` says which cells and why."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(
            _("This release cannot be published: %(problems)s"),
            code="publication_refused",
            params={"problems": "; ".join(self.problems)},
        )


def check_publishable(cube: Cube) -> None:
    """Raise `PublicationRefused` unless the cube passes every publication check."""
    problems = [problem for check in publication_checks() for problem in check(cube)]
    if problems:
        raise PublicationRefused(problems)


@transaction.atomic
def release_create(
    *,
    table: StatTable,
    cube: Cube,
    scheduled_for: dt.datetime | None = None,
    change_fa: str = "",
    change_en: str = "",
) -> Release:
    """Add the next version of ``table`` with the data of ``cube``.

    Without ``scheduled_for`` (or with a time already past) it is published at once;
    otherwise it is announced in the release calendar and a background task publishes
    it at that moment. Nothing of its data is visible before.
    """
    if cube.id != table.code:
        raise ValidationError(
            _("The data is for table %(cube)s, not %(table)s."),
            code="wrong_table",
            params={"cube": cube.id, "table": table.code},
        )
    check_publishable(cube)
    now = timezone.now()
    table = StatTable.objects.select_for_update().get(pk=table.pk)
    latest = table.releases.aggregate(latest=Max("version"))["latest"] or 0
    release = Release.objects.create(
        table=table,
        version=latest + 1,
        scheduled_for=scheduled_for or now,
        change_fa=change_fa,
        change_en=change_en,
        cube_sha256=cube_put(cube),
        cells=len(cube.observations),
    )
    if release.scheduled_for <= now:
        return release_publish(release=release)
    from amargah.portal.tasks import publish_release

    # The worker runs the deferred task at the announced time (late, if it was down:
    # the task waits in the database queue and then publishes every release due). A
    # backend that cannot defer (the tests' immediate one) leaves it to an explicit
    # `releases_publish_due` call.
    if default_task_backend.supports_defer:
        transaction.on_commit(
            lambda: publish_release.using(run_after=release.scheduled_for).enqueue(release.pk)
        )
    return release


@transaction.atomic
def release_publish(*, release: Release, now: dt.datetime | None = None) -> Release:
    """Publish a scheduled release whose time has come; publishing twice is a no-op."""
    now = now or timezone.now()
    release = Release.objects.select_for_update().get(pk=release.pk)
    if release.status == ReleaseStatus.PUBLISHED:
        return release
    if release.status == ReleaseStatus.CANCELLED:
        raise ValidationError(_("A cancelled release cannot be published."), code="cancelled")
    if release.scheduled_for > now:
        raise ValidationError(
            _("This release is scheduled for later; it cannot be published early."),
            code="too_early",
        )
    check_publishable(cube_get(release.cube_sha256))
    release.status = ReleaseStatus.PUBLISHED
    release.published_at = now
    release.save(update_fields=["status", "published_at"])
    logger.info(
        "release published", extra={"table": release.table.code, "version": release.version}
    )
    return release


def releases_publish_due(*, now: dt.datetime | None = None) -> list[Release]:
    """Publish every scheduled release whose time has come (catches up after downtime)."""
    now = now or timezone.now()
    due = Release.objects.filter(status=ReleaseStatus.SCHEDULED, scheduled_for__lte=now)
    return [release_publish(release=release, now=now) for release in due]
