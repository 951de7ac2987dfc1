from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductionConfig(AppConfig):
    name = "amargah.production"
    label = "production"
    verbose_name = _("Statistical production")
    # (URL name, label) pairs for the site menu; see core.context_processors.
    # Only public pages go in the menu; the portfolio is reached from the studies page.
    navigation: tuple[tuple[str, object], ...] = ()
    footer_navigation: tuple[tuple[str, object], ...] = (
        ("production:studies", _("Studies in production")),
    )
