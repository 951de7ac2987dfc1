"""Settings for the demo office and for development: the environment's, unchanged."""

from amargah.config.settings.base import *  # noqa: F403
