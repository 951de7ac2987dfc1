"""Background work of the portal: publishing releases at their announced time."""

from __future__ import annotations

from django_tasks import task

from amargah.portal import services
from amargah.portal.choices import ReleaseStatus
from amargah.portal.models import Release


@task()
def publish_release(release_id: int) -> bool:
    """Publish every release that is due (this one among them); True if this one is public.

    Publishing all that are due, not only this one, catches up after the worker was down.
    """
    services.releases_publish_due()
    return Release.objects.filter(pk=release_id, status=ReleaseStatus.PUBLISHED).exists()
