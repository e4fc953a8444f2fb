"""Access policies, sharing requests, agreements, grants and audit (issue 4: not built yet)."""
