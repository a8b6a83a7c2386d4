"""The feed's references checked in one pass per statement (issue 14, propagation).

EXPLAIN ANALYZE of one outbox batch at 100 000 subjects (100 entries, 2 744 sanctions and their
events, constraints immediate so that they show, load ≈14): the feed event's statement
trigger took 50-62 ms (three index passes over every new event: exists, exists-and-locked,
same agency), and the two foreign keys added with credit-record events (`credit_record`,
`record_change`), checked row by row, queued 2 × 2 744 trigger calls (7-95 ms) even though a
sanction's event has neither. Here:

- a feed event's references are checked with one join of the new rows to their sanctions
  (exists, same agency, and which were written by other transactions: only those are locked
  FOR KEY SHARE, as before), and one join to their credit-record changes for record events;
  `credit_record` and `record_change` lose their row-by-row foreign keys (`db_constraint=False`,
  Django's PROTECT unchanged). A record event must name its change's record (stricter than
  before: that is how `record_changes_deliver` writes them), so the change's own foreign key to
  the record keeps the record from being deleted; deleting or renumbering a change that the
  feed names is refused like the other referenced rows (SQLSTATE 23503).
- a sanction's four references are collected in one pass over the new rows (it was four).
- an UPDATE of feed events is checked by the same statement-level function.

Reversing leaves these functions in place (they are valid, and stricter, with the foreign
keys back).
"""

import django.db.models.deletion
from django.db import migrations, models


def _check(column: str, referenced: str, ids: str) -> str:
    """Statements that check the ids (a bigint[] variable) exist in `referenced`, locking the
    rows another transaction wrote (migration 0007's check, on a precomputed array)."""
    return f"""
    IF cardinality({ids}) > 0 THEN
        SELECT count(*) INTO own FROM {referenced} r
         WHERE r.id = ANY({ids}) AND r.xmin = pg_current_xact_id()::xid;
        SELECT count(*) INTO others FROM (
            SELECT r.id FROM {referenced} r
             WHERE r.id = ANY({ids}) AND r.xmin <> pg_current_xact_id()::xid
             ORDER BY r.id FOR KEY SHARE OF r) x;
        IF own + others < cardinality({ids}) THEN
            RAISE EXCEPTION 'insert or update on table "%" violates reference %.{column} -> {referenced}',
                TG_TABLE_NAME, TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME,
                      COLUMN = '{column}';
        END IF;
    END IF;"""


SANCTION_REFS = [
    ("entry_id", "blacklists_listentry", "entries"),
    ("measure_id", "sanctions_measure", "measures"),
    ("target_id", "registry_subject", "targets"),
    ("implementing_agency_id", "registry_agency", "agencies"),
]

SANCTION_STMT = f"""
CREATE OR REPLACE FUNCTION sanctions_sanction_refs_stmt() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE entries bigint[]; measures bigint[]; targets bigint[]; agencies bigint[];
        own bigint; others bigint;
BEGIN
    SELECT {", ".join(f"array_agg(DISTINCT n.{c})" for c, _r, _v in SANCTION_REFS)}
      INTO {", ".join(v for _c, _r, v in SANCTION_REFS)}
      FROM new_rows n;
    {"".join(_check(c, r, v) for c, r, v in SANCTION_REFS)}
    RETURN NULL;
END $f$;
"""

EVENT_STMT = """
CREATE OR REPLACE FUNCTION sanctions_sanctionevent_refs_stmt() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE missing bigint; wrong bigint; others bigint[]; locked bigint;
BEGIN
    -- A sanction's events: one join of the new rows to their sanctions.
    SELECT count(*) FILTER (WHERE s.id IS NULL),
           count(*) FILTER (WHERE s.implementing_agency_id <> n.implementing_agency_id),
           array_agg(DISTINCT s.id) FILTER (WHERE s.xmin <> pg_current_xact_id()::xid)
      INTO missing, wrong, others
      FROM new_rows n LEFT JOIN sanctions_sanction s ON s.id = n.sanction_id
     WHERE n.sanction_id IS NOT NULL;
    IF missing > 0 THEN
        RAISE EXCEPTION 'insert or update on table "%" violates reference %.sanction_id -> sanctions_sanction',
            TG_TABLE_NAME, TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = 'sanction_id';
    END IF;
    IF wrong > 0 THEN
        RAISE EXCEPTION 'a sanction event''s agency must be its sanction''s'
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME,
                  COLUMN = 'implementing_agency_id';
    END IF;
    -- Rows this transaction wrote cannot be deleted by anyone else before it commits: only the
    -- others are locked (a concurrent delete then waits, or has won and the count falls short).
    IF cardinality(others) > 0 THEN
        SELECT count(*) INTO locked FROM (
            SELECT r.id FROM sanctions_sanction r WHERE r.id = ANY(others)
             ORDER BY r.id FOR KEY SHARE OF r) x;
        IF locked < cardinality(others) THEN
            RAISE EXCEPTION 'insert or update on table "%" violates reference %.sanction_id -> sanctions_sanction',
                TG_TABLE_NAME, TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = 'sanction_id';
        END IF;
    END IF;
    -- A record's events: the change exists and names the event's record (the change's own
    -- foreign key then keeps the record).
    SELECT count(*) FILTER (WHERE c.id IS NULL OR c.record_id IS DISTINCT FROM n.credit_record_id),
           array_agg(DISTINCT c.id) FILTER (WHERE c.xmin <> pg_current_xact_id()::xid)
      INTO missing, others
      FROM new_rows n LEFT JOIN registry_creditrecordchange c ON c.id = n.record_change_id
     WHERE n.record_change_id IS NOT NULL OR n.credit_record_id IS NOT NULL;
    IF missing > 0 THEN
        RAISE EXCEPTION 'insert or update on table "%" violates reference %.record_change_id -> registry_creditrecordchange',
            TG_TABLE_NAME, TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME,
                  COLUMN = 'record_change_id';
    END IF;
    IF cardinality(others) > 0 THEN
        SELECT count(*) INTO locked FROM (
            SELECT r.id FROM registry_creditrecordchange r WHERE r.id = ANY(others)
             ORDER BY r.id FOR KEY SHARE OF r) x;
        IF locked < cardinality(others) THEN
            RAISE EXCEPTION 'insert or update on table "%" violates reference %.record_change_id -> registry_creditrecordchange',
                TG_TABLE_NAME, TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME,
                      COLUMN = 'record_change_id';
        END IF;
    END IF;
    RETURN NULL;
END $f$;

-- Updates of feed events (nothing in the platform does one) are checked by the same function.
DROP TRIGGER IF EXISTS sanctions_sanctionevent_refs_update ON sanctions_sanctionevent;
CREATE TRIGGER sanctions_sanctionevent_refs_update AFTER UPDATE ON sanctions_sanctionevent
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION sanctions_sanctionevent_refs_stmt();

-- A change the feed names is not deleted or renumbered (its partial index answers).
CREATE OR REPLACE FUNCTION registry_creditrecordchange_sanctions_refs() RETURNS trigger
LANGUAGE plpgsql AS $f$
BEGIN
    IF EXISTS (SELECT 1 FROM sanctions_sanctionevent x WHERE x.record_change_id = OLD.id) THEN
        RAISE EXCEPTION '% % is still referenced by sanctions or their events', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $f$;
CREATE TRIGGER registry_creditrecordchange_sanctions_refs_delete
    BEFORE DELETE ON registry_creditrecordchange FOR EACH ROW
    EXECUTE FUNCTION registry_creditrecordchange_sanctions_refs();
CREATE TRIGGER registry_creditrecordchange_sanctions_refs_renumber
    BEFORE UPDATE OF id ON registry_creditrecordchange FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION registry_creditrecordchange_sanctions_refs();
"""

REVERSE = """
DROP TRIGGER IF EXISTS registry_creditrecordchange_sanctions_refs_delete
    ON registry_creditrecordchange;
DROP TRIGGER IF EXISTS registry_creditrecordchange_sanctions_refs_renumber
    ON registry_creditrecordchange;
DROP FUNCTION IF EXISTS registry_creditrecordchange_sanctions_refs();
DROP TRIGGER IF EXISTS sanctions_sanctionevent_refs_update ON sanctions_sanctionevent;
CREATE TRIGGER sanctions_sanctionevent_refs_update AFTER UPDATE ON sanctions_sanctionevent
    FOR EACH ROW WHEN (OLD.sanction_id IS DISTINCT FROM NEW.sanction_id
                       OR OLD.implementing_agency_id IS DISTINCT FROM NEW.implementing_agency_id)
    EXECUTE FUNCTION sanctions_sanctionevent_refs_row();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0014_credit_record_changes_to_holders_index"),
        ("sanctions", "0009_sanction_event_after_merge"),
    ]

    operations = [
        migrations.AlterField(
            model_name="sanctionevent",
            name="credit_record",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registry.creditrecord",
                verbose_name="credit record",
            ),
        ),
        migrations.AlterField(
            model_name="sanctionevent",
            name="record_change",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registry.creditrecordchange",
                verbose_name="credit record change",
            ),
        ),
        migrations.RemoveIndex(model_name="sanction", name="sanction_entry_status"),
        migrations.RunSQL(SANCTION_STMT + EVENT_STMT, REVERSE),
    ]
