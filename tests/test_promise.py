"""Available-to-promise engine: netting, look-ahead, splits, buffers, holidays, re-promise."""

from datetime import date

import pytest

from order_mgmt.fulfilment.promise import (
	Commitment,
	Ledger,
	PromiseError,
	Supply,
	WorkCalendar,
	available_to_promise,
	over_promised,
	promise_line,
	repromise,
)

MON = date(2026, 11, 30)  # a Monday
TUE, WED, THU, FRI, SAT, SUN = (date(2026, 12, d) for d in (1, 2, 3, 4, 5, 6))
NEXT_MON = date(2026, 12, 7)
DEC_14 = date(2026, 12, 14)
CAL = WorkCalendar()


def po(on, qty, name="PO-1", soft=False):
	return Supply(on, qty, "Material Request" if soft else "Purchase Order", name, soft)


def test_stock_on_hand_ships_today():
	line = promise_line(Ledger(free_now=50), CAL, MON, 20)
	assert line.meets_request and line.earliest_full_date == MON
	assert [(p.source_doctype, p.qty) for p in line.promises[0].pegs] == [("Stock", 20)]


def test_earliest_date_is_the_supply_that_completes_the_quantity():
	ledger = Ledger(free_now=20, supplies=(po(THU, 30, "PO-A"), po(DEC_14, 100, "PO-B")))
	line = promise_line(ledger, CAL, MON, 50, requested_on=THU)
	assert line.earliest_full_date == THU and line.meets_request
	assert [(p.source_name, p.qty) for p in line.promises[0].pegs] == [("Stock", 20), ("PO-A", 30)]


def test_split_when_the_requested_date_cannot_be_met():
	ledger = Ledger(free_now=20, supplies=(po(DEC_14, 100, "PO-B"),))
	line = promise_line(ledger, CAL, MON, 50, requested_on=TUE)
	assert [(p.qty, p.ship_on) for p in line.promises] == [(20, TUE), (30, DEC_14)]
	assert not line.meets_request and line.earliest_full_date == DEC_14
	assert line.promises[1].pegs[0].source_name == "PO-B"


def test_look_ahead_keeps_supply_a_later_promise_rests_on():
	# 10 in stock are already promised for Friday: a new order today cannot take them,
	# even though they sit in the warehouse until Friday.
	ledger = Ledger(free_now=10, supplies=(po(DEC_14, 10),), commitments=(Commitment(FRI, 10, "L1"),))
	assert available_to_promise(ledger, CAL, MON, MON) == 0
	line = promise_line(ledger, CAL, MON, 5)
	assert [(p.qty, p.ship_on) for p in line.promises] == [(5, DEC_14)]


def test_earlier_promise_consumes_first_and_the_new_one_pegs_to_the_rest():
	ledger = Ledger(free_now=10, supplies=(po(THU, 10, "PO-A"),), commitments=(Commitment(MON, 8, "L1"),))
	line = promise_line(ledger, CAL, MON, 5)
	assert [(p.qty, p.ship_on) for p in line.promises] == [(2, MON), (3, THU)]
	assert line.promises[1].pegs[0].source_name == "PO-A"


def test_short_when_no_known_supply_covers_it():
	ledger = Ledger(free_now=5, supplies=(po(THU, 5),))
	line = promise_line(ledger, CAL, MON, 20, requested_on=MON)
	assert [(p.qty, p.ship_on) for p in line.promises] == [(5, MON), (5, THU)]
	assert line.short_qty == 10 and line.earliest_full_date is None


def test_buffer_days_count_working_days_only():
	calendar = WorkCalendar(buffer_days=2)
	ledger = Ledger(free_now=0, supplies=(po(THU, 10),))
	# Thursday + 2 working days = next Monday (weekend skipped)
	assert promise_line(ledger, calendar, MON, 10).earliest_full_date == NEXT_MON


def test_holidays_and_weekends_move_ship_dates():
	calendar = WorkCalendar(holidays=frozenset({NEXT_MON}))
	ledger = Ledger(free_now=0, supplies=(po(SAT, 10),))
	assert promise_line(ledger, calendar, MON, 10).earliest_full_date == date(2026, 12, 8)
	# a request on a Sunday is read as the next working day
	assert promise_line(Ledger(free_now=5), calendar, MON, 5, requested_on=SUN).earliest_full_date == date(
		2026, 12, 8
	)


def test_soft_supply_counts_only_when_enabled():
	supplies = (po(WED, 10, "MR-1", soft=True),)
	assert promise_line(Ledger(0, supplies), CAL, MON, 10).short_qty == 10
	line = promise_line(Ledger(0, supplies, use_soft_supply=True), CAL, MON, 10)
	assert line.earliest_full_date == WED


def test_past_supply_dates_count_from_today():
	ledger = Ledger(free_now=0, supplies=(po(date(2026, 11, 1), 10),))
	assert promise_line(ledger, CAL, MON, 10).earliest_full_date == MON


def test_zero_quantity_is_promised_on_the_requested_day():
	assert promise_line(Ledger(0), CAL, MON, 0, requested_on=WED).earliest_full_date == WED


@pytest.mark.parametrize("qty", [-1, float("nan")])
def test_bad_quantities_are_refused(qty):
	with pytest.raises(PromiseError):
		promise_line(Ledger(10), CAL, MON, qty)


def test_audit_finds_over_promise_and_passes_a_netted_ledger():
	good = Ledger(10, (po(THU, 10),), (Commitment(MON, 10, "L1"), Commitment(THU, 10, "L2")))
	assert over_promised(good, CAL, MON) == []
	bad = Ledger(10, (po(THU, 10),), (Commitment(MON, 15, "L1"),))
	assert over_promised(bad, CAL, MON) == [(MON, 5)]


def test_promises_made_one_after_another_never_over_promise():
	ledger = Ledger(7, (po(WED, 11, "A"), po(DEC_14, 13, "B"), po(FRI, 4, "C", soft=True)))
	for n, qty in enumerate([3, 5, 2, 9, 6, 4]):
		line = promise_line(ledger, CAL, MON, qty, requested_on=TUE)
		added = tuple(Commitment(p.ship_on, p.qty, f"L{n}") for p in line.promises if p.qty)
		ledger = Ledger(ledger.free_now, ledger.supplies, ledger.commitments + added)
		assert over_promised(ledger, CAL, MON) == []
	assert sum(c.qty for c in ledger.commitments) == 29
	# 2 left of 7 + 11 + 13 (the soft supply does not count)
	assert promise_line(ledger, CAL, MON, 5).short_qty == 3


def test_repromise_after_a_slip_keeps_urgent_lines_first():
	# PO slipped from Wednesday to the 14th: only 10 in stock for two lines of 10 due Wednesday.
	ledger = Ledger(
		10,
		(po(DEC_14, 10),),
		(Commitment(WED, 10, "NORMAL-1", "Normal"), Commitment(THU, 10, "URGENT-1", "Urgent")),
	)
	moved = repromise(ledger, CAL, MON)
	assert [(m.line, m.old_on, m.new_on) for m in moved] == [("NORMAL-1", WED, DEC_14)]


def test_repromise_leaves_promises_that_still_hold():
	ledger = Ledger(20, (), (Commitment(WED, 10, "L1"), Commitment(THU, 10, "L2")))
	assert repromise(ledger, CAL, MON) == []


def test_repromise_reports_lines_no_supply_covers():
	ledger = Ledger(5, (), (Commitment(WED, 10, "L1"),))
	[moved] = repromise(ledger, CAL, MON)
	assert moved.new_on is None


def test_working_days_between():
	assert CAL.working_days_between(MON, NEXT_MON) == 5
	assert CAL.working_days_between(NEXT_MON, MON) == -5


def test_a_late_unshipped_promise_still_counts_as_due_today():
	# promised last Friday, not shipped: today's 10 in stock are its, not a new order's
	late = Ledger(10, (), (Commitment(date(2026, 11, 27), 10, "LATE"),))
	assert over_promised(late, CAL, MON) == []
	assert available_to_promise(late, CAL, MON, MON) == 0
	assert promise_line(late, CAL, MON, 1).short_qty == 1
