"""Agreements and audit events are append-only: the database refuses UPDATE and DELETE.

The audit chain still detects edits made by someone who disables the trigger first
(`manage.py verify_audit`).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION registry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

TRIGGERS = [
    ("registry_agreement", "agreement_append_only"),
    ("registry_auditevent", "auditevent_append_only"),
]


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS registry_refuse_change();"),
        *[
            migrations.RunSQL(
                f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();",
                f"DROP TRIGGER IF EXISTS {name} ON {table};",
            )
            for table, name in TRIGGERS
        ],
    ]
