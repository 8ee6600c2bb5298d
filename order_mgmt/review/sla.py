"""Overdue reviews: marked overdue, and escalated to the Order Managers once (hourly job)."""

from __future__ import annotations

import frappe
from frappe.utils import now_datetime

from order_mgmt.review import notifications


def escalate_overdue_reviews() -> int:
	"""Scheduled hourly (hooks.scheduler_events). Returns how many reviews it escalated."""
	overdue = frappe.get_all(
		"Order Review",
		filters={"decision": "Pending", "sla_due": ("<", now_datetime()), "escalated": 0},
		fields=["name", "customer_order", "stage", "requested_on"],
		order_by="sla_due asc",
		limit=500,
	)
	for review in overdue:
		order = frappe.get_doc("Customer Order", review.customer_order)
		if order.docstatus != 1:
			continue
		frappe.db.set_value("Order Review", review.name, {"is_overdue": 1, "escalated": 1})
		notifications.escalate_to_managers(order, review)
	if overdue:
		frappe.db.commit()
	return len(overdue)
