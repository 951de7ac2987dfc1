from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "amargah.portal"
    label = "portal"
    verbose_name = _("Data portal")
    navigation = (
        ("portal:catalog", _("Statistics")),
        ("portal:calendar", _("Release calendar")),
    )
    footer_navigation = (
        ("portal:glossary", _("Glossary")),
        ("portal:api:openapi-view", _("API for developers")),
    )
