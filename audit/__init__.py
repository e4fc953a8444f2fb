"""The hash-chained audit log: every security-relevant action of every app, append-only.

`chain.audit_append` writes an event inside the caller's transaction; `chain.audit_verify`
(and `manage.py verify_audit`) walks the chain. Imports no app: the actor is the user model
named by AUTH_USER_MODEL.
"""
