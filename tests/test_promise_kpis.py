from datetime import date

from order_mgmt.analytics.promises import PromiseRow, outcome, performance, total

TODAY = date(2026, 12, 10)


def test_outcomes():
	assert outcome(PromiseRow("a", date(2026, 12, 5), date(2026, 12, 5)), TODAY) == "kept"
	assert outcome(PromiseRow("a", date(2026, 12, 5), date(2026, 12, 6)), TODAY) == "late"
	assert outcome(PromiseRow("a", date(2026, 12, 5), None), TODAY) == "late"
	assert outcome(PromiseRow("a", date(2026, 12, 15), None), TODAY) == "open"
	assert outcome(PromiseRow("a", None, None), TODAY) == "unpromised"


def test_kept_rate_counts_only_decided_promises_against_the_original_date():
	rows = [
		PromiseRow("W49", date(2026, 12, 1), date(2026, 12, 1)),
		PromiseRow("W49", date(2026, 12, 1), date(2026, 12, 3), repromised=1),
		PromiseRow("W49", date(2026, 12, 1), date(2026, 11, 30)),
		PromiseRow("W50", date(2026, 12, 20), None, repromised=2),
	]
	by_week = {r["group"]: r for r in performance(rows, TODAY)}
	assert (by_week["W49"]["kept"], by_week["W49"]["late"], by_week["W49"]["kept_rate"]) == (2, 1, 66.7)
	assert by_week["W49"]["repromise_rate"] == 33.3
	assert (by_week["W50"]["open"], by_week["W50"]["kept_rate"]) == (1, None)
	overall = total(list(by_week.values()))
	assert (overall["promises"], overall["kept_rate"], overall["repromised"]) == (4, 66.7, 2)


def test_re_promised_lines_are_counted_by_what_moved_them():
	rows = [
		PromiseRow("x", date(2026, 12, 1), None, repromised=1, cause="Purchase Order"),
		PromiseRow("x", date(2026, 12, 1), None, repromised=2, cause="Stock Reconciliation"),
		PromiseRow("x", date(2026, 12, 1), None, repromised=1, cause=None),
		PromiseRow("x", date(2026, 12, 1), None),
	]
	[row] = performance(rows, TODAY)
	assert (row["moved_supply"], row["moved_stock"], row["moved_change"], row["moved_other"]) == (1, 1, 0, 1)
	assert total([row])["moved_supply"] == 1
