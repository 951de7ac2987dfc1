"""Settings for the test suite: the environment's database, tasks run at once."""

from amargah.config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
# Tests share one cache across cases whose database is rolled back; the banner is read
# fresh (the test of its cache turns it on).
STATUS_BANNER_CACHE_SECONDS = 0
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Tests never write into the working data directory.
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

DATA_DIR = Path(tempfile.mkdtemp(prefix="amargah-test-"))
STORE_DIR = DATA_DIR / "store"
DEMO_WORLD_DIR = DATA_DIR / "demo-world"
MEDIA_ROOT = DATA_DIR / "media"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir()
STATUS_SNAPSHOT_DIR = DATA_DIR / "status-snapshot"
