from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_defaults(sender: AppConfig, **kwargs: object) -> None:
    # After every migrate (and after the test database is flushed): the default SLA
    # policies and the officer/supervisor/head roles exist.
    from amargah.desk.services import desk_defaults_ensure

    desk_defaults_ensure()


class DeskConfig(AppConfig):
    name = "amargah.desk"
    label = "desk"
    verbose_name = _("Service desk")
    # (URL name, label) pairs for the site menu; see core.context_processors.
    navigation: tuple[tuple[str, object], ...] = (
        ("desk:home", _("Service desk")),
        ("desk:track", _("Follow up a request")),
    )
    footer_navigation: tuple[tuple[str, object], ...] = (
        ("desk:performance", _("Desk performance")),
    )
    staff_navigation: tuple[tuple[str, object], ...] = (("desk:staff-queue", _("Ticket queue")),)

    def ready(self) -> None:
        post_migrate.connect(_ensure_defaults, sender=self)
