"""The status timeline of a portal user's order: one Event per record of the order, gathered here and
put in order by the pure order_mgmt/orders/timeline.py.

Read (the caller checked that the order is the user's): the order's Order Reviews — stage, decision and
time only, never the reviewer, the comment or the checks (credit and cost figures); its Sales Order's
Stock Reservation Entries, Pick Lists, Delivery Notes (carrier, tracking number, ship date on ERPNext's
Transporter, Transport Receipt No and Date: fulfilment/shipping.py), Sales Invoices and credit notes,
Payment Entries (received, refunded); its Return Requests with their decisions (no comments here: the
request's own page shows them); its cancellation.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import flt, format_date, get_datetime, getdate

from order_mgmt.fulfilment.shipping import shipments_of_order
from order_mgmt.orders.timeline import Event, build_timeline, day_of
from order_mgmt.portal import plain
from order_mgmt.portal.customers import VISIBLE_DOCSTATUS, money

DECISIONS = ("Approved", "Rejected", "Returned for Changes")
"""Order Review decisions shown to the customer (a review Cancelled with its order is not news)."""
APPROVED_DECISIONS = ("Approved", "Auto-approved")


def order_timeline(order_name: str) -> list[frappe._dict]:
	"""The order's timeline as the page shows it (labels, dates, references, details)."""
	order = frappe.db.get_value(
		"Customer Order",
		order_name,
		["name", "docstatus", "creation", "modified", "review_decision", "reviewed_on", "sales_order"]
		+ ["per_delivered", "payment_status", "currency"],
		as_dict=True,
	)
	events = order_events(order)
	timeline = build_timeline(
		events, fully_delivered=flt(order.per_delivered) >= 100, fully_paid=order.payment_status == "Paid"
	)
	return [present(event, order.currency) for event in timeline]


def order_events(order) -> list[Event]:
	events = review_events(order)
	if order.sales_order:
		events += fulfilment_events(order)
	events += return_events(order.name)
	if order.docstatus == 2:
		events.append(Event("cancelled", get_datetime(order.modified)))
	return events


def review_events(order) -> list[Event]:
	reviews = frappe.get_all(
		"Order Review",
		filters={"customer_order": order.name},
		fields=["stage", "decision", "requested_on", "decided_on"],
		order_by="requested_on",
	)
	requested = [get_datetime(review.requested_on) for review in reviews if review.requested_on]
	if requested:
		submitted = min(requested)
	elif order.review_decision == "Auto-approved" and order.reviewed_on:
		submitted = get_datetime(order.reviewed_on)
	else:
		submitted = get_datetime(order.creation)
	events = [Event("submitted", submitted, order.name)]
	for review in reviews:
		if review.decision in DECISIONS and review.decided_on:
			events.append(
				Event(
					"review_decision",
					get_datetime(review.decided_on),
					outcome=review.decision,
					stage=review.stage or "",
				)
			)
		elif review.decision == "Pending" and order.docstatus == 1 and review.requested_on:
			events.append(Event("in_review", get_datetime(review.requested_on), stage=review.stage or ""))
	if order.review_decision in APPROVED_DECISIONS and order.reviewed_on:
		events.append(Event("approved", get_datetime(order.reviewed_on)))
	elif order.sales_order:
		handed_off = frappe.db.get_value("Sales Order", order.sales_order, "creation")
		if handed_off:
			events.append(Event("approved", get_datetime(handed_off)))
	return events


def fulfilment_events(order) -> list[Event]:
	sales_order = order.sales_order
	events = [
		Event("stock_reserved", get_datetime(created))
		for created in frappe.get_all(
			"Stock Reservation Entry",
			filters={"voucher_type": "Sales Order", "voucher_no": sales_order, "docstatus": 1},
			pluck="creation",
		)
	]
	events += [Event("picked", get_datetime(created), name) for name, created in pick_lists(sales_order)]
	for shipment in shipments_of_order(sales_order):
		if shipment.is_return:
			events.append(Event("goods_returned", getdate(shipment.posting_date), shipment.name))
			continue
		details = tuple(
			(key, value)
			for key, value in (
				("carrier", plain(shipment.carrier)),
				("tracking_number", plain(shipment.tracking_number)),
				("ship_date", format_date(shipment.shipped_on) if shipment.shipped_on else ""),
			)
			if value
		)
		shipped_on = getdate(shipment.shipped_on or shipment.posting_date)
		events.append(Event("shipped", shipped_on, shipment.name, details=details))
	invoices, credit_notes = invoices_of_order(order.name, sales_order)
	events += [
		Event("invoiced", getdate(row.posting_date), row.name, amount=flt(row.grand_total))
		for row in invoices
	]
	events += [
		Event("credit_note", getdate(row.posting_date), row.name, amount=abs(flt(row.grand_total)))
		for row in credit_notes
	]
	references = {
		"Sales Order": [sales_order],
		"Sales Invoice": [row.name for row in invoices + credit_notes],
	}
	for name, posting_date, payment_type, amount in payments(references):
		kind = "payment" if payment_type == "Receive" else "refund"
		events.append(Event(kind, getdate(posting_date), name, amount=abs(flt(amount))))
	return events


def pick_lists(sales_order: str) -> list[tuple[str, object]]:
	pick_list, location = frappe.qb.DocType("Pick List"), frappe.qb.DocType("Pick List Item")
	return (
		frappe.qb.from_(location)
		.join(pick_list)
		.on(pick_list.name == location.parent)
		.select(pick_list.name, pick_list.creation)
		.distinct()
		.where((location.sales_order == sales_order) & (pick_list.docstatus == 1))
	).run()


def invoices_of_order(order_name: str, sales_order: str | None) -> tuple[list, list]:
	"""The submitted Sales Invoices of the order's Sales Order, and the credit notes against them or
	made for the order's return requests, oldest first."""
	if not sales_order:
		return [], []
	invoice, line = frappe.qb.DocType("Sales Invoice"), frappe.qb.DocType("Sales Invoice Item")
	fields = (
		invoice.name,
		invoice.posting_date,
		invoice.grand_total,
		invoice.outstanding_amount,
		invoice.currency,
		invoice.status,
		invoice.customer,
		invoice.is_return,
	)
	invoices = (
		frappe.qb.from_(line)
		.join(invoice)
		.on(invoice.name == line.parent)
		.select(*fields)
		.distinct()
		.where((line.sales_order == sales_order) & (invoice.docstatus == 1) & (invoice.is_return == 0))
		.orderby(invoice.posting_date)
		.orderby(invoice.name)
	).run(as_dict=True)
	requested = frappe.get_all(
		"Return Request",
		filters={"customer_order": order_name, "docstatus": 1, "credit_note": ("is", "set")},
		pluck="credit_note",
	)
	against = [row.name for row in invoices]
	credit_notes = []
	if against or requested:
		condition = invoice.return_against.isin(against or [""]) | invoice.name.isin(requested or [""])
		credit_notes = (
			frappe.qb.from_(invoice)
			.select(*fields)
			.where(condition & (invoice.docstatus == 1) & (invoice.is_return == 1))
			.orderby(invoice.posting_date)
			.orderby(invoice.name)
		).run(as_dict=True)
	return invoices, credit_notes


def payments(references: dict[str, list[str]]) -> list[tuple]:
	"""(Payment Entry, posting date, payment type, amount allocated to these documents) per entry."""
	entry, reference = frappe.qb.DocType("Payment Entry"), frappe.qb.DocType("Payment Entry Reference")
	condition = None
	for doctype, names in references.items():
		if names:
			part = (reference.reference_doctype == doctype) & reference.reference_name.isin(names)
			condition = part if condition is None else condition | part
	if condition is None:
		return []
	return (
		frappe.qb.from_(reference)
		.join(entry)
		.on(entry.name == reference.parent)
		.select(entry.name, entry.posting_date, entry.payment_type, Sum(reference.allocated_amount))
		.where((entry.docstatus == 1) & condition)
		.groupby(entry.name, entry.posting_date, entry.payment_type)
	).run()


def return_events(order_name: str) -> list[Event]:
	requests = frappe.get_all(
		"Return Request",
		filters={"customer_order": order_name, "docstatus": ("in", VISIBLE_DOCSTATUS)},
		fields=["name", "posting_date", "status"],
	)
	events = [
		Event("return_requested", getdate(request.posting_date), request.name, outcome=request.status)
		for request in requests
	]
	if requests:
		for decision in frappe.get_all(
			"Return Request Review",
			filters={"parenttype": "Return Request", "parent": ("in", [r.name for r in requests])},
			fields=["parent", "decision", "decided_on"],
		):
			if decision.decided_on and decision.decision:
				events.append(
					Event(
						"return_decision",
						get_datetime(decision.decided_on),
						decision.parent,
						outcome=decision.decision,
					)
				)
	return events


# --- what the page shows ----------------------------------------------------------------------


def labels() -> dict[str, str]:
	return {
		"submitted": _("Order submitted"),
		"approved": _("Order approved"),
		"stock_reserved": _("Stock reserved for your order"),
		"picked": _("Picked in the warehouse"),
		"shipped": _("Shipped"),
		"delivered": _("Delivered in full"),
		"invoiced": _("Invoiced"),
		"payment": _("Payment received"),
		"paid": _("Paid in full"),
		"return_requested": _("Return requested"),
		"goods_returned": _("Returned goods received"),
		"credit_note": _("Credit note issued"),
		"refund": _("Refund paid"),
		"cancelled": _("Order cancelled"),
	}


def detail_labels() -> dict[str, str]:
	return {"carrier": _("Carrier"), "tracking_number": _("Tracking Number"), "ship_date": _("Ship Date")}


def label_of(event: Event) -> str:
	if event.kind == "review_decision":
		return _("{0} review: {1}").format(_(event.stage), _(event.outcome))
	if event.kind == "in_review":
		return _("{0} review in progress").format(_(event.stage))
	if event.kind == "return_decision":
		return _("Return request {0}: {1}").format(event.reference, _(event.outcome))
	return labels()[event.kind]


def present(event: Event, currency: str | None) -> frappe._dict:
	names = detail_labels()
	return frappe._dict(
		kind=event.kind,
		label=label_of(event),
		date=format_date(day_of(event.on)),
		iso_date=str(day_of(event.on)),
		reference=event.reference if event.kind not in ("submitted", "picked", "return_decision") else "",
		url=f"/my-returns/{event.reference}" if event.kind == "return_requested" else "",
		outcome=event.outcome,
		amount=money(event.amount, currency) if event.amount is not None else "",
		details=[frappe._dict(key=key, label=names[key], value=value) for key, value in event.details],
	)
