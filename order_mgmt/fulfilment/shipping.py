"""Shipment tracking on ERPNext's own Delivery Note fields (Transporter, Transport Receipt No as the
tracking number, Transport Receipt Date as the ship date), shown on the Customer Order, and the
customer's shipping email."""

from __future__ import annotations

import frappe
from frappe import _

from order_mgmt.utils import email_customer


def shipments_of_order(sales_order: str | None) -> list[dict]:
	"""Delivery Notes of the order's Sales Order with their carrier and tracking number."""
	if not sales_order:
		return []
	dn = frappe.qb.DocType("Delivery Note")
	item = frappe.qb.DocType("Delivery Note Item")
	return (
		frappe.qb.from_(dn)
		.join(item)
		.on(item.parent == dn.name)
		.select(
			dn.name,
			dn.posting_date,
			dn.status,
			dn.is_return,
			dn.transporter_name.as_("carrier"),
			dn.lr_no.as_("tracking_number"),
			dn.lr_date.as_("shipped_on"),
		)
		.distinct()
		.where((item.against_sales_order == sales_order) & (dn.docstatus == 1))
		.orderby(dn.posting_date)
	).run(as_dict=True)


def recipient(delivery_note) -> str | None:
	return delivery_note.get("contact_email") or frappe.db.get_value(
		"Contact", delivery_note.get("contact_person"), "email_id"
	)


def notify_customer_of_shipment(delivery_note, method=None) -> None:
	"""doc_event on Delivery Note submit: email the customer the tracking number of their order."""
	if delivery_note.get("is_return"):
		return
	sales_orders = {row.against_sales_order for row in delivery_note.items if row.against_sales_order}
	orders = frappe.get_all(
		"Customer Order",
		filters={"sales_order": ("in", list(sales_orders) or [""]), "docstatus": 1},
		pluck="name",
	)
	email = recipient(delivery_note)
	if not orders or not email:
		return
	tracking = delivery_note.get("lr_no")
	carrier = delivery_note.get("transporter_name")
	subject = _("Your order {0} has shipped").format(", ".join(orders))
	lines = [
		_("Your order {0} has shipped with delivery note {1}.").format(", ".join(orders), delivery_note.name)
	]
	if carrier:
		lines.append(_("Carrier: {0}").format(carrier))
	if tracking:
		lines.append(_("Tracking number: {0}").format(tracking))
	# Shipping must not fail for want of an email account: say so on the Delivery Note instead.
	email_customer(
		delivery_note,
		email,
		subject,
		lines,
		_("Shipping email to {0} not sent: no outgoing Email Account is set up"),
	)
