"""Customer Order status: what it is before and after its Sales Order exists (pure logic)."""

from __future__ import annotations

DRAFT = "Draft"
PENDING_REVIEW = "Pending Review"
RETURNED_FOR_CHANGES = "Returned for Changes"
APPROVED = "Approved"
REJECTED = "Rejected"
ON_HOLD = "On Hold"
CANCELLED = "Cancelled"
TO_DELIVER = "To Deliver"
PARTLY_DELIVERED = "Partly Delivered"
DELIVERED = "Delivered"
COMPLETED = "Completed"

REVIEW_OPEN = (PENDING_REVIEW, ON_HOLD)
"""States in which an Order Manager can still approve or reject."""

FULFILMENT = (TO_DELIVER, PARTLY_DELIVERED, DELIVERED, COMPLETED)


def status_from_sales_order(
	docstatus: int, so_status: str | None, per_delivered: float, per_billed: float
) -> str:
	"""The Customer Order status that mirrors its submitted Sales Order.

	A Sales Order cancelled behind the order's back puts the order on hold for a person to look at.
	"""
	if docstatus == 2:
		return ON_HOLD
	if docstatus != 1:
		return APPROVED
	if so_status == "On Hold":
		return ON_HOLD  # ERPNext's hold (e.g. a reversed payment): no deliveries until resumed
	if so_status in ("Completed", "Closed") or (per_delivered >= 100 and per_billed >= 100):
		return COMPLETED
	if per_delivered >= 100:
		return DELIVERED
	if per_delivered > 0:
		return PARTLY_DELIVERED
	return TO_DELIVER


def can_cancel_with_sales_order(per_delivered: float, per_billed: float) -> bool:
	"""Cancelling the order cancels its Sales Order, which is only safe before any delivery or billing."""
	return not per_delivered and not per_billed


INDICATOR_COLOURS = {
	DRAFT: "red",
	PENDING_REVIEW: "orange",
	RETURNED_FOR_CHANGES: "orange",
	APPROVED: "blue",
	REJECTED: "red",
	ON_HOLD: "yellow",
	CANCELLED: "gray",
	TO_DELIVER: "purple",
	PARTLY_DELIVERED: "cyan",
	DELIVERED: "green",
	COMPLETED: "green",
}
"""Mirrored by public/js/customer_order_list.js for the list view."""
