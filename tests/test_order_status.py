"""Customer Order status mirrored from its Sales Order (order_mgmt/orders/status.py)."""

import json
from pathlib import Path

import pytest

from order_mgmt.orders import status
from order_mgmt.orders.status import status_from_sales_order


def test_cancelled_sales_order_puts_the_order_on_hold():
	assert status_from_sales_order(2, "Cancelled", 0, 0) == status.ON_HOLD


def test_cancelled_sales_order_puts_the_order_on_hold_even_after_delivery():
	assert status_from_sales_order(2, "Cancelled", 100, 100) == status.ON_HOLD


def test_draft_sales_order_leaves_the_order_approved():
	assert status_from_sales_order(0, "Draft", 0, 0) == status.APPROVED


@pytest.mark.parametrize("so_status", ["Completed", "Closed"])
def test_closed_or_completed_sales_order_completes_the_order(so_status):
	assert status_from_sales_order(1, so_status, 40, 10) == status.COMPLETED


def test_fully_delivered_and_billed_sales_order_completes_the_order():
	assert status_from_sales_order(1, "To Deliver and Bill", 100, 100) == status.COMPLETED


def test_fully_delivered_but_not_fully_billed_order_is_delivered():
	assert status_from_sales_order(1, "To Bill", 100, 50) == status.DELIVERED


@pytest.mark.parametrize("per_delivered", [0.01, 50, 99.99])
def test_partly_delivered_sales_order_makes_the_order_partly_delivered(per_delivered):
	assert status_from_sales_order(1, "To Deliver and Bill", per_delivered, 0) == status.PARTLY_DELIVERED


def test_submitted_sales_order_with_nothing_delivered_is_to_deliver():
	assert status_from_sales_order(1, "To Deliver and Bill", 0, 0) == status.TO_DELIVER


def test_billed_but_undelivered_sales_order_is_still_to_deliver():
	assert status_from_sales_order(1, "To Deliver", 0, 100) == status.TO_DELIVER


def test_every_status_of_the_doctype_has_an_indicator_colour():
	doctype = json.loads(
		(
			Path(__file__).parent.parent / "order_mgmt/order_mgmt/doctype/customer_order/customer_order.json"
		).read_text()
	)
	options = next(f["options"] for f in doctype["fields"] if f["fieldname"] == "status").split("\n")
	assert set(options) == set(status.INDICATOR_COLOURS)


@pytest.mark.parametrize("per_delivered", [0, 40])
def test_a_sales_order_on_hold_puts_the_order_on_hold(per_delivered):
	assert status_from_sales_order(1, "On Hold", per_delivered, 0) == status.ON_HOLD
