"""PostgreSQL backend whose databases (test databases included) get a UTF-8 LC_CTYPE.

Chinese trigram search needs it: under LC_CTYPE=C, pg_trgm extracts no trigrams from
CJK text and every LIKE '%…%' scans the table (../shared/ECOSYSTEM.md).
"""

from django.db.backends.postgresql import base, creation


class DatabaseCreation(creation.DatabaseCreation):
    def _get_database_create_suffix(self, encoding=None, template=None):
        suffix = super()._get_database_create_suffix(encoding="UTF8", template="template0")
        return f"{suffix} LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
