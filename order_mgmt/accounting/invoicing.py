"""Sales Invoices for a Customer Order, made by ERPNext's own mappings.

Delivered goods are invoiced from their Delivery Notes (every submitted one not fully billed, in
one invoice); an order with nothing to deliver yet is invoiced from its Sales Order when its terms
are prepaid or it sells services only. The invoice carries the order's payment terms template
(ERPNext builds the payment schedule: net N days, installments) and has the advances paid against
the Sales Order allocated to it.
"""

from __future__ import annotations

import frappe
from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice as invoice_from_sales_order
from erpnext.stock.doctype.delivery_note.delivery_note import make_sales_invoice as invoice_from_delivery_note
from frappe import _
from frappe.utils import flt

from order_mgmt import bulk
from order_mgmt.accounting import payment_gate
from order_mgmt.accounting.payments import gate_of, sync_payment_status


class InvoicingError(frappe.ValidationError):
	pass


def unbilled_delivery_notes(sales_order: str) -> list[str]:
	dn, item = frappe.qb.DocType("Delivery Note"), frappe.qb.DocType("Delivery Note Item")
	return (
		frappe.qb.from_(item)
		.join(dn)
		.on(dn.name == item.parent)
		.select(dn.name)
		.distinct()
		.where(
			(item.against_sales_order == sales_order)
			& (dn.docstatus == 1)
			& (dn.is_return == 0)
			& (dn.per_billed < 100)
			& (dn.status.notin(["Closed", "Return Issued"]))
		)
		.orderby(dn.name)
	).run(pluck=True)


@frappe.whitelist(methods=["POST"])
def create_sales_invoice(order: str) -> str:
	"""Create and submit the order's next Sales Invoice; returns its name."""
	frappe.has_permission("Customer Order", "read", order, throw=True)
	frappe.has_permission("Sales Invoice", "create", throw=True)
	doc = frappe.get_doc("Customer Order", order, for_update=True)  # no two invoices for one delivery
	if doc.docstatus != 1 or not doc.sales_order:
		frappe.throw(_("{0} is not approved yet: there is nothing to invoice").format(order), InvoicingError)

	notes = unbilled_delivery_notes(doc.sales_order)
	if notes:
		invoice = None
		for note in notes:
			invoice = invoice_from_delivery_note(note, target_doc=invoice)
	elif _may_invoice_before_delivery(doc):
		invoice = invoice_from_sales_order(doc.sales_order)
	else:
		frappe.throw(
			_("{0} has no delivered goods left to invoice: it is invoiced as its goods are delivered").format(
				order
			),
			InvoicingError,
		)
	_drop_lines_billed_on_the_sales_order(invoice, doc.sales_order)
	if not invoice.items:
		frappe.throw(_("{0} has nothing left to invoice").format(order), InvoicingError)
	if doc.payment_terms_template:
		invoice.payment_terms_template = doc.payment_terms_template
		invoice.set("payment_schedule", [])  # rebuilt by ERPNext from the template
	invoice.allocate_advances_automatically = 1
	invoice.insert()
	invoice.submit()
	sync_payment_status(order)
	return invoice.name


def can_invoice(order) -> bool:
	"""Whether Create > Sales Invoice has something to invoice now (the form's button)."""
	return bool(unbilled_delivery_notes(order.sales_order)) or _may_invoice_before_delivery(order)


def _drop_lines_billed_on_the_sales_order(invoice, sales_order: str) -> None:
	"""A prepaid order invoiced from its Sales Order before delivery is not billed again from its
	Delivery Notes (ERPNext's Delivery Note mapping counts only bills made from Delivery Notes)."""
	billed = {
		row.name: flt(row.billed_amt) >= flt(row.amount) - 0.005
		for row in frappe.get_all(
			"Sales Order Item", filters={"parent": sales_order}, fields=["name", "amount", "billed_amt"]
		)
	}
	if any(billed.values()):
		kept = [row for row in invoice.items if not (row.dn_detail and billed.get(row.so_detail))]
		invoice.set("items", kept)
		for idx, row in enumerate(invoice.items, start=1):
			row.idx = idx


def _may_invoice_before_delivery(order) -> bool:
	if flt(frappe.db.get_value("Sales Order", order.sales_order, "per_billed")) >= 100:
		return False
	gate, _deposit = gate_of(order)
	if gate == payment_gate.PREPAID:
		return True
	stock_items = frappe.get_all(
		"Item",
		filters={"name": ("in", [row.item_code for row in order.items]), "is_stock_item": 1},
		pluck="name",
	)
	return not stock_items  # services: nothing will ever be delivered


@frappe.whitelist(methods=["POST"])
def create_sales_invoices(order_names: str | list[str]) -> dict:
	"""Invoice many orders (list view): each in its own savepoint, so one refusal does not stop the
	others; above the background threshold (setting) as an RQ job with a progress bar."""
	names = bulk.order_names(order_names)
	bulk.check_can_act(names, "Sales Invoice")
	queued = bulk.enqueue_if_large("order_mgmt.accounting.invoicing.invoice_orders", names)
	if queued:
		return queued
	return invoice_orders(names, progress=False)


def invoice_orders(order_names: list[str], progress: bool = True) -> dict:
	from order_mgmt.review.actions import atomic

	created, failed = {}, {}
	for done, name in enumerate(order_names, start=1):
		try:
			with atomic("invoice"):
				created[name] = create_sales_invoice(name)
		except frappe.ValidationError as error:
			frappe.clear_last_message()
			failed[name] = frappe.utils.strip_html(str(error))
		if progress:
			bulk.publish_progress(_("Creating Sales Invoices"), done, len(order_names), name)
	if progress:
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": frappe.session.user,
				"type": "Alert",
				"subject": _("Sales Invoices: {0} created, {1} refused").format(len(created), len(failed)),
			}
		).insert(ignore_permissions=True)
	return {"created": created, "failed": failed}
