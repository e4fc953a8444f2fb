"""Writes and state changes of the exchange, one module per sub-domain. Import from the module:

- policies: access policies (revisions of a dataset's terms) and eligibility under them
- sharing_requests: submit, the worker's check, approve, reject, withdraw
- transitions: the one way a sharing request changes state (lock, move, record)
- agreements: agreements and grants, revocation, the start and expiry sweeps
- downloads: signed download links and the download log
- reminders: expiring grants and waiting approvers
- notifications: emails, and what every move tells whom
- webhooks: endpoints, deliveries and signed sending

Outbound HTTP and its SSRF guard are in common.outbound.
"""
