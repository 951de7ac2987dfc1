from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatusConfig(AppConfig):
    name = "amargah.status"
    label = "status"
    verbose_name = _("Service status and charter")
    navigation = (("status:status", _("Service status")),)
    footer_navigation = (("status:charter", _("Service charter")),)

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from amargah.status import models, selectors

        # The cached banner is forgotten whenever what it shows may have changed.
        for model in (
            models.Incident,
            models.IncidentUpdate,
            models.Maintenance,
            models.CharterTermination,
        ):
            post_save.connect(selectors.forget_banner, sender=model, dispatch_uid=f"banner-{model}")
            post_delete.connect(
                selectors.forget_banner, sender=model, dispatch_uid=f"banner-del-{model}"
            )
