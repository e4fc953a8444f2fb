"""The exchange's catalog: the published datasets as DCAT 3 with their ODRL offers."""
