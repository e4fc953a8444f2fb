"""The alliance's figures: scopes (who reads what), SQL aggregates, tables, CSV.

`scope` resolves what a caller may read, `queries` holds every aggregate query, `tables`
assembles and caches them, `api.serializers` documents each figure, `csv` exports the tables.
"""
