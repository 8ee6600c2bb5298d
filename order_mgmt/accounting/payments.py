"""Payments of a Customer Order, all through ERPNext's Payment Entry.

Money received before invoicing is an advance against the Sales Order; afterwards it pays the
order's invoices (ERPNext's `get_payment_entry`). What was paid is read back from the submitted
Payment Entries' references to the Sales Order and its invoices: ERPNext moves an advance's
reference to the invoice it is allocated to, so each payment is counted once either way. Where the
Payment Terms Template allocates payments per term, a payment is spread over the open terms, earliest
first, as ERPNext's Payment Entry form does (`payment_entry_for`).

A reversed payment (a cancelled Payment Entry) that leaves a prepaid or deposit order short of
what its terms require puts the order on hold, with ERPNext's own Sales Order hold (which stops
deliveries), and tells the owner; the payment that makes up for it releases the hold.
"""

from __future__ import annotations

import frappe
from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry
from erpnext.accounts.doctype.sales_invoice.sales_invoice import get_bank_cash_account
from frappe import _
from frappe.query_builder.functions import Abs, Sum
from frappe.utils import flt, getdate, nowdate

from order_mgmt.accounting import payment_gate
from order_mgmt.orders import status as order_status
from order_mgmt.utils import acting_as

PAYMENT_HOLD_RULE = "Payment"


class PaymentError(frappe.ValidationError):
	pass


def order_of_sales_order(sales_order: str) -> str | None:
	"""The Customer Order whose hand-off made this Sales Order (the link both ways), else None."""
	name = frappe.db.get_value("Sales Order", sales_order, "customer_order")
	linked = name and frappe.db.get_value("Customer Order", name, "sales_order") == sales_order
	return name if linked else None


def sales_order_total(sales_order: str) -> float:
	values = frappe.db.get_value("Sales Order", sales_order, ["grand_total", "rounded_total"], as_dict=True)
	return flt(values.rounded_total) or flt(values.grand_total)


def invoices_of(sales_order: str) -> list[str]:
	"""The Sales Order's submitted invoices (not credit notes), oldest first."""
	si, item = frappe.qb.DocType("Sales Invoice"), frappe.qb.DocType("Sales Invoice Item")
	return (
		frappe.qb.from_(item)
		.join(si)
		.on(si.name == item.parent)
		.select(si.name)
		.distinct()
		.where((item.sales_order == sales_order) & (si.docstatus == 1) & (si.is_return == 0))
		.orderby(si.name)
	).run(pluck=True)


def paid_towards(sales_order: str) -> float:
	"""Received (less refunded) by submitted Payment Entries for the Sales Order and its invoices."""
	pe, ref = frappe.qb.DocType("Payment Entry"), frappe.qb.DocType("Payment Entry Reference")
	paid = 0.0
	for doctype, names in (("Sales Order", [sales_order]), ("Sales Invoice", invoices_of(sales_order))):
		if not names:
			continue
		rows = (
			frappe.qb.from_(ref)
			.join(pe)
			.on(pe.name == ref.parent)
			.select(pe.payment_type, Sum(ref.allocated_amount))
			.where(
				(pe.docstatus == 1) & (ref.reference_doctype == doctype) & (ref.reference_name.isin(names))
			)
			.groupby(pe.payment_type)
		).run()
		for payment_type, amount in rows:
			paid += flt(amount) if payment_type == "Receive" else -flt(amount)
	return round(paid, 2)


def refundable(sales_order: str) -> float:
	"""What may still be paid back on the order: received towards it, less the refund Payment
	Entries already made on the credit notes of its invoices."""
	paid = paid_towards(sales_order)
	invoices = invoices_of(sales_order)
	if not invoices:
		return paid
	si, pe = frappe.qb.DocType("Sales Invoice"), frappe.qb.DocType("Payment Entry")
	ref = frappe.qb.DocType("Payment Entry Reference")
	refunded = (
		frappe.qb.from_(ref)
		.join(pe)
		.on(pe.name == ref.parent)
		.join(si)
		.on(si.name == ref.reference_name)
		.select(Sum(Abs(ref.allocated_amount)))
		.where(
			(pe.docstatus == 1)
			& (pe.payment_type == "Pay")
			& (ref.reference_doctype == "Sales Invoice")
			& (si.is_return == 1)
			& (si.docstatus == 1)
			& si.return_against.isin(invoices)
		)
	).run()[0][0]
	return round(max(paid - flt(refunded), 0), 2)


def payment_figures(sales_order: str) -> frappe._dict:
	total = sales_order_total(sales_order)
	paid = paid_towards(sales_order)
	return frappe._dict(
		total=total,
		paid=paid,
		outstanding=round(max(total - paid, 0), 2),
		status=payment_gate.payment_status(total, paid),
	)


def sync_payment_status(order_name: str) -> frappe._dict | None:
	"""Write paid/outstanding/payment status on the Customer Order from ERPNext's documents."""
	sales_order = frappe.db.get_value("Customer Order", order_name, "sales_order")
	if not sales_order:
		return None
	figures = payment_figures(sales_order)
	frappe.db.set_value(
		"Customer Order",
		order_name,
		{
			"paid_amount": figures.paid,
			"outstanding_amount": figures.outstanding,
			"payment_status": figures.status,
		},
		update_modified=False,
	)
	return figures


@frappe.whitelist(methods=["POST"])
def register_payment(
	order: str,
	amount: float,
	mode_of_payment: str,
	reference_no: str | None = None,
	reference_date: str | None = None,
) -> list[str]:
	"""Submit ERPNext Payment Entries for the order: against its unpaid invoices, oldest first, if
	it has any, else one advance against its Sales Order. Returns the Payment Entries."""
	frappe.has_permission("Customer Order", "read", order, throw=True)
	frappe.has_permission("Payment Entry", "create", throw=True)
	amount = flt(amount, 2)
	if amount <= 0:
		frappe.throw(_("Amount: enter a payment above zero"), PaymentError)
	if not mode_of_payment or not frappe.db.exists("Mode of Payment", mode_of_payment):
		frappe.throw(_("Mode of Payment: {0} does not exist").format(mode_of_payment or ""), PaymentError)

	doc = frappe.get_doc("Customer Order", order, for_update=True)  # one payment at a time per order
	if doc.docstatus != 1 or not doc.sales_order:
		frappe.throw(_("{0} is not approved yet: there is nothing to pay").format(order), PaymentError)
	figures = payment_figures(doc.sales_order)
	if amount > figures.outstanding + payment_gate.TOLERANCE:
		frappe.throw(
			_("Amount: {0} is more than the {1} outstanding on {2}").format(
				frappe.format_value(amount, {"fieldtype": "Currency", "options": doc.currency}),
				frappe.format_value(figures.outstanding, {"fieldtype": "Currency", "options": doc.currency}),
				order,
			),
			PaymentError,
		)
	account = get_bank_cash_account(mode_of_payment, doc.company)["account"]
	targets = [
		("Sales Invoice", name, flt(outstanding))
		for name, outstanding in frappe.get_all(
			"Sales Invoice",
			filters={"name": ("in", invoices_of(doc.sales_order) or [""]), "outstanding_amount": (">", 0)},
			fields=["name", "outstanding_amount"],
			order_by="posting_date, name",
			as_list=True,
		)
	] or [("Sales Order", doc.sales_order, amount)]
	entries, left = [], amount
	for doctype, name, open_amount in targets:
		if left <= payment_gate.TOLERANCE:
			break
		part = min(left, open_amount)
		entry = payment_entry_for(doctype, name, part, account)
		entry.mode_of_payment = mode_of_payment
		entry.reference_no = reference_no or order
		entry.reference_date = getdate(reference_date) if reference_date else nowdate()
		entry.insert()
		entry.submit()
		entries.append(entry.name)
		left = round(left - part, 2)
	return entries


def payment_entry_for(doctype: str, name: str, amount: float, account: str):
	"""ERPNext's Payment Entry receiving `amount` against a Sales Order or Sales Invoice.

	When the document's Payment Terms Template allocates payments per term (*Allocate Payment Based On
	Payment Terms*), `get_payment_entry` gives one reference per open term, each with that term's whole
	outstanding, whatever `party_amount` says: a part payment would leave a difference ERPNext refuses.
	The amount is then spread over the terms as the Payment Entry form does when the paid amount changes
	(ERPNext's `allocate_amount_to_references`: earliest term first, each up to its outstanding), and the
	terms left at nothing are dropped, as ERPNext's validate would. On submit ERPNext records the paid
	amount per term on the payment schedule."""
	entry = get_payment_entry(doctype, name, party_amount=amount, bank_account=account)
	if any(row.payment_term for row in entry.references):
		entry.allocate_amount_to_references(amount, paid_amount_change=True, allocate_payment_amount=True)
		entry.set("references", [row for row in entry.references if flt(row.allocated_amount)])
		entry.set_amounts()
	return entry


# --- doc events: Payment Entry submitted or cancelled ------------------------------------------


def orders_of_payment(entry) -> list[str]:
	sales_orders = set()
	for ref in entry.get("references", []):
		if ref.reference_doctype == "Sales Order":
			sales_orders.add(ref.reference_name)
		elif ref.reference_doctype == "Sales Invoice":
			sales_orders.update(
				frappe.get_all(
					"Sales Invoice Item",
					filters={"parent": ref.reference_name, "sales_order": ("is", "set")},
					pluck="sales_order",
					distinct=True,
				)
			)
	orders = {order_of_sales_order(name) for name in sales_orders}
	return sorted(name for name in orders if name)


def on_invoice_change(invoice, method=None) -> None:
	"""Invoices move advances and outstanding amounts: follow them on the orders."""
	for sales_order in {row.sales_order for row in invoice.items if row.sales_order}:
		order = order_of_sales_order(sales_order)
		if order:
			sync_payment_status(order)


def on_payment_submit(entry, method=None) -> None:
	for order in orders_of_payment(entry):
		sync_payment_status(order)
		release_payment_hold(order)


def on_payment_cancel(entry, method=None) -> None:
	for order in orders_of_payment(entry):
		sync_payment_status(order)
		hold_for_missing_payment(order, entry.name)


def gate_of(order) -> tuple[str | None, float]:
	if not order.payment_terms_template:
		return None, 0.0
	gate, deposit = frappe.db.get_value(
		"Payment Terms Template", order.payment_terms_template, ["order_payment_gate", "deposit_percentage"]
	)
	return gate or None, flt(deposit)


def missing_requirement(order, stage: str) -> payment_gate.Requirement | None:
	"""The payment the order's terms still need before `stage`, or None when nothing is missing."""
	gate, deposit = gate_of(order)
	if not gate or not order.sales_order:
		return None
	figures = payment_figures(order.sales_order)
	result = payment_gate.requirement(gate, stage, figures.total, figures.paid, deposit)
	return None if result.met else result


def was_picked(sales_order: str) -> bool:
	"""Something of the Sales Order was picked or delivered: its goods next wait for shipment."""
	values = frappe.db.get_value("Sales Order", sales_order, ["per_picked", "per_delivered"], as_dict=True)
	return bool(values and (flt(values.per_picked) or flt(values.per_delivered)))


def hold_requirement(order) -> payment_gate.Requirement | None:
	"""What a hold for payment waits for: the requirement of the order's next step, not yet met."""
	if not order.sales_order:
		return None
	gate, deposit = gate_of(order)
	figures = payment_figures(order.sales_order)
	return payment_gate.hold_requirement(
		gate, was_picked(order.sales_order), figures.total, figures.paid, deposit
	)


def hold_for_missing_payment(order_name: str, payment_entry: str) -> bool:
	"""After a reversed payment: hold an order whose terms now hold its goods back."""
	order = frappe.get_doc("Customer Order", order_name)
	gate, _deposit = gate_of(order)
	if not payment_gate.holds_shipment(gate) or order.status not in (
		order_status.TO_DELIVER,
		order_status.PARTLY_DELIVERED,
	):
		return False
	missing = hold_requirement(order)
	if not missing:
		return False
	message = _(
		"Payment {0} was reversed: {1} is missing of the {2} the {3} terms require before {4}"
	).format(
		payment_entry,
		frappe.format_value(missing.missing, {"fieldtype": "Currency", "options": order.currency}),
		frappe.format_value(missing.required, {"fieldtype": "Currency", "options": order.currency}),
		order.payment_terms_template,
		_(missing.stage),
	)
	with acting_as("Administrator"):  # the app's own follow-up: ERPNext's hold stops deliveries
		sales_order = frappe.get_doc("Sales Order", order.sales_order)
		if sales_order.status != "On Hold":
			sales_order.update_status("On Hold")
	order.append("hold_reasons", {"rule": PAYMENT_HOLD_RULE, "message": message})
	order.hold_reasons[-1].db_insert()
	frappe.db.set_value("Customer Order", order.name, "status", order_status.ON_HOLD, update_modified=False)
	order.add_comment("Info", message)
	from order_mgmt.review.notifications import notify

	notify(
		[order.owner], _("{0} is on hold: {1}").format(order.name, message), order, from_user="Administrator"
	)
	return True


def release_payment_hold(order_name: str) -> bool:
	"""A payment that makes up for a reversed one resumes the Sales Order (and so the order)."""
	order = frappe.get_doc("Customer Order", order_name)
	if order.status != order_status.ON_HOLD or not order.sales_order:
		return False
	if not any(row.rule == PAYMENT_HOLD_RULE for row in order.hold_reasons):
		return False
	if hold_requirement(order):
		return False
	from order_mgmt.accounting.credit import finance_approval_covers_credit_limit
	from order_mgmt.review.actions import credit_approver

	with acting_as("Administrator"):
		sales_order = frappe.get_doc("Sales Order", order.sales_order)
		if sales_order.status == "On Hold":
			# Undoing the app's own hold: ERPNext re-checks credit on a resume, and the finance
			# approval of the order's credit hold covers it as it covered the submit.
			with finance_approval_covers_credit_limit(sales_order, order.name, credit_approver(order)):
				sales_order.update_status("Draft")  # ERPNext's "Resume"
		sales_order.reload()
	from order_mgmt.orders.tracking import sync_from_sales_order

	sync_from_sales_order(sales_order)
	order.add_comment("Info", _("Payment received: the hold for payment is released"))
	return True
