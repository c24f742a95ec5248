"""The transactional outbox: work queued in a command's transaction, done after commit by its handler."""
