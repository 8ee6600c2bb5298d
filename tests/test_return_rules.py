"""Return eligibility and review policy (order_mgmt/returns/eligibility.py, returns/status.py)."""

from datetime import date, timedelta

import pytest

from order_mgmt.returns import eligibility as rules
from order_mgmt.returns.eligibility import (
	DeliveredLine,
	Policy,
	Problem,
	ReasonRule,
	RequestLine,
	check_lines,
	is_within_window,
	line_amount,
	match_delivered_lines,
)
from order_mgmt.returns.status import approvals_needed, decision_of, status_of

TODAY = date(2026, 11, 30)
REASONS = {
	"Defective": ReasonRule(enabled=True, requires_photo=True),
	"No Longer Needed": ReasonRule(enabled=True, requires_photo=False),
	"Retired": ReasonRule(enabled=False),
}


def delivered(name="DNI-1", note="DN-1", item="ITEM-A", qty=5.0, days_ago=3, **fields) -> DeliveredLine:
	return DeliveredLine(
		name=name,
		delivery_note=note,
		item_code=item,
		delivered_qty=qty,
		delivered_on=TODAY - timedelta(days=days_ago),
		rate=fields.pop("rate", 100.0),
		**fields,
	)


def line(row=1, item="ITEM-A", qty=1.0, dni="DNI-1", reason="No Longer Needed", **fields) -> RequestLine:
	return RequestLine(row=row, item_code=item, qty=qty, delivery_note_item=dni, reason=reason, **fields)


def check(lines, lines_delivered=None, returnable=None, policy=None):
	lines_delivered = lines_delivered if lines_delivered is not None else [delivered()]
	return check_lines(
		lines,
		{d.name: d for d in lines_delivered},
		returnable or {},
		REASONS,
		policy or Policy(requested_on=TODAY, window_days=30),
	)


def codes(problems):
	return [(p.row, p.field, p.code) for p in problems]


# a valid request


def test_a_line_within_the_window_and_quantity_has_no_problem():
	assert check([line(qty=5)]) == []


def test_no_lines_is_a_problem_of_the_request():
	assert codes(check([])) == [(None, "items", rules.NO_LINES)]


# quantities


@pytest.mark.parametrize("qty", [0, -1, None])
def test_quantity_must_be_positive(qty):
	assert (1, "qty", rules.QTY_NOT_POSITIVE) in codes(check([line(qty=qty)]))


def test_quantity_above_what_was_delivered_is_refused_with_the_numbers():
	problems = check([line(qty=6)])
	assert codes(problems) == [(1, "qty", rules.QTY_EXCEEDS)]
	assert problems[0].args == (6.0, 5.0, 5.0, 0.0)


def test_returned_and_requested_quantities_reduce_what_is_returnable():
	source = delivered(returned_qty=1, requested_qty=2)
	assert source.already_returned_qty == 3
	assert source.returnable_qty == 2
	assert check([line(qty=2)], [source]) == []
	problems = check([line(qty=3)], [source])
	assert codes(problems) == [(1, "qty", rules.QTY_EXCEEDS)]
	assert problems[0].args == (3.0, 2.0, 5.0, 3.0)


def test_returnable_quantity_never_goes_below_zero():
	assert delivered(qty=2, returned_qty=3).returnable_qty == 0


def test_rows_for_the_same_delivered_line_share_its_quantity():
	problems = check([line(row=1, qty=3), line(row=2, qty=3)])
	assert codes(problems) == [(2, "qty", rules.QTY_EXCEEDS)]
	assert problems[0].args[1] == 2.0  # what was left after row 1


def test_float_noise_does_not_refuse_the_exact_quantity():
	assert check([line(qty=0.1 + 0.2)], [delivered(qty=0.3)]) == []


# delivery lines


def test_a_line_not_delivered_on_the_order_is_refused():
	assert codes(check([line(dni="DNI-OTHER")])) == [(1, "item_code", rules.NOT_DELIVERED)]


def test_a_line_without_a_delivery_line_is_refused():
	assert codes(check([line(dni=None)])) == [(1, "item_code", rules.NOT_DELIVERED)]


def test_lines_must_be_on_the_delivery_note_the_request_names():
	policy = Policy(requested_on=TODAY, delivery_note="DN-2")
	problems = check([line()], policy=policy)
	assert codes(problems) == [(1, "delivery_note", rules.OTHER_DELIVERY_NOTE)]
	assert problems[0].args == ("DN-1", "DN-2")


def test_the_item_must_be_the_delivered_lines_item():
	problems = check([line(item="ITEM-B")])
	assert codes(problems) == [(1, "item_code", rules.ITEM_MISMATCH)]
	assert problems[0].args == ("ITEM-B", "DN-1", "ITEM-A")


# return window


@pytest.mark.parametrize(("days_ago", "window", "inside"), [(30, 30, True), (31, 30, False), (0, 30, True)])
def test_the_window_counts_days_from_the_delivery_note(days_ago, window, inside):
	assert is_within_window(TODAY - timedelta(days=days_ago), TODAY, window) is inside


def test_no_window_set_means_no_limit():
	assert is_within_window(TODAY - timedelta(days=4000), TODAY, 0) is True


def test_a_line_outside_the_window_is_refused_with_the_days():
	problems = check([line()], [delivered(days_ago=45)])
	assert codes(problems) == [(1, "delivery_note", rules.OUTSIDE_WINDOW)]
	assert problems[0].args == ("DN-1", TODAY - timedelta(days=45), 45, 30)


def test_a_request_dated_before_the_delivery_is_refused():
	problems = check([line()], [delivered(days_ago=-2)])
	assert codes(problems) == [(1, "delivery_note", rules.BEFORE_DELIVERY)]


# items and reasons


def test_an_item_that_is_not_returnable_is_refused():
	assert codes(check([line()], returnable={"ITEM-A": False})) == [(1, "item_code", rules.NOT_RETURNABLE)]


def test_items_are_returnable_unless_said_otherwise():
	assert check([line()], returnable={"ITEM-B": False}) == []


def test_a_reason_is_required():
	assert codes(check([line(reason=None)])) == [(1, "reason", rules.REASON_MISSING)]


@pytest.mark.parametrize("reason", ["Retired", "Unknown"])
def test_a_disabled_or_unknown_reason_is_refused(reason):
	assert codes(check([line(reason=reason)])) == [(1, "reason", rules.REASON_DISABLED)]


def test_a_photo_is_required_when_the_reason_says_so():
	assert codes(check([line(reason="Defective")])) == [(1, "photo", rules.PHOTO_REQUIRED)]
	assert check([line(reason="Defective", has_photo=True)]) == []


def test_every_problem_of_every_row_is_reported_in_row_order():
	problems = check(
		[line(row=1, qty=9, reason="Defective"), line(row=2, dni="DNI-X", reason=None)],
		returnable={"ITEM-A": False},
	)
	assert codes(problems) == [
		(1, "qty", rules.QTY_EXCEEDS),
		(1, "item_code", rules.NOT_RETURNABLE),
		(1, "photo", rules.PHOTO_REQUIRED),
		(2, "item_code", rules.NOT_DELIVERED),
		(2, "item_code", rules.NOT_RETURNABLE),
		(2, "reason", rules.REASON_MISSING),
	]
	assert all(isinstance(p, Problem) for p in problems)


# matching rows entered without a delivery line


def test_rows_without_a_delivery_line_take_the_first_line_of_their_item_with_quantity_left():
	lines_delivered = [
		delivered(name="DNI-1", note="DN-1", qty=2, returned_qty=2),
		delivered(name="DNI-2", note="DN-2", qty=3),
		delivered(name="DNI-3", note="DN-3", item="ITEM-B", qty=1),
	]
	matched = match_delivered_lines(
		[line(row=1, dni=None, qty=2), line(row=2, item="ITEM-B", dni=None)], lines_delivered
	)
	assert [(m.delivery_note, m.delivery_note_item) for m in matched] == [
		("DN-2", "DNI-2"),
		("DN-3", "DNI-3"),
	]


def test_matching_counts_earlier_rows_and_respects_the_delivery_note():
	lines_delivered = [
		delivered(name="DNI-1", note="DN-1", qty=2),
		delivered(name="DNI-2", note="DN-2", qty=2),
	]
	matched = match_delivered_lines([line(row=1, qty=2), line(row=2, dni=None, qty=1)], lines_delivered)
	assert matched[1].delivery_note_item == "DNI-2"
	only_dn1 = match_delivered_lines([line(row=1, dni=None)], lines_delivered, delivery_note="DN-1")
	assert only_dn1[0].delivery_note_item == "DNI-1"
	on_row = match_delivered_lines([line(row=1, dni=None, delivery_note="DN-2")], lines_delivered)
	assert on_row[0].delivery_note_item == "DNI-2"


def test_rows_of_undelivered_items_stay_unmatched():
	matched = match_delivered_lines([line(item="ITEM-Z", dni=None)], [delivered()])
	assert matched[0].delivery_note_item is None


def test_amount_is_quantity_times_rate_rounded():
	assert line_amount(3, 33.333) == 100.0
	assert line_amount(None, 10) == 0.0


# review policy and status


@pytest.mark.parametrize(
	("resolution", "amount", "threshold", "needed"),
	[
		("Refund", 999.99, 1000, 1),
		("Refund", 1000, 1000, 2),
		("Refund", 5000, 0, 1),
		("Exchange", 5000, 1000, 1),
		("Store Credit", 5000, 1000, 1),
	],
)
def test_large_refunds_need_two_approvals(resolution, amount, threshold, needed):
	assert approvals_needed(resolution, amount, threshold) == needed


@pytest.mark.parametrize(
	("docstatus", "state", "status"),
	[
		(0, "Draft", "Draft"),
		(0, None, "Draft"),
		(1, "Under Review", "Under Review"),
		(1, "Goods Received", "Goods Received"),
		(1, None, "Submitted"),
		(1, "Draft", "Submitted"),
		(2, "Approved", "Cancelled"),
	],
)
def test_status_mirrors_the_workflow_state(docstatus, state, status):
	assert status_of(docstatus, state) == status


@pytest.mark.parametrize(
	("given", "decision"),
	[("Approve", "Approved"), ("approved", "Approved"), ("Reject", "Rejected"), ("x", None)],
)
def test_decisions_are_normalised(given, decision):
	assert decision_of(given) == decision
