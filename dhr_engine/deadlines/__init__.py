"""Deadlines as rows: the statutory calendar applied, explained, and chased by the one sweep."""
