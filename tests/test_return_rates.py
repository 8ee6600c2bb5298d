"""Return rates for the Return Rate report."""

import pytest

from order_mgmt.returns.rates import rate_rows, return_rate


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


def test_rows_cover_every_key_highest_rate_first_with_the_top_reason():
	rows = rate_rows({"A": 100, "B": 10, "C": 5}, {"B": 5, "A": 1, "D": 2}, {"B": "Defective"})
	assert [row["key"] for row in rows] == ["D", "B", "A", "C"]
	assert rows[1] == {
		"key": "B",
		"delivered_qty": 10,
		"returned_qty": 5,
		"return_rate": 50.0,
		"top_reason": "Defective",
	}
	assert rows[-1]["return_rate"] == 0.0


def test_rows_skip_empty_keys():
	assert rate_rows({None: 5, "": 3}, {}) == []
