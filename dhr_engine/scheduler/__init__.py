"""The scheduler: APScheduler 3.x runs the deadline sweep and the outbox drain; the database
claims the work."""
