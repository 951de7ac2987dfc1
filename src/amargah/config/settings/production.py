"""Settings for production: refuse to start when the environment is unsafe."""

from django.core.exceptions import ImproperlyConfigured

from amargah.config import env
from amargah.config.settings.base import *  # noqa: F403
from amargah.config.settings.base import DEBUG, DEFAULT_SECRET_KEY, SECRET_KEY

if DEBUG:
    raise ImproperlyConfigured("DEBUG is on in production; set DEBUG=0")
if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 40:
    raise ImproperlyConfigured(
        "SECRET_KEY is missing or too short in production; set SECRET_KEY to 50 random characters"
    )

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env.env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
