from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductionConfig(AppConfig):
    name = "amargah.production"
    label = "production"
    verbose_name = _("Statistical production")
    # (URL name, label) pairs for the site menu; see core.context_processors.
    navigation: tuple[tuple[str, object], ...] = (
        ("production:studies", _("Studies in production")),
        ("production:portfolio", _("Production portfolio")),
    )
