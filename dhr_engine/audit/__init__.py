"""The audit trail: append-only events chained by hash, their verification, and their wording."""
