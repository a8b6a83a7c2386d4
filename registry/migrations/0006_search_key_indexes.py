"""Indexes on the folded search keys, replacing those on the raw names.

- trigram GIN on subject.name_key, formername.name_key (LIKE '%term%', 3+ characters);
- trigram GIN on subject.name_pinyin (Latin queries: huawei -> 华为);
- character-bigram GIN on registry_name_bigrams(name_key) for 2-character terms (the
  function of migration 0003), replacing the bigram indexes on the raw names.
"""

import django.contrib.postgres.indexes
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_fill_search_keys")]

    operations = [
        migrations.AddIndex(
            model_name="formername",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["name_key"], name="formername_name_key_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="subject",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["name_key"], name="subject_name_key_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="subject",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["name_pinyin"], name="subject_name_pinyin_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        migrations.RunSQL(
            "DROP INDEX IF EXISTS subject_name_bigram;"
            "CREATE INDEX subject_name_key_bigram ON registry_subject "
            "USING gin (registry_name_bigrams(name_key));",
            "DROP INDEX IF EXISTS subject_name_key_bigram;"
            "CREATE INDEX subject_name_bigram ON registry_subject "
            "USING gin (registry_name_bigrams(name));",
        ),
        migrations.RunSQL(
            "DROP INDEX IF EXISTS formername_name_bigram;"
            "CREATE INDEX formername_name_key_bigram ON registry_formername "
            "USING gin (registry_name_bigrams(name_key));",
            "DROP INDEX IF EXISTS formername_name_key_bigram;"
            "CREATE INDEX formername_name_bigram ON registry_formername "
            "USING gin (registry_name_bigrams(name));",
        ),
    ]
