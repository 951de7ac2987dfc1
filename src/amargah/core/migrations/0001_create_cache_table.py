"""Create the database cache table, so the shared cache works right after migrate.

Rate limits and sessions need a cache that every process sees; the database
cache is the default, and ``createcachetable`` is idempotent and skips
non-database caches such as Redis.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
