"""Return rates for the Return Rate report: requested and received side by side, each with its own
top reason; the rate is based on what was received."""

import pytest

from order_mgmt.returns.rates import rate_rows, reason_rows, return_rate, top_reasons


@pytest.mark.parametrize(
	"delivered, returned, rate",
	[
		(100, 0, 0.0),
		(100, 5, 5.0),
		(3, 1, 33.33),
		(10, 10, 100.0),
		(0, 2, 100.0),
		(0, 0, 0.0),
		(8, 12, 150.0),
	],
)
def test_return_rate(delivered, returned, rate):
	assert return_rate(delivered, returned) == rate


def test_rows_cover_every_key_highest_rate_first_with_both_top_reasons():
	rows = rate_rows(
		{"A": 100, "B": 10, "C": 5},
		{"B": 5, "A": 1, "D": 2},
		requested={"B": 7, "C": 3},
		requested_reasons={"B": "Wrong Item", "C": "Defective"},
		returned_reasons={"B": "Defective"},
	)
	assert [row["key"] for row in rows] == ["D", "B", "A", "C"]
	assert rows[1] == {
		"key": "B",
		"delivered_qty": 10,
		"requested_qty": 7,
		"top_requested_reason": "Wrong Item",
		"returned_qty": 5,
		"top_returned_reason": "Defective",
		"return_rate": 50.0,
	}
	assert rows[-1] == {
		"key": "C",
		"delivered_qty": 5,
		"requested_qty": 3,
		"top_requested_reason": "Defective",
		"returned_qty": 0.0,
		"top_returned_reason": None,
		"return_rate": 0.0,
	}


def test_a_requested_reason_never_comes_with_a_returned_rate_it_did_not_earn():
	"""Issue 11 item 11: an open request's reason used to show next to 0 % returned as if it were
	the reason of returns. Requested and returned now each carry their own reason."""
	(row,) = rate_rows({"A": 10}, {}, requested={"A": 4}, requested_reasons={"A": "Defective"})
	assert (row["requested_qty"], row["top_requested_reason"]) == (4, "Defective")
	assert (row["returned_qty"], row["top_returned_reason"], row["return_rate"]) == (0.0, None, 0.0)


def test_keys_only_requested_still_show_and_rows_skip_empty_keys():
	assert [row["key"] for row in rate_rows({}, {}, requested={"A": 1})] == ["A"]
	assert rate_rows({None: 5, "": 3}, {}, requested={None: 1}) == []


def test_among_equal_rates_the_most_requested_comes_first():
	rows = rate_rows({"A": 10, "B": 10}, {}, requested={"A": 1, "B": 3})
	assert [row["key"] for row in rows] == ["B", "A"]


def test_top_reason_by_quantity_summed_per_key_ties_alphabetical():
	lines = [
		("A", "Wrong Item", 2),
		("A", "Defective", 1),
		("A", "Defective", 2),  # Defective: 3 in all
		("B", "Wrong Item", 1),
		("B", "Defective", 1),  # a tie: alphabetical
		("C", None, 5),  # a line without a reason does not count
		(None, "Defective", 5),
		("D", "Other", 0),
	]
	assert top_reasons(lines) == {"A": "Defective", "B": "Defective"}
	assert top_reasons(reversed(lines)) == top_reasons(lines)


def test_reason_rows_compare_each_reason_with_everything_delivered():
	rows = reason_rows(200, requested={"Defective": 6, "Wrong Item": 2}, returned={"Defective": 4})
	assert rows == [
		{
			"key": "Defective",
			"delivered_qty": 200,
			"requested_qty": 6,
			"top_requested_reason": None,
			"returned_qty": 4,
			"top_returned_reason": None,
			"return_rate": 2.0,
		},
		{
			"key": "Wrong Item",
			"delivered_qty": 200,
			"requested_qty": 2,
			"top_requested_reason": None,
			"returned_qty": 0.0,
			"top_returned_reason": None,
			"return_rate": 0.0,
		},
	]
