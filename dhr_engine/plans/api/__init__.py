"""Action plans: a review's action plan and the CSP's priority plans, their recommendations,
outcome measures and actions (each with its RAG rating), the actions' workflow, progress and
milestones, monitoring reviews, the yearly oversight figures, lessons across reviews and exports.

Who sees what is the web pages' rule (plans/pages.py): a review's plan goes with its case (a case
you may not see is 404, and so are its plan and actions); an agency user sees only the actions
their own agency leads (another agency's action is 404 to them); priority plans, the oversight
figures and the lessons across reviews are for CSP staff of their partnership. Who may change
what is decided by the plans services (plans/access.py and workflows/action_plan.yaml).
"""

from __future__ import annotations

from fastapi import APIRouter

from dhr_engine.plans.api import actions, oversight, plans

router = APIRouter()
for _module in (plans, actions, oversight):
    router.include_router(_module.router)
