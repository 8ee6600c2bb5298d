"""Cancellations and changes per group (order_mgmt/orders/change_stats.py)."""

from datetime import date

import pytest

from order_mgmt.orders.change_stats import OrderFact, rows

FACTS = [
	OrderFact("A", date(2026, 10, 3), "C1", ("Tools",), applied_changes=2),
	OrderFact(
		"B",
		date(2026, 10, 9),
		"C1",
		("Tools", "Parts"),
		cancelled=True,
		category="Price",
		stage="After Approval",
	),
	OrderFact("C", date(2026, 11, 1), "C2", ("Parts",), cancelled=True, category="Price", stage="In Review"),
	OrderFact("D", date(2026, 11, 2), "C2", ("Parts",)),
	OrderFact(
		"E", date(2026, 11, 5), "C3", (), cancelled=True, category="Duplicate Order", stage="In Review"
	),
]


def by_group(group_by):
	return {row["group"]: row for row in rows(FACTS, group_by)}


def test_per_month_rates():
	result = rows(FACTS, "Month")
	assert [row["group"] for row in result] == ["2026-10", "2026-11"]
	october, november = result
	assert (october["orders"], october["cancelled"], october["cancel_rate"]) == (2, 1, 50.0)
	assert (october["changed"], october["change_rate"], october["change_requests"]) == (1, 50.0, 2)
	assert (november["orders"], november["cancelled"], november["cancel_rate"]) == (3, 2, 66.67)


def test_an_order_counts_in_each_of_its_item_groups():
	groups = by_group("Item Group")
	assert (groups["Tools"]["orders"], groups["Parts"]["orders"], groups["(none)"]["orders"]) == (2, 3, 1)
	assert groups["Parts"]["cancelled"] == 2


def test_reasons_and_stages_count_cancelled_orders_only():
	reasons = rows(FACTS, "Cancellation Reason")
	assert [(row["group"], row["cancelled"], row["share_of_cancellations"]) for row in reasons] == [
		("Price", 2, 66.67),
		("Duplicate Order", 1, 33.33),
	]
	stages = by_group("Stage")
	assert (stages["In Review"]["cancelled"], stages["After Approval"]["cancelled"]) == (2, 1)


def test_per_customer_and_no_facts():
	customers = rows(FACTS, "Customer")
	assert [row["group"] for row in customers] == ["C1", "C2", "C3"]
	assert rows([], "Month") == []


def test_unknown_grouping():
	with pytest.raises(ValueError):
		rows(FACTS, "Colour")
