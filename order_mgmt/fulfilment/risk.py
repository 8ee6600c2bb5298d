"""At-risk orders (pure): which approved orders may miss their promise, why, and who acts — before
the date has passed, not after.

Facts in (per line: promised date, what is still to ship, picked, shortage and its decision, the
supply slip; per order: payment and credit holds), a grade and reasons out; unit-tested in
tests/test_order_risk.py. `fulfilment/risk_sweep.py` gathers the facts on each relevant event and
hourly, stores an Order Risk per order and assigns the responsible role.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from order_mgmt.fulfilment.promise import WorkCalendar

# Reason codes, each with the role that can resolve it.
NOT_PICKED = "not_picked"
SHORTAGE_UNDECIDED = "shortage_undecided"
PAYMENT_DUE = "payment_due"
SUPPLY_SLIPPED = "supply_slipped"
CREDIT_HOLD = "credit_hold"

RESPONSIBLE = {
	NOT_PICKED: "Warehouse",
	SHORTAGE_UNDECIDED: "Sales",
	PAYMENT_DUE: "Finance",
	SUPPLY_SLIPPED: "Sales",
	CREDIT_HOLD: "Finance",
}

GRADES = ("Low", "Medium", "High")


@dataclass(frozen=True)
class RiskSettings:
	pick_lead_days: int = 2  # working days before the promise by which the line should be picked
	payment_lead_days: int = 3  # working days before the promise by which a prepayment should be in


@dataclass(frozen=True)
class LineFacts:
	line: str
	promised_on: date | None
	pending_qty: float  # still to deliver (stock UOM)
	picked_qty: float = 0.0
	shortage_qty: float = 0.0
	shortage_decided: bool = False
	requested_on: date | None = None  # what the customer asked for; a later promise means a slip


@dataclass(frozen=True)
class OrderFacts:
	order: str
	lines: Sequence[LineFacts]
	awaiting_prepayment: bool = False
	on_credit_hold: bool = False


@dataclass(frozen=True)
class Reason:
	code: str
	grade: str
	line: str | None
	working_days_left: int | None
	responsible: str


@dataclass(frozen=True)
class Risk:
	order: str
	grade: str | None  # None: not at risk
	reasons: tuple[Reason, ...]
	promised_on: date | None

	@property
	def at_risk(self) -> bool:
		return bool(self.reasons)


def _grade(days_left: int, lead: int) -> str | None:
	if days_left < 0:
		return "High"  # already late
	if days_left <= max(lead // 2, 0):
		return "High"
	if days_left <= lead:
		return "Medium"
	return None


def assess(facts: OrderFacts, today: date, calendar: WorkCalendar, settings: RiskSettings) -> Risk:
	reasons: list[Reason] = []
	open_lines = [line for line in facts.lines if line.pending_qty > 1e-9]
	dates = [line.promised_on for line in open_lines if line.promised_on]
	earliest = min(dates) if dates else None
	for line in open_lines:
		if line.promised_on is None:
			continue
		days_left = calendar.working_days_between(today, line.promised_on)
		if line.picked_qty + 1e-9 < line.pending_qty:
			grade = _grade(days_left, settings.pick_lead_days)
			if grade:
				reasons.append(Reason(NOT_PICKED, grade, line.line, days_left, RESPONSIBLE[NOT_PICKED]))
		if line.shortage_qty > 1e-9 and not line.shortage_decided:
			grade = _grade(days_left, settings.pick_lead_days) or "Medium"
			reasons.append(
				Reason(SHORTAGE_UNDECIDED, grade, line.line, days_left, RESPONSIBLE[SHORTAGE_UNDECIDED])
			)
		if line.requested_on and line.promised_on > line.requested_on:
			reasons.append(Reason(SUPPLY_SLIPPED, "High", line.line, days_left, RESPONSIBLE[SUPPLY_SLIPPED]))
	if earliest is not None:
		days_left = calendar.working_days_between(today, earliest)
		if facts.awaiting_prepayment:
			grade = _grade(days_left, settings.payment_lead_days)
			if grade:
				reasons.append(Reason(PAYMENT_DUE, grade, None, days_left, RESPONSIBLE[PAYMENT_DUE]))
		if facts.on_credit_hold:
			reasons.append(
				Reason(
					CREDIT_HOLD,
					_grade(days_left, settings.payment_lead_days) or "Medium",
					None,
					days_left,
					RESPONSIBLE[CREDIT_HOLD],
				)
			)
	grade = max((r.grade for r in reasons), key=GRADES.index) if reasons else None
	return Risk(facts.order, grade, tuple(reasons), earliest)
