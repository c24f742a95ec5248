"""A user's task lists across their cases: sign-offs, returns due, letters to approve, returns to accept."""
