"""The audit chain head only moves forward, and cannot be deleted."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION registry_audit_head_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.last_id <= OLD.last_id THEN
        RAISE EXCEPTION 'the audit chain head only moves forward (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def start_head(apps, schema_editor):
    """Chains written before the head existed start it at their newest event."""
    AuditEvent = apps.get_model("registry", "AuditEvent")
    AuditChainHead = apps.get_model("registry", "AuditChainHead")
    last = AuditEvent.objects.order_by("-id").values_list("id", "digest").first()
    if last and not AuditChainHead.objects.exists():
        AuditChainHead.objects.create(id=1, last_id=last[0], last_digest=last[1])


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_audit_head")]

    operations = [
        migrations.RunPython(start_head, migrations.RunPython.noop),
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS registry_audit_head_forward_only();"),
        migrations.RunSQL(
            "CREATE TRIGGER auditchainhead_forward_only BEFORE UPDATE OR DELETE "
            "ON registry_auditchainhead FOR EACH ROW "
            "EXECUTE FUNCTION registry_audit_head_forward_only();",
            "DROP TRIGGER IF EXISTS auditchainhead_forward_only ON registry_auditchainhead;",
        ),
    ]
