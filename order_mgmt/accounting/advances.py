"""A cancelled order's paid advance, through ERPNext: released from its Sales Order, then refunded or kept.

Money received before invoicing is an advance against the Sales Order (accounting/payments.py). ERPNext
refuses to cancel a Sales Order that a submitted Payment Entry still references (unless Accounts Settings ›
*Unlink Advance Payment on Cancellation of Order* is set), so cancelling the order first unlinks those
Payment Entries with ERPNext's own `unlink_ref_doc_from_payment_entries`, as that setting would: their
amounts become unallocated advances of the customer, still on the receivable account.

- Keep as credit: nothing more. The advance stays unallocated on its Payment Entry; ERPNext offers it to
  the customer's next invoices (*Get Advances Received*) and Payment Reconciliation.
- Refund: a Payment Entry of type Pay to the customer, the way the advance came in, for what was received
  towards the Sales Order (less earlier refunds: `payments.refundable`) and never more than is still
  unallocated on the released Payment Entries; then ERPNext's Payment Reconciliation sets the refund
  against them (a reverse payment), so neither stays open on the customer's account.

The order's cancellation decides which (orders/cancellation.py); these steps run inside its transaction, so
a refusal from ERPNext undoes the cancellation with them.
"""

from __future__ import annotations

import frappe
from erpnext.accounts.doctype.sales_invoice.sales_invoice import get_bank_cash_account
from frappe.utils import flt, nowdate

from order_mgmt.returns.settlement import _quiet, _reconcile
from order_mgmt.utils import acting_as

TOLERANCE = 0.005
DEFAULT_MODE = "Bank Transfer"


def received_towards(sales_order: str) -> list[str]:
	"""The submitted Payment Entries that received money against the Sales Order, oldest first."""
	pe, ref = frappe.qb.DocType("Payment Entry"), frappe.qb.DocType("Payment Entry Reference")
	return (
		frappe.qb.from_(ref)
		.join(pe)
		.on(pe.name == ref.parent)
		.select(pe.name)
		.distinct()
		.where(
			(ref.reference_doctype == "Sales Order")
			& (ref.reference_name == sales_order)
			& (pe.docstatus == 1)
			& (pe.payment_type == "Receive")
		)
		.orderby(pe.name)
	).run(pluck=True)


def release(sales_order: str) -> list[str]:
	"""Unlink the Payment Entries that reference the Sales Order (ERPNext's own unlink, as on cancelling an
	order with the Accounts Settings option set). Returns the Payment Entries that received money."""
	payments = received_towards(sales_order)
	from erpnext.accounts.utils import unlink_ref_doc_from_payment_entries

	with acting_as("Administrator"), _quiet():  # ERPNext says "Payment Entries ... are un-linked"
		unlink_ref_doc_from_payment_entries(frappe.get_doc("Sales Order", sales_order))
	return payments


def unallocated(payments: list[str]) -> float:
	if not payments:
		return 0.0
	values = frappe.get_all(
		"Payment Entry", filters={"name": ("in", payments), "docstatus": 1}, pluck="unallocated_amount"
	)
	return round(sum(flt(value) for value in values), 2)


def refund(company: str, customer: str, payments: list[str], amount: float, reference: str) -> str | None:
	"""Pay `amount` back to the customer (never more than is unallocated on `payments`) and reconcile it
	with them. Returns the refund Payment Entry, or None when there is nothing to pay back."""
	amount = round(min(flt(amount), unallocated(payments)), 2)
	if amount <= TOLERANCE:
		return None
	first = frappe.get_doc("Payment Entry", payments[0])
	mode = first.mode_of_payment or DEFAULT_MODE
	with acting_as("Administrator"):  # the app's own follow-up of an allowed cancellation
		entry = frappe.new_doc("Payment Entry")
		entry.update(
			{
				"payment_type": "Pay",
				"company": company,
				"posting_date": nowdate(),
				"mode_of_payment": mode,
				"party_type": "Customer",
				"party": customer,
				"paid_from": get_bank_cash_account(mode, company)["account"],
				"paid_to": first.paid_from,  # the receivable account the advance was received on
				"paid_amount": amount,
				"reference_no": reference,
				"reference_date": nowdate(),
			}
		)
		entry.setup_party_account_field()
		entry.set_missing_values()
		entry.set_exchange_rate()
		entry.received_amount = flt(entry.paid_amount) / (flt(entry.target_exchange_rate) or 1)
		entry.insert()
		entry.submit()
		left = amount
		for name in payments:
			if left <= TOLERANCE:
				break
			part = round(min(left, unallocated([name])), 2)
			if part <= TOLERANCE:
				continue
			payment = frappe.db.get_value("Payment Entry", name, ["paid_from", "company"], as_dict=True)
			with _quiet():
				# returns.settlement's Payment Reconciliation, with the advance as the payment and the
				# refund (a Pay entry, open on the customer's account) as what it is set against
				_reconcile(
					frappe._dict(
						company=payment.company, customer=customer, debit_to=payment.paid_from, name=name
					),
					entry.name,
					part,
				)
			left = round(left - part, 2)
	return entry.name
