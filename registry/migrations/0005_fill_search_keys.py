"""Fill the folded search keys of existing subjects and former names (registry.names).

Bounded memory on any table size: keyset batches of BATCH rows by id, each computed in Python
(OpenCC and pypinyin have no SQL counterpart) and written back with one UPDATE … FROM (VALUES
…) in its own transaction, so a 1 000 000-row table never sits in memory or in one
transaction. Runs before the indexes on the keys are built (migration 0006): building a GIN
index once is far cheaper than maintaining it through a million updates.
"""

from django.db import migrations, transaction
from psycopg2.extras import execute_values

from registry import names

BATCH = 5000


def _fill(connection, table: str, with_pinyin: bool) -> None:
    last = 0
    while True:
        with transaction.atomic(using=connection.alias), connection.cursor() as cur:
            cur.execute(
                f"SELECT id, name FROM {table} WHERE id > %s ORDER BY id LIMIT %s", [last, BATCH]
            )
            rows = cur.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            if with_pinyin:
                values = [(pk, names.search_key(n), names.pinyin_key(n)) for pk, n in rows]
                sql = (
                    f"UPDATE {table} AS t SET name_key = v.k, name_pinyin = v.p "
                    "FROM (VALUES %s) AS v(id, k, p) WHERE t.id = v.id"
                )
            else:
                values = [(pk, names.search_key(n)) for pk, n in rows]
                sql = f"UPDATE {table} AS t SET name_key = v.k FROM (VALUES %s) AS v(id, k) WHERE t.id = v.id"
            execute_values(cur.cursor if hasattr(cur, "cursor") else cur, sql, values, page_size=BATCH)


def fill(apps, schema_editor):
    connection = schema_editor.connection
    _fill(connection, "registry_subject", with_pinyin=True)
    _fill(connection, "registry_formername", with_pinyin=False)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("registry", "0004_search_keys_identifiers")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
