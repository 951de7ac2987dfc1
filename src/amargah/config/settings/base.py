"""Settings shared by every deployment of Amargah; values come from the environment.

See ``amargah.config.env`` for the variables. ``local`` (the default, used by
``make demo``), ``test`` and ``production`` build on this module.
"""

from __future__ import annotations

from pathlib import Path

from amargah.config import env

PACKAGE_DIR = Path(__file__).resolve().parents[2]
# The repository root in a source checkout; npm assets are installed there.
PROJECT_DIR = PACKAGE_DIR.parents[1]
DATA_DIR = env.data_dir()
STORE_DIR = DATA_DIR / "store"
DEMO_WORLD_DIR = DATA_DIR / "demo-world"
NODE_MODULES = Path(env.env_str("AMARGAH_NODE_MODULES", str(PROJECT_DIR / "node_modules")))

DEFAULT_SECRET_KEY = "insecure-amargah-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.env_str("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env.env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env.env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")

INSTALLED_APPS = [
    # The office's apps come first: their catalogs and templates take precedence
    # over Django's (Django's Persian admin catalog says "شروع" for "Home").
    "amargah.core",
    "amargah.desk",
    "amargah.status",
    "amargah.production",
    "amargah.portal",
    "amargah.disclosure",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves its API docs from its own static files, not a CDN
    "health_check",  # the HTML page of /health/* (JSON and text need no app)
    "django_prometheus",
    "django_tasks",
    "django_tasks_db",
    "captcha",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Published tables and API documents for anonymous visitors, before any rendering.
    "amargah.portal.response_cache.ResponseCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "amargah.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "amargah.config.urls"
WSGI_APPLICATION = "amargah.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "amargah.core.context_processors.site",
                "amargah.status.context_processors.banner",
            ],
        },
    },
]

DATABASES = {"default": env.database(DATA_DIR / "amargah.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CACHES = {"default": env.cache(DATA_DIR)}

# django-tasks-db's queue in the application's database, its rows written by one plain
# INSERT each (amargah.core.tasks.DatabaseBackend).
TASKS = {"default": {"BACKEND": "amargah.core.tasks.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Persian first: the site speaks Persian unless the visitor chose English.
LANGUAGE_CODE = "fa"
# Each language is named in itself, as the language switch shows it.
LANGUAGES = [("fa", "فارسی"), ("en", "English")]
LANGUAGES_BIDI = ["fa"]
# Every app keeps its own catalog in <app>/locale, found through INSTALLED_APPS.
LOCALE_PATHS: list[Path] = []
LANGUAGE_COOKIE_NAME = "amargah_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Tehran"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise also serves collected files from here; it warns when the folder is missing.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# npm packages ship ready-made dist/ folders; they are served under vendor/ as they are.
VENDOR_ASSETS = {
    "bootstrap": NODE_MODULES / "bootstrap" / "dist",
    "htmx": NODE_MODULES / "htmx.org" / "dist",
    "vazirmatn": NODE_MODULES / "vazirmatn",
    "vega": NODE_MODULES / "vega" / "build",
    "vega-lite": NODE_MODULES / "vega-lite" / "build",
    "vega-embed": NODE_MODULES / "vega-embed" / "build",
}
STATICFILES_DIRS = [
    (f"vendor/{name}", str(path)) for name, path in VENDOR_ASSETS.items() if path.is_dir()
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve straight from the finders so the demo needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

LOGIN_URL = "admin:login"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "amargah.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": env.env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
    },
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Service status: /metrics answers only these client addresses (the monitoring host).
METRICS_ALLOWED_IPS = env.env_list("METRICS_ALLOWED_IPS", "127.0.0.1,::1")
# Data portal: the APIs' rate limit per client address, and the largest selection served.
PORTAL_API_RATE = env.env_str("PORTAL_API_RATE", "600/m")
PORTAL_MAX_CELLS = int(env.env_str("PORTAL_MAX_CELLS", "20000"))
# Every release passes these checks before it is created or published (issue 6).
PORTAL_PUBLICATION_CHECKS = ["amargah.disclosure.services.publication_problems"]
# The static status snapshot, rewritten after every probe, for the web server to serve
# when the application is down.
STATUS_SNAPSHOT_DIR = Path(env.env_str("STATUS_SNAPSHOT_DIR", str(DATA_DIR / "status-snapshot")))
# Status announcements: subscription requests per visitor address.
STATUS_RATE_SUBSCRIBE = env.env_str("STATUS_RATE_SUBSCRIBE", "10/h")
# The banner on every page is read from the shared cache for this long (seconds); saving
# an announcement forgets it at once.
STATUS_BANNER_CACHE_SECONDS = 30
# Statistical production: the daily deadline reminder runs at this local time and reminds
# from this many days before a deadline; a failed SMS or e-mail is tried this many times.
PRODUCTION_REMINDER_TIME = env.env_str("PRODUCTION_REMINDER_TIME", "08:00")
PRODUCTION_REMIND_DAYS_AHEAD = int(env.env_str("PRODUCTION_REMIND_DAYS_AHEAD", "3"))
PRODUCTION_NOTIFY_MAX_ATTEMPTS = 6

# Service desk
# Rate limits count in the default cache, which every worker shares (the database
# cache unless CACHE_URL names Redis). django-ratelimit warns (W001) on any cache but
# Memcached and django_redis; the database cache is shared, so the warning is silenced.
RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "amargah.desk.views.rate_limited"
# Turns a blocked request into RATELIMIT_VIEW's 429 page instead of a bare 403.
MIDDLEWARE = [*MIDDLEWARE, "django_ratelimit.middleware.RatelimitMiddleware"]
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
# Behind a reverse proxy every visitor arrives from the proxy's address: name the header
# the proxy sets to the client's address (nginx: proxy_set_header X-Real-IP), as a
# request.META key such as HTTP_X_REAL_IP. Empty means REMOTE_ADDR.
RATELIMIT_IP_META_KEY = env.env_str("RATELIMIT_IP_META_KEY", "") or None
DESK_RATE_SUBMIT = env.env_str("DESK_RATE_SUBMIT", "10/h")
DESK_RATE_LOOKUP = env.env_str("DESK_RATE_LOOKUP", "5/m")
DESK_RATE_LOOKUP_PER_CODE = env.env_str("DESK_RATE_LOOKUP_PER_CODE", "10/d")
# The offline image CAPTCHA asks a sum; answers in Persian digits are normalised first.
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.math_challenge"
CAPTCHA_LENGTH = 2
CAPTCHA_TIMEOUT = 20  # minutes
# A public form filled faster than this (seconds) is a robot's; older than the maximum
# age (seconds) it is stale and shown again.
DESK_FORM_MIN_SECONDS = int(env.env_str("DESK_FORM_MIN_SECONDS", "3"))
DESK_FORM_MAX_SECONDS = int(env.env_str("DESK_FORM_MAX_SECONDS", str(2 * 3600)))
# Attachments: at most this many bytes each, with these file name extensions.
DESK_ATTACHMENT_MAX_BYTES = int(env.env_str("DESK_ATTACHMENT_MAX_BYTES", str(5 * 1024 * 1024)))
DESK_ATTACHMENT_EXTENSIONS = ("pdf", "jpg", "jpeg", "png", "csv", "xlsx", "docx", "txt")
# Notifications: the SMS backend is a class path, like Django's EMAIL_BACKEND. The file
# backend writes each message to DESK_SMS_FILE_DIR (demo and development); the HTTP
# backend posts to the provider's endpoint.
DESK_SMS_BACKEND = env.env_str("DESK_SMS_BACKEND", "amargah.desk.notifications.FileSmsBackend")
DESK_SMS_FILE_DIR = DATA_DIR / "outbox" / "sms"
DESK_SMS_HTTP_URL = env.env_str("DESK_SMS_HTTP_URL", "")
DESK_SMS_HTTP_TOKEN = env.env_str("DESK_SMS_HTTP_TOKEN", "")
DESK_SMS_SENDER = env.env_str("DESK_SMS_SENDER", "")
EMAIL_BACKEND = env.env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = DATA_DIR / "outbox" / "mail"
DEFAULT_FROM_EMAIL = env.env_str("DEFAULT_FROM_EMAIL", "desk@amargah.invalid")
# Sends that fail are retried this many times, with growing delays, before giving up.
DESK_NOTIFY_MAX_ATTEMPTS = 5
# The public address printed in SMS and e-mail links (no trailing slash).
DESK_PUBLIC_URL = env.env_str("DESK_PUBLIC_URL", "http://127.0.0.1:8000")
# The working clock of SLA targets: Saturday to Wednesday (Python weekday numbers,
# Monday = 0), office hours in local time. Holidays are a table edited by staff.
DESK_WORKING_WEEKDAYS = (5, 6, 0, 1, 2)
DESK_WORKDAY_OPENS = env.env_str("DESK_WORKDAY_OPENS", "07:30")
DESK_WORKDAY_CLOSES = env.env_str("DESK_WORKDAY_CLOSES", "14:30")
# The image CAPTCHA on public forms (0 turns it off altogether). It is adaptive: asked
# only of a client address that sent more than DESK_CAPTCHA_AFTER forms in its period
# ("0/h": always), or whose form looked automated (honeypot filled, sent too fast), for
# DESK_CAPTCHA_SUSPECT_SECONDS. Behind a proxy set RATELIMIT_IP_META_KEY, or every
# visitor shares the proxy's address and counter.
DESK_CAPTCHA = env.env_bool("DESK_CAPTCHA", default=True)
DESK_CAPTCHA_AFTER = env.env_str("DESK_CAPTCHA_AFTER", "3/h")
DESK_CAPTCHA_SUSPECT_SECONDS = int(env.env_str("DESK_CAPTCHA_SUSPECT_SECONDS", "3600"))
# The most SMS segments a desk text may take. Persian texts travel as UCS-2: 70
# characters in one segment, 67 per segment beyond; texts without a link fit one, the
# survey link needs a second (tests/desk/test_desk_sms.py checks every text).
DESK_SMS_MAX_SEGMENTS = int(env.env_str("DESK_SMS_MAX_SEGMENTS", "2"))
# Concluded tickets keep the requester's personal data this many days after closing;
# then a daily task (or `manage desk_anonymise` from a timer) erases it and the free
# texts, keeping what the performance page counts.
DESK_RETENTION_DAYS = int(env.env_str("DESK_RETENTION_DAYS", "730"))
