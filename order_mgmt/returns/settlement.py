"""Settling an approved Return Request with ERPNext's own return documents.

- Goods received: a return Delivery Note (ERPNext's `make_sales_return`, `is_return`) per original
  Delivery Note, for the requested lines only, into the returns warehouse (setting) — or the
  damaged-goods warehouse for lines returned Damaged or Defective; without those settings, back
  into the warehouse they left.
- Every resolution credits the goods with a credit note (ERPNext's Sales Invoice `make_sales_return`
  against the order's invoice, without stock: the goods came back on the return Delivery Note), and
  the credit first settles what the customer still owes on the order's invoices (the split is the
  pure `returns/credit_split.py`):
  - when the credited invoice still owes at least the credit, the credit note simply reduces it
    (`update_outstanding_for_self` = 0, ERPNext's plain return against an invoice);
  - otherwise the credit note stands on its own (ERPNext insists) and ERPNext's Payment
    Reconciliation applies as much of it as is owed to the order's open invoices — the credited one
    first, then the oldest — the route ERPNext's own message names for this case.
- Refund: only what is left after settling is paid back, with a refund Payment Entry (ERPNext's
  `get_payment_entry` on the credit note, the way the customer paid), and never more than was paid
  towards the order (less earlier refunds). Invoice 1,000, paid 600, 500 returned: 400 settles the
  invoice, 100 is refunded.
- Store Credit: what is left after settling stays on the credit note, unallocated, for future
  invoices.
- Exchange: a credit as for store credit, and a replacement Customer Order for the returned items at
  their original rates, which goes through the normal review (auto-approval by policy).
"""

from __future__ import annotations

from contextlib import contextmanager

import frappe
from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry
from erpnext.accounts.doctype.sales_invoice.sales_invoice import get_bank_cash_account
from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return as make_credit_note
from erpnext.stock.doctype.delivery_note.delivery_note import make_sales_return as make_return_delivery
from frappe import _
from frappe.utils import flt, nowdate

from order_mgmt.accounting.payments import invoices_of, refundable
from order_mgmt.returns.credit_split import settle_invoices, split_credit
from order_mgmt.settings import get_settings
from order_mgmt.utils import acting_as, customer_email, email_customer

DAMAGED_CONDITIONS = ("Damaged", "Defective")


TOLERANCE = 0.005


class SettlementError(frappe.ValidationError):
	pass


GOODS_RECEIVED, REFUNDED, CREDITED, REPLACED = "Goods Received", "Refunded", "Credited", "Replaced"


def on_state_change(request) -> None:
	"""Controller hook (on_update_after_submit): each workflow step makes its ERPNext documents and
	tells the customer. Any refusal from ERPNext rolls the step back with the request."""
	before = request.get_doc_before_save()
	old_state, new_state = (before.workflow_state if before else None), request.workflow_state
	if old_state == new_state:
		return
	if new_state == GOODS_RECEIVED:
		receive_goods(request)
	elif new_state == REFUNDED:
		credit(request, refund=True)
	elif new_state == CREDITED:
		credit(request, refund=False)
	elif new_state == REPLACED:
		if request.sales_invoice or _invoice_of(request):
			credit(request, refund=False)  # the replacement's invoice can take the credit
		replace(request)
	notify_customer(request, new_state)


def notify_customer(request, state: str | None) -> None:
	"""Email the customer's contact (from the order) at each step; never blocks the step."""
	if not state:
		return
	email = _customer_email(request)
	subject = _("Return Request {0}: {1}").format(request.name, _(state))
	lines = [
		_("Your return request {0} for order {1} is now: {2}.").format(
			request.name, request.customer_order, _(state)
		)
	]
	for label, value in (
		(_("Credit Note"), request.credit_note),
		(_("Refund Payment"), request.refund_payment_entry),
		(_("Replacement Order"), request.replacement_order),
	):
		if value:
			lines.append(f"{label}: {value}")
	request.add_comment("Info", subject)
	if email:
		email_customer(
			request, email, subject, lines, _("Email to {0} not sent: no outgoing Email Account is set up")
		)


def _customer_email(request) -> str | None:
	contact = frappe.db.get_value("Customer Order", request.customer_order, "contact_person")
	return customer_email(request.customer, contact)


def receive_goods(request) -> list[str]:
	"""Submit the return Delivery Note(s) of the request; returns their names."""
	if request.return_delivery_note:
		return [request.return_delivery_note]
	settings = get_settings()
	by_note: dict[str, dict[str, object]] = {}
	for line in request.items:
		by_note.setdefault(line.delivery_note, {})[line.delivery_note_item] = line
	notes = []
	with acting_as("Administrator"):  # the warehouse's receipt of an approved request
		for original, lines in by_note.items():
			note = make_return_delivery(original)
			kept = []
			for row in note.items:
				line = lines.get(row.dn_detail)
				if not line:
					continue
				row.qty = -flt(line.qty)
				row.stock_qty = row.qty * (flt(row.conversion_factor) or 1)
				row.warehouse = _return_warehouse(line, row.warehouse, settings)
				kept.append(row)
			if not kept:
				frappe.throw(
					_("Delivery Note {0} has none of the request's lines").format(original), SettlementError
				)
			note.set("items", kept)
			note.return_request = request.name
			note.insert()
			note.submit()
			notes.append(note.name)
	request.db_set("return_delivery_note", notes[0], update_modified=False)
	if len(notes) > 1:
		request.add_comment("Info", _("Return Delivery Notes: {0}").format(", ".join(notes)))
	return notes


def _return_warehouse(line, delivered_from: str, settings) -> str:
	if line.condition in DAMAGED_CONDITIONS and settings.get("damaged_returns_warehouse"):
		return settings.damaged_returns_warehouse
	return settings.get("returns_warehouse") or delivered_from


def credit(request, refund: bool) -> str:
	"""Submit the credit note (and, for refunds of paid invoices, the refund Payment Entry)."""
	if request.credit_note:
		return request.credit_note
	invoice = request.sales_invoice or _invoice_of(request)
	if not invoice:
		frappe.throw(
			_("{0}: the order has no submitted Sales Invoice to credit; invoice it first").format(
				request.name
			),
			SettlementError,
		)
	lines = {(line.sales_order_item or line.item_code): line for line in request.items}
	with acting_as("Administrator"):
		note = make_credit_note(invoice)
		kept = []
		for row in note.items:
			line = lines.get(row.so_detail) or lines.get(row.item_code)
			if not line:
				continue
			row.qty = -flt(line.qty)
			row.stock_qty = row.qty * (flt(row.conversion_factor) or 1)
			kept.append(row)
			lines.pop(row.so_detail, None) or lines.pop(row.item_code, None)
		if not kept:
			frappe.throw(
				_("{0}: none of its lines is on Sales Invoice {1}").format(request.name, invoice),
				SettlementError,
			)
		note.set("items", kept)
		note.update_stock = 0  # the goods came back on the return Delivery Note
		note.return_request = request.name
		note.run_method("calculate_taxes_and_totals")
		amount = abs(flt(note.rounded_total) or flt(note.grand_total))
		owed = _open_invoices(request, invoice)
		sales_order = frappe.db.get_value("Customer Order", request.customer_order, "sales_order")
		split = split_credit(
			amount,
			owed=sum(outstanding for _name, outstanding in owed),
			paid=refundable(sales_order) if refund and sales_order else 0,
			refund=refund,
		)
		# ERPNext's plain return reduces its own invoice when that still owes the whole credit;
		# otherwise the credit note stands alone (ERPNext insists) and is reconciled with what is owed.
		note.update_outstanding_for_self = 0 if dict(owed).get(invoice, 0) >= amount else 1
		with _quiet():  # ERPNext's hints to reconcile by hand: done here, right below
			note.insert()
			note.submit()
			if note.update_outstanding_for_self:
				for target, part in settle_invoices(split.settle, owed):
					_reconcile(note, target, part)
		request.db_set("credit_note", note.name, update_modified=False)
		if split.refund > TOLERANCE:
			request.db_set(
				"refund_payment_entry", _refund(note, invoice, split.refund), update_modified=False
			)
	return note.name


def _open_invoices(request, credited: str) -> list[tuple[str, float]]:
	"""The order's invoices that are still owed (name, outstanding): the credited one first, then
	the oldest. Read under a lock, as the credit is decided by them."""
	sales_order = frappe.db.get_value("Customer Order", request.customer_order, "sales_order")
	names = [credited] + [
		name for name in (invoices_of(sales_order) if sales_order else []) if name != credited
	]
	si = frappe.qb.DocType("Sales Invoice")
	outstanding = dict(
		frappe.qb.from_(si)
		.select(si.name, si.outstanding_amount)
		.where(si.name.isin(names) & (si.docstatus == 1))
		.for_update()
		.run()
	)
	return [(name, flt(outstanding[name])) for name in names if flt(outstanding.get(name)) > TOLERANCE]


def _reconcile(note, invoice: str, amount: float) -> None:
	"""Apply `amount` of a standalone credit note to `invoice` with ERPNext's Payment Reconciliation
	(it posts a Credit Note journal entry between the two on the receivable account)."""
	reconciliation = frappe.new_doc("Payment Reconciliation")
	reconciliation.update(
		{
			"company": note.company,
			"party_type": "Customer",
			"party": note.customer,
			"receivable_payable_account": note.debit_to,
			"payment_name": note.name,
			"invoice_name": invoice,
		}
	)
	reconciliation.get_unreconciled_entries()
	payments = [row.as_dict() for row in reconciliation.payments if row.reference_name == note.name]
	invoices = [row.as_dict() for row in reconciliation.invoices if row.invoice_number == invoice]
	if not payments or not invoices:
		frappe.throw(
			_("Credit note {0} could not be set against Sales Invoice {1}").format(note.name, invoice),
			SettlementError,
		)
	reconciliation.allocate_entries(frappe._dict(payments=payments, invoices=invoices))
	for row in reconciliation.allocation:
		row.allocated_amount = min(flt(row.allocated_amount), amount)
	reconciliation.reconcile()


@contextmanager
def _quiet():
	"""Drop the messages ERPNext prints (msgprint) inside the block; errors still raise."""
	before = len(frappe.local.message_log)
	yield
	del frappe.local.message_log[before:]


def _invoice_of(request) -> str | None:
	"""The order's latest submitted (non-return) Sales Invoice."""
	sales_order = frappe.db.get_value("Customer Order", request.customer_order, "sales_order")
	invoices = invoices_of(sales_order) if sales_order else []
	return invoices[-1] if invoices else None


def _refund(note, invoice: str, refund: float) -> str:
	"""Pay `refund` back on the credit note with a refund Payment Entry."""
	mode = _refund_mode(invoice)
	account = get_bank_cash_account(mode, note.company)["account"]
	# A credit note's outstanding is negative: ERPNext pays out what is asked as a negative amount.
	entry = get_payment_entry("Sales Invoice", note.name, party_amount=-refund, bank_account=account)
	entry.mode_of_payment = mode
	entry.reference_no = note.name
	entry.reference_date = nowdate()
	entry.insert()
	entry.submit()
	return entry.name


def _refund_mode(invoice: str) -> str:
	"""Refund the way the customer paid (the last payment of the invoice), else by bank transfer."""
	pe, ref = frappe.qb.DocType("Payment Entry"), frappe.qb.DocType("Payment Entry Reference")
	rows = (
		frappe.qb.from_(ref)
		.join(pe)
		.on(pe.name == ref.parent)
		.select(pe.mode_of_payment)
		.where(
			(ref.reference_name == invoice)
			& (pe.docstatus == 1)
			& (pe.payment_type == "Receive")
			& pe.mode_of_payment.isnotnull()
		)
		.orderby(pe.posting_date, order=frappe.qb.desc)
		.limit(1)
	).run()
	return rows[0][0] if rows else "Bank Transfer"


def replace(request) -> str:
	"""Create (and submit, so that it is reviewed) the replacement Customer Order."""
	if request.replacement_order:
		return request.replacement_order
	original = frappe.get_doc("Customer Order", request.customer_order)
	rates = {line.sales_order_item: line for line in original.items}
	order = frappe.new_doc("Customer Order")
	order.update(
		{
			"customer": request.customer,
			"company": request.company,
			"order_date": nowdate(),
			"delivery_date": nowdate(),
			"order_type": "Standard",
			"channel": "Desk",
			"priority": original.priority or "High",
			"currency": original.currency,
			"price_list": original.price_list,
			"payment_terms_template": original.payment_terms_template,
			"taxes_and_charges": original.taxes_and_charges,
			"shipping_address_name": original.shipping_address_name,
			"contact_person": original.contact_person,
			"delivery_method": original.delivery_method,
			"customer_po": request.name,
			"notes": _("Replacement for Return Request {0}").format(request.name),
		}
	)
	for line in request.items:
		source = rates.get(line.sales_order_item)
		order.append(
			"items",
			{
				"item_code": line.item_code,
				"qty": line.qty,
				"uom": line.uom or (source and source.uom),
				"rate": source.rate if source else line.rate,
				"warehouse": source.warehouse if source else None,
			},
		)
	with acting_as("Administrator"):  # the app's own follow-up; reviewers then decide as usual
		order.insert()
		order.submit()
	request.db_set("replacement_order", order.name, update_modified=False)
	return order.name
