"""The audit chain in the database: events are append-only, and the chain head only moves
forward and cannot be deleted. The chain still detects edits made by someone who disables
the triggers first (`manage.py verify_audit`)."""

from django.db import migrations

REFUSE_CHANGE = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

HEAD_FORWARD_ONLY = """
CREATE OR REPLACE FUNCTION audit_head_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.last_id <= OLD.last_id THEN
        RAISE EXCEPTION 'the audit chain head only moves forward (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunSQL(REFUSE_CHANGE, "DROP FUNCTION IF EXISTS audit_refuse_change();"),
        migrations.RunSQL(
            "CREATE TRIGGER auditevent_append_only BEFORE UPDATE OR DELETE ON audit_auditevent "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();",
            "DROP TRIGGER IF EXISTS auditevent_append_only ON audit_auditevent;",
        ),
        migrations.RunSQL(HEAD_FORWARD_ONLY, "DROP FUNCTION IF EXISTS audit_head_forward_only();"),
        migrations.RunSQL(
            "CREATE TRIGGER auditchainhead_forward_only BEFORE UPDATE OR DELETE "
            "ON audit_auditchainhead FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();",
            "DROP TRIGGER IF EXISTS auditchainhead_forward_only ON audit_auditchainhead;",
        ),
    ]
