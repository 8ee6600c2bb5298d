"""At-risk grading: each reason, its grade by working days left, the order's grade."""

from datetime import date

from order_mgmt.fulfilment.promise import WorkCalendar
from order_mgmt.fulfilment.risk import (
	CREDIT_HOLD,
	NOT_PICKED,
	PAYMENT_DUE,
	SHORTAGE_UNDECIDED,
	SUPPLY_SLIPPED,
	LineFacts,
	OrderFacts,
	RiskSettings,
	assess,
)

MON = date(2026, 11, 30)
CAL = WorkCalendar()
SETTINGS = RiskSettings(pick_lead_days=2, payment_lead_days=3)


def day(n: int) -> date:
	return CAL.add_working_days(MON, n)


def risk(*lines, **order):
	return assess(OrderFacts("CO-1", lines, **order), MON, CAL, SETTINGS)


def codes(result):
	return [(r.code, r.grade) for r in result.reasons]


def test_far_from_the_promise_nothing_is_at_risk():
	result = risk(LineFacts("L1", day(10), pending_qty=5))
	assert not result.at_risk and result.grade is None and result.promised_on == day(10)


def test_not_picked_grades_up_as_the_promise_nears_and_after_it_passes():
	assert codes(risk(LineFacts("L1", day(2), pending_qty=5))) == [(NOT_PICKED, "Medium")]
	assert codes(risk(LineFacts("L1", day(1), pending_qty=5))) == [(NOT_PICKED, "High")]
	assert codes(risk(LineFacts("L1", date(2026, 11, 27), pending_qty=5))) == [(NOT_PICKED, "High")]


def test_picked_or_delivered_lines_are_not_at_risk():
	assert not risk(LineFacts("L1", day(1), pending_qty=5, picked_qty=5)).at_risk
	assert not risk(LineFacts("L1", day(1), pending_qty=0)).at_risk


def test_weekends_do_not_count_as_time_left():
	# Friday's promise seen on Monday is 4 working days away; the next Monday's is 5 (not 7)
	assert not risk(LineFacts("L1", date(2026, 12, 7), pending_qty=1)).at_risk


def test_undecided_shortage_is_at_risk_even_far_ahead():
	result = risk(LineFacts("L1", day(10), pending_qty=5, shortage_qty=2))
	assert codes(result) == [(SHORTAGE_UNDECIDED, "Medium")]
	assert result.reasons[0].responsible == "Sales"
	assert not risk(LineFacts("L1", day(10), pending_qty=5, shortage_qty=2, shortage_decided=True)).at_risk


def test_a_promise_later_than_requested_is_a_slip():
	result = risk(LineFacts("L1", day(8), pending_qty=5, requested_on=day(4)))
	assert codes(result) == [(SUPPLY_SLIPPED, "High")] and result.grade == "High"


def test_prepayment_due_and_credit_hold_are_the_finance_reasons():
	result = risk(
		LineFacts("L1", day(3), pending_qty=5, picked_qty=5), awaiting_prepayment=True, on_credit_hold=True
	)
	assert codes(result) == [(PAYMENT_DUE, "Medium"), (CREDIT_HOLD, "Medium")]
	assert {r.responsible for r in result.reasons} == {"Finance"}
	assert not risk(LineFacts("L1", day(9), pending_qty=5, picked_qty=5), awaiting_prepayment=True).at_risk


def test_the_order_takes_its_worst_reason_and_earliest_promise():
	result = risk(LineFacts("L1", day(2), pending_qty=5), LineFacts("L2", day(1), pending_qty=1))
	assert result.grade == "High" and result.promised_on == day(1)
