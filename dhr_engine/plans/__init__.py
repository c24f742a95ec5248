"""Action plans and lessons learned.

One model for both kinds of plan (DHR-PROCESS.md §6): the action plan of a review
(recommendation -> actions) and a CSP priority plan (priority -> outcome measures -> actions,
as a strategy or a tactical plan). Actions follow workflows/action_plan.yaml and carry a RAG
rating (rag.py). Lessons across reviews (lessons.py), oversight figures (oversight.py), exports
(export.py) and charts (charts.py) read the same tables.
"""
