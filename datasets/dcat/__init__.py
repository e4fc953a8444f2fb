"""DCAT 3 (DCAT-AP 3 profile) in and out: the shared vocabulary, the catalog export, the import."""
