"""Order accuracy for the Order Accuracy report: changed, returned for changes, cancelled (per
reason), returned as wrong item / not as described, as shares of the orders."""

from datetime import date

from order_mgmt.analytics.accuracy import AccuracyFact, cancellation_rows, total_row, weekly_rows

MONDAY = date(2026, 11, 2)


def facts():
	return [
		AccuracyFact("A", MONDAY),  # accurate
		AccuracyFact("B", MONDAY, applied_changes=1),
		AccuracyFact("C", MONDAY, cancelled=True, cancellation_reason=" Customer changed mind "),
		AccuracyFact("D", MONDAY, cancelled=True, superseded=True),  # replaced by E: not counted
		AccuracyFact("E", date(2026, 11, 9), amends_approved=True),
		AccuracyFact("F", date(2026, 11, 9), return_reasons=("Wrong Item", "Damaged")),
		AccuracyFact("G", date(2026, 11, 9), returned_for_changes=True, return_reasons=("Not as Described",)),
		AccuracyFact("H", date(2026, 11, 10), cancelled=True),
	]


def test_total_row():
	total = total_row(facts())
	assert {k: total[k] for k in ("orders", "changed", "returned_for_changes", "cancelled")} == {
		"orders": 7,
		"changed": 2,
		"returned_for_changes": 1,
		"cancelled": 2,
	}
	assert (total["wrong_item"], total["not_as_described"], total["accurate"]) == (1, 1, 1)
	assert (total["changed_rate"], total["accurate_rate"], total["wrong_item_rate"]) == (28.57, 14.29, 14.29)


def test_weekly_rows():
	first, second = weekly_rows(facts())
	assert (first["week"], first["orders"], first["changed"], first["cancelled_rate"]) == (
		MONDAY,
		3,
		1,
		33.33,
	)
	assert (second["week"], second["orders"], second["accurate"]) == (date(2026, 11, 9), 4, 0)


def test_cancellation_reasons_most_frequent_first():
	rows = cancellation_rows(facts() + [AccuracyFact("I", MONDAY, cancelled=True)])
	assert rows == [
		{"reason": "(no reason)", "orders": 2, "share": 25.0},
		{"reason": "Customer changed mind", "orders": 1, "share": 12.5},
	]


def test_no_orders():
	assert total_row([])["changed_rate"] == 0.0
	assert weekly_rows([]) == [] and cancellation_rows([]) == []
