"""Open standards, model-free: ODRL 2.2 and DCAT 3 vocabularies and mappings, linked-data renderers.

Imports no app: the apps hand their objects in (see the protocols in `interop.odrl`).
"""
