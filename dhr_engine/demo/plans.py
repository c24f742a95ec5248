"""Demo data for action plans (added to `dhr demo` through DEMO_EXTENSION_MODULES).

- The four priorities of the Northmoor CSP (county lines, violence against women and girls,
  hate crime, Prevent), each with a strategy and a tactical plan whose actions are in every
  RAG state: blue (complete), red (overdue), red (closed not done), amber (due soon), amber
  (no update for a quarter) and green.
- The action plan of the published review (Grace, monitoring) and the draft plan of the review
  at quality assurance (Fran), with a planted repeat: both reviews recommend DASH risk
  assessment with MARAC referral in similar words, under the same theme. Their other
  recommendations share a theme but not the wording, and must not be flagged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import col, select

from dhr_engine.context import AppContext
from dhr_engine.demo.builder import Reference
from dhr_engine.persistence.tables import Case
from dhr_engine.persistence.tables_plans import PlanAction
from dhr_engine.plans import actions as action_service
from dhr_engine.plans import monitoring, service
from dhr_engine.plans.service import ActionInput

PLANTED_REPEAT = (
    "All agencies should complete a DASH risk assessment at every domestic abuse incident and refer "
    "high-risk victims to MARAC.",
    "Agencies should complete the DASH risk assessment at every reported domestic abuse incident and "
    "refer high risk victims to MARAC without delay.",
)

# priority -> (strategy actions, tactical actions); six each, one per RAG scenario below.
PRIORITY_ACTIONS: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    "county_lines": (
        [
            ("northmoor_police", "Publish a county lines problem profile for the partnership"),
            ("childrens_services", "Adopt a child exploitation screening tool across partners"),
            ("housing", "Agree a protocol for cuckooed tenancies"),
            ("probation", "Map the supervision of people convicted of drug supply offences"),
            ("icb", "Commission a trauma-informed service for exploited young people"),
            ("adult_social_care", "Include county lines in the adult safeguarding training offer"),
        ],
        [
            ("northmoor_police", "Run a week of action on the rail network with British Transport Police"),
            ("childrens_services", "Hold monthly exploitation panels for children missing from home"),
            ("housing", "Visit every flat flagged for cuckooing within 48 hours"),
            ("recovery", "Offer outreach to young people found during drug supply arrests"),
            ("acute_trust", "Brief emergency department staff on stab wounds linked to exploitation"),
            ("northmoor_police", "Share intelligence on county lines with schools each term"),
        ],
    ),
    "vawg": (
        [
            ("womens_aid", "Publish the partnership's VAWG strategy with survivor input"),
            ("northmoor_police", "Agree a night-time economy safety charter with licensees"),
            ("acute_trust", "Place an independent domestic violence adviser in the hospital"),
            ("adult_social_care", "Review how adult safeguarding responds to older victims"),
            ("housing", "Achieve accreditation for the housing response to domestic abuse"),
            ("icb", "Fund routine enquiry about domestic abuse in GP practices"),
        ],
        [
            ("womens_aid", "Run bystander training for staff in bars and clubs"),
            ("northmoor_police", "Audit the use of domestic violence protection notices"),
            ("mental_health", "Train crisis team staff in asking about domestic abuse"),
            ("probation", "Refer perpetrators to the behaviour change programme"),
            ("housing", "Fit sanctuary schemes within ten working days of referral"),
            ("childrens_services", "Deliver healthy relationships sessions in secondary schools"),
        ],
    ),
    "hate_crime": (
        [
            ("northmoor_police", "Publish hate crime figures to the partnership each quarter"),
            ("adult_social_care", "Set up third-party reporting centres in day services"),
            ("housing", "Adopt a policy on hate incidents between tenants"),
            ("probation", "Review how hate crime offenders are supervised"),
            ("icb", "Add hate crime awareness to the health safeguarding training"),
            ("womens_aid", "Consult community groups on barriers to reporting"),
        ],
        [
            ("northmoor_police", "Run a hate crime awareness week with community groups"),
            ("housing", "Remove offensive graffiti within 24 hours of a report"),
            ("adult_social_care", "Promote third-party reporting to people with learning disabilities"),
            ("childrens_services", "Deliver anti-bullying workshops in primary schools"),
            ("acute_trust", "Record hate-related injuries seen in the emergency department"),
            ("recovery", "Train peer mentors to recognise and report hate incidents"),
        ],
    ),
    "prevent": (
        [
            ("childrens_services", "Keep the Channel panel's terms of reference under annual review"),
            ("northmoor_police", "Refresh the counter-terrorism local profile with partners"),
            ("adult_social_care", "Include radicalisation in adult safeguarding procedures"),
            ("probation", "Assess the risk of radicalisation among people on probation"),
            ("mental_health", "Agree a pathway for Prevent referrals with mental health needs"),
            ("icb", "Deliver Prevent awareness training to primary care"),
        ],
        [
            ("childrens_services", "Hold Channel panel meetings every month"),
            ("northmoor_police", "Brief designated safeguarding leads in schools on Prevent referrals"),
            ("housing", "Check venues hired in council buildings against the external speakers policy"),
            ("adult_social_care", "Train care staff on the Prevent duty"),
            ("acute_trust", "Train hospital staff on the Prevent duty to the national standard"),
            ("recovery", "Identify a Prevent lead in the recovery service"),
        ],
    ),
}


@dataclass(frozen=True)
class Scenario:
    """How one demo action is taken through its life, in days before today."""

    name: str
    created: int
    target: int  # negative: in the past
    steps: tuple[tuple[str, int], ...]
    update: int | None = None


SCENARIOS = (
    Scenario("blue", 300, -60, (("agree", 290), ("start", 280), ("complete", 70)), 120),
    Scenario("red_overdue", 300, -30, (("agree", 290), ("start", 280)), 40),
    Scenario("red_closed", 300, 100, (("agree", 290), ("close_not_done", 100))),
    Scenario("amber_due_soon", 200, 14, (("agree", 190), ("start", 180)), 20),
    Scenario("amber_stale", 250, 200, (("agree", 240),)),
    Scenario("green", 200, 180, (("agree", 190), ("start", 180)), 10),
)


class PlanDemo:
    def __init__(self, ctx: AppContext, ref: Reference, today: date) -> None:
        self.ctx, self.ref, self.today = ctx, ref, today

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def play(self, action_id: uuid.UUID, scenario: Scenario) -> None:
        """Move an action as the scenario says (the officer acts for the partnership)."""
        if scenario.update is not None:
            action_service.record_progress(
                self.ctx.uow(),
                actor=self.ref.actor("officer"),
                clock=self.ctx.clock,
                action_id=action_id,
                note="Progress reported to the partnership meeting.",
                reported_on=self.day(scenario.update),
            )
        for trigger, days_ago in scenario.steps:
            action_service.fire_action(
                self.ctx.uow(),
                actor=self.ref.actor("officer"),
                clock=self.ctx.clock,
                action_id=action_id,
                trigger=trigger,
                effective_on=self.day(days_ago),
                evidence="Report to the partnership board, with the evidence on file"
                if trigger == "complete"
                else "",
                reason="Superseded by a regional programme" if trigger == "close_not_done" else "",
            )

    def action_input(self, agency: str, text: str, scenario: Scenario) -> ActionInput:
        return ActionInput(
            description=text,
            lead_agency_id=self.ref.agencies[agency].id,
            target_date=self.day(-scenario.target),
            owner_title="Partnership lead for the priority",
        )

    def priority_plans(self) -> None:
        # The current three-year strategy period, starting on the 1 April before today; its first
        # yearly review is the next anniversary.
        start = date(self.today.year if self.today.month >= 4 else self.today.year - 1, 4, 1)
        end = date(start.year + 3, 3, 31)
        for priority, (strategy, tactical) in PRIORITY_ACTIONS.items():
            for plan_type, items in (("strategy", strategy), ("tactical", tactical)):
                plan = service.create_priority_plan(
                    self.ctx.uow(),
                    actor=self.ref.actor("officer"),
                    clock=self.ctx.clock,
                    csp_id=self.ref.csp.id,
                    priority=priority,
                    plan_type=plan_type,
                    period_start=start,
                    period_end=end,
                    effective_on=self.day(310),
                )
                measures = [
                    service.add_outcome_measure(
                        self.ctx.uow(),
                        actor=self.ref.actor("officer"),
                        clock=self.ctx.clock,
                        plan_id=plan.id,
                        text=text,
                        measure="Quarterly performance report",
                        target=target,
                    )
                    for text, target in (
                        ("Fewer people harmed", "A fall on the baseline year"),
                        ("More confidence to report", "A rise in reports on the baseline year"),
                    )
                ]
                for index, ((agency, text), scenario) in enumerate(zip(items, SCENARIOS, strict=True)):
                    row = service.add_action(
                        self.ctx.uow(),
                        actor=self.ref.actor("officer"),
                        clock=self.ctx.clock,
                        plan_id=plan.id,
                        action=self.action_input(agency, text, scenario),
                        outcome_measure_id=measures[index % 2].id,
                        effective_on=self.day(scenario.created),
                    )
                    self.play(row.id, scenario)
                monitoring.record_plan_review(
                    self.ctx.uow(),
                    actor=self.ref.actor("officer"),
                    clock=self.ctx.clock,
                    plan_id=plan.id,
                    reviewed_on=self.day(40),
                )

    def case(self, pseudonym: str) -> Case | None:
        with self.ctx.reader() as uow:
            return uow.session.exec(
                select(Case).where(
                    Case.csp_id == self.ref.csp.id, col(Case.title).startswith(f"{pseudonym} - ")
                )
            ).first()

    def recommend(
        self,
        plan_id: uuid.UUID,
        text: str,
        level: str,
        themes: list[str],
        actions: list[tuple[str, str, Scenario]],
        **kw: str,
    ) -> list[uuid.UUID]:
        rec = service.add_recommendation(
            self.ctx.uow(),
            actor=self.ref.actor("officer"),
            clock=self.ctx.clock,
            plan_id=plan_id,
            text=text,
            level=level,
            themes=themes,
            actions=[self.action_input(agency, what, sc) for agency, what, sc in actions],
            effective_on=self.day(max(sc.created for _a, _w, sc in actions)),
            **kw,
        )
        with self.ctx.reader() as uow:
            rows = uow.session.exec(
                select(PlanAction)
                .where(PlanAction.recommendation_id == rec.id)
                .order_by(col(PlanAction.number))
            ).all()
            return [r.id for r in rows]

    def published_review(self, case: Case) -> None:
        """Grace: published and in monitoring; actions in several states, reviewed each quarter."""
        plan = service.create_review_plan(
            self.ctx.uow(),
            actor=self.ref.actor("officer"),
            clock=self.ctx.clock,
            case_id=case.id,
            effective_on=self.day(300),
        )
        blue, red, red_closed, amber, stale, green = SCENARIOS
        plays = [
            (
                PLANTED_REPEAT[0],
                "multi_agency",
                ["risk_assessment"],
                [
                    ("northmoor_police", "Audit DASH completion at domestic abuse incidents", blue),
                    ("acute_trust", "Introduce DASH in the emergency department", red),
                ],
            ),
            (
                "Northmoor Recovery Service and the Mental Health Trust should agree a joint pathway for "
                "clients with both substance use and mental health needs.",
                "multi_agency",
                ["substance_use", "mental_health"],
                [("recovery", "Agree and publish the dual-diagnosis pathway", green)],
            ),
            (
                "Children's Services should train social workers to recognise coercive and controlling "
                "behaviour in parents' relationships.",
                "single_agency",
                ["training", "coercive_control"],
                [
                    (
                        "childrens_services",
                        "Deliver coercive control training to every social work team",
                        stale,
                    )
                ],
            ),
            (
                "The Home Office should issue guidance on sharing information about perpetrators between "
                "probation and housing providers.",
                "national",
                ["information_sharing"],
                [
                    ("probation", "Write to the Home Office with the review's findings", amber),
                    ("housing", "Wait for national guidance before changing local policy", red_closed),
                ],
            ),
        ]
        for text, level, themes, actions in plays:
            ids = self.recommend(plan.id, text, level, themes, actions)
            for action_id, (_agency, _what, scenario) in zip(ids, actions, strict=True):
                self.play(action_id, scenario)
        for days_ago in (205, 115):
            monitoring.record_plan_review(
                self.ctx.uow(),
                actor=self.ref.actor("officer"),
                clock=self.ctx.clock,
                plan_id=plan.id,
                reviewed_on=self.day(days_ago),
            )

    def qa_review(self, case: Case) -> None:
        """Fran: at quality assurance; a draft plan whose actions are proposed."""
        plan = service.create_review_plan(
            self.ctx.uow(),
            actor=self.ref.actor("officer"),
            clock=self.ctx.clock,
            case_id=case.id,
            effective_on=self.day(180),
        )
        draft = Scenario("proposed", 180, 150, ())
        plays = [
            (
                PLANTED_REPEAT[1],
                "multi_agency",
                ["risk_assessment"],
                "northmoor_police",
                "Refresh DASH training for response officers",
            ),
            (
                "The hospital trust should add a flag to the electronic patient record of every victim "
                "seen in the emergency department.",
                "single_agency",
                ["risk_assessment", "information_sharing"],
                "acute_trust",
                "Build the patient record flag",
            ),
            (
                "Housing should ask about domestic abuse when a tenant applies to move home urgently.",
                "single_agency",
                ["housing", "routine_enquiry"],
                "housing",
                "Add the question to the transfer application form",
            ),
            (
                "Probation should give offender managers refresher training on stalking.",
                "single_agency",
                ["training"],
                "probation",
                "Run stalking refresher sessions for offender managers",
            ),
        ]
        for text, level, themes, agency, what in plays:
            self.recommend(plan.id, text, level, themes, [(agency, what, draft)])


def extend_demo(ctx: AppContext, ref: Reference, today: date) -> None:
    """Add the priority plans and the two reviews' action plans to the demo."""
    demo = PlanDemo(ctx, ref, today)
    demo.priority_plans()
    published = demo.case("Grace")
    if published is not None:
        demo.published_review(published)
    at_qa = demo.case("Fran")
    if at_qa is not None:
        demo.qa_review(at_qa)
