"""Order-line arithmetic and guards (order_mgmt/orders/rules.py)."""

import pytest

from order_mgmt.orders.rules import (
	PricedLine,
	duplicate_key,
	is_below_minimum_rate,
	is_whole_number,
	minimum_rate,
	resolve_rate_and_discount,
)

# resolve_rate_and_discount


def test_discount_drives_the_rate_from_the_price_list_rate():
	assert resolve_rate_and_discount(200, None, 15) == PricedLine(170.0, 15.0)


def test_explicit_discount_wins_over_an_explicit_rate():
	assert resolve_rate_and_discount(200, 150, 10) == PricedLine(180.0, 10.0)


def test_discount_without_price_list_rate_keeps_the_given_rate():
	assert resolve_rate_and_discount(0, 80, 10) == PricedLine(80.0, 10.0)


def test_explicit_rate_below_price_list_implies_its_discount():
	priced = resolve_rate_and_discount(200, 150, None)
	assert priced.rate == 150.0
	assert priced.discount_percentage == pytest.approx(25.0)


def test_implied_discount_is_rounded_to_six_places():
	priced = resolve_rate_and_discount(3, 2, None)
	assert priced.discount_percentage == 33.333333


@pytest.mark.parametrize("rate", [None, 0])
def test_no_rate_and_no_discount_takes_the_price_list_rate(rate):
	assert resolve_rate_and_discount(120, rate, None) == PricedLine(120.0, 0.0)


def test_rate_without_price_list_rate_is_kept_with_no_discount():
	assert resolve_rate_and_discount(0, 75, None) == PricedLine(75.0, 0.0)


def test_nothing_known_gives_a_zero_rate():
	assert resolve_rate_and_discount(None, None, None) == PricedLine(0.0, 0.0)


def test_rate_above_price_list_rate_gives_no_discount():
	assert resolve_rate_and_discount(100, 130, None) == PricedLine(130.0, 0.0)


def test_rate_equal_to_price_list_rate_gives_no_discount():
	assert resolve_rate_and_discount(100, 100, None) == PricedLine(100.0, 0.0)


# minimum_rate / is_below_minimum_rate


@pytest.mark.parametrize(
	("price_list_rate", "max_discount", "expected"),
	[(100, 10, 90.0), (250, 20, 200.0), (99.99, 0, 99.99), (100, None, 100.0), (None, 10, 0.0)],
)
def test_minimum_rate_is_price_list_rate_less_the_maximum_discount(price_list_rate, max_discount, expected):
	assert minimum_rate(price_list_rate, max_discount) == pytest.approx(expected)


def test_rate_below_the_minimum_is_refused():
	assert is_below_minimum_rate(89.99, 100, 10) is True


def test_rate_exactly_at_the_minimum_is_allowed():
	assert is_below_minimum_rate(90, 100, 10) is False


def test_rate_below_the_minimum_only_by_float_noise_is_allowed():
	assert is_below_minimum_rate(90 - 5e-7, 100, 10) is False


def test_rate_from_the_maximum_discount_round_trip_is_not_below_the_minimum():
	priced = resolve_rate_and_discount(33.33, None, 7.5)
	assert is_below_minimum_rate(priced.rate, 33.33, priced.discount_percentage) is False


@pytest.mark.parametrize("price_list_rate", [0, None])
def test_line_without_price_list_rate_is_never_below_the_minimum(price_list_rate):
	assert is_below_minimum_rate(0.01, price_list_rate, 10) is False


# is_whole_number


@pytest.mark.parametrize("qty", [0, 1, 3.0, 12, -2, 5.0000000001])
def test_whole_quantities_are_recognised(qty):
	assert is_whole_number(qty) is True


@pytest.mark.parametrize("qty", [0.5, 1.25, 2.001, -0.1])
def test_fractional_quantities_are_rejected(qty):
	assert is_whole_number(qty) is False


# duplicate_key

LINES = [("ITEM-A", 2, "Nos", 10.0), ("ITEM-B", 1, "Kg", 5.5)]


def test_duplicate_key_ignores_the_order_of_the_lines():
	assert duplicate_key("CUST-1", None, "2024-05-01", LINES) == duplicate_key(
		"CUST-1", None, "2024-05-01", list(reversed(LINES))
	)


def test_duplicate_key_treats_equal_numbers_of_different_types_alike():
	lines = [("ITEM-A", 2.0, "Nos", 10), ("ITEM-B", 1.0, "Kg", 5.5)]
	assert duplicate_key("CUST-1", None, "2024-05-01", LINES) == duplicate_key(
		"CUST-1", None, "2024-05-01", lines
	)


def test_same_po_reference_on_different_dates_is_the_same_order():
	assert duplicate_key("CUST-1", "PO-77", "2024-05-01", LINES) == duplicate_key(
		"CUST-1", "PO-77", "2024-06-15", LINES
	)


def test_po_reference_is_compared_without_surrounding_whitespace():
	assert duplicate_key("CUST-1", " PO-77 ", "2024-05-01", LINES) == duplicate_key(
		"CUST-1", "PO-77", "2024-05-01", LINES
	)


def test_different_po_references_are_different_orders():
	assert duplicate_key("CUST-1", "PO-77", "2024-05-01", LINES) != duplicate_key(
		"CUST-1", "PO-78", "2024-05-01", LINES
	)


def test_without_po_reference_the_same_lines_on_different_dates_are_different_orders():
	assert duplicate_key("CUST-1", None, "2024-05-01", LINES) != duplicate_key(
		"CUST-1", None, "2024-05-02", LINES
	)


@pytest.mark.parametrize("blank_po", ["", "   ", "\t"])
def test_blank_po_reference_is_treated_as_none(blank_po):
	assert duplicate_key("CUST-1", blank_po, "2024-05-01", LINES) == duplicate_key(
		"CUST-1", None, "2024-05-01", LINES
	)
	assert duplicate_key("CUST-1", blank_po, "2024-05-01", LINES) != duplicate_key(
		"CUST-1", blank_po, "2024-05-02", LINES
	)


def test_po_reference_and_no_po_reference_are_different_orders():
	assert duplicate_key("CUST-1", "PO-77", "2024-05-01", LINES) != duplicate_key(
		"CUST-1", None, "2024-05-01", LINES
	)


def test_different_customers_are_different_orders():
	assert duplicate_key("CUST-1", "PO-77", "2024-05-01", LINES) != duplicate_key(
		"CUST-2", "PO-77", "2024-05-01", LINES
	)


@pytest.mark.parametrize(
	"changed_line",
	[
		("ITEM-A", 3, "Nos", 10.0),  # quantity
		("ITEM-A", 2, "Nos", 10.5),  # rate
		("ITEM-A", 2, "Box", 10.0),  # UOM
		("ITEM-C", 2, "Nos", 10.0),  # item
	],
)
def test_a_changed_line_makes_a_different_order(changed_line):
	assert duplicate_key("CUST-1", "PO-77", "2024-05-01", LINES) != duplicate_key(
		"CUST-1", "PO-77", "2024-05-01", [changed_line, LINES[1]]
	)


def test_an_extra_line_makes_a_different_order():
	assert duplicate_key("CUST-1", "PO-77", "2024-05-01", LINES) != duplicate_key(
		"CUST-1", "PO-77", "2024-05-01", [*LINES, ("ITEM-A", 2, "Nos", 10.0)]
	)


def test_duplicate_key_is_a_32_character_hex_digest():
	key = duplicate_key("CUST-1", None, "2024-05-01", LINES)
	assert len(key) == 32
	int(key, 16)
