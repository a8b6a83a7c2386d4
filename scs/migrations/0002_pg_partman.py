"""pg_partman (Debian postgresql-<major>-partman, installed by scripts/ensure_services.sh),
in its own schema; it manages the partitioned append-only tables (scs.partitioning)."""

from django.db import migrations


def create_extension(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_partman'")
        if cur.fetchone() is None:
            raise RuntimeError(
                "PostgreSQL has no pg_partman extension: install the Debian package"
                " postgresql-<major>-partman (scripts/ensure_services.sh does it as root)."
            )
        cur.execute("CREATE SCHEMA IF NOT EXISTS partman")
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman")


def drop_extension(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute("DROP EXTENSION IF EXISTS pg_partman")
        cur.execute("DROP SCHEMA IF EXISTS partman CASCADE")


class Migration(migrations.Migration):
    dependencies = [("scs", "0001_initial")]

    operations = [migrations.RunPython(create_extension, drop_extension, elidable=False)]
