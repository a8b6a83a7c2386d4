"""Create the application database (UTF-8, C.UTF-8 collation and ctype) if it is missing."""

import os
import sys

import environ
import psycopg2
from psycopg2 import sql

url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/scs")
cfg = environ.Env.db_url_config(url)
name = cfg["NAME"]
conn = psycopg2.connect(
    dbname="postgres",
    user=cfg.get("USER") or "postgres",
    password=cfg.get("PASSWORD") or None,
    host=cfg.get("HOST") or "127.0.0.1",
    port=cfg.get("PORT") or 5432,
)
conn.autocommit = True
with conn.cursor() as cur:
    cur.execute("SELECT datctype FROM pg_database WHERE datname = %s", [name])
    row = cur.fetchone()
    if row is None:
        cur.execute(
            sql.SQL(
                "CREATE DATABASE {} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' "
                "TEMPLATE template0"
            ).format(sql.Identifier(name))
        )
        # SSD storage: without this, keyset pages filtered by agency walk the primary key.
        cur.execute(
            sql.SQL("ALTER DATABASE {} SET random_page_cost = 1.1").format(sql.Identifier(name))
        )
        print(f"[database] created {name} (UTF-8, C.UTF-8, random_page_cost 1.1)")
    elif "utf" not in row[0].lower():
        sys.exit(
            f"[database] {name} has LC_CTYPE={row[0]}: Chinese search needs UTF-8. "
            f"Drop it (dropdb {name}) and run make again."
        )
conn.close()
