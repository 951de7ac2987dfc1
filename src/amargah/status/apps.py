from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatusConfig(AppConfig):
    name = "amargah.status"
    label = "status"
    verbose_name = _("Service status and charter")
    navigation = (("status:status", _("Service status")),)
    footer_navigation = (("status:charter", _("Service charter")),)
