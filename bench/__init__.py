"""Catalog benchmark: seed a separate database, serve it with gunicorn, measure. See run.py."""
