"""The documents of a portal user's order: its invoices and credit notes (PDF in the *Order Invoice*
print format), what is still owed, and how to pay — the company's bank account (ERPNext's Bank
Account marked *Is Company Account*) and the open Payment Requests that carry a payment link (where a
payment gateway is configured).

A PDF is printed only for an invoice or credit note of one of the user's own visible orders, checked
here before printing (portal users have no desk permission on Sales Invoice: the checked document is
handed to Frappe's print view with its permission checks waived). Another customer's invoice, a draft, a name that does not
exist and an invoice of another of the user's orders all get the same "not found" answer.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import flt, format_date

from order_mgmt.portal import not_found
from order_mgmt.portal.customers import customers_of_user, money
from order_mgmt.portal.orders import get_order
from order_mgmt.portal.timeline import invoices_of_order
from order_mgmt.print_formats.invoice import bank_details

PRINT_FORMAT = "Order Invoice"
OPEN_PAYMENT_REQUEST_STATUSES = ("Requested", "Initiated", "Partially Paid", "Payment Ordered")
"""Payment Requests still waiting for the customer's payment."""
PDF_METHOD = "/api/method/order_mgmt.portal.documents.download_invoice"


def order_documents(order) -> list[frappe._dict]:
	"""The order's submitted invoices and credit notes of the user's customers, oldest first
	(the caller checked the order is the user's: `order` is get_order's answer)."""
	invoices, credit_notes = invoices_of_order(order.name, order.sales_order)
	customers = set(customers_of_user())
	rows = []
	for row in invoices + credit_notes:
		if row.customer not in customers:
			continue
		rows.append(
			frappe._dict(
				name=row.name,
				is_credit_note=bool(row.is_return),
				kind=_("Credit Note") if row.is_return else _("Sales Invoice"),
				posting_date=format_date(row.posting_date),
				grand_total=money(row.grand_total, row.currency),
				outstanding_amount=money(row.outstanding_amount, row.currency),
				owes=flt(row.outstanding_amount) > 0,
				status=row.status,
				pdf_url=pdf_url(row.name, order.name),
			)
		)
	return rows


def pdf_url(invoice: str, order: str) -> str:
	from urllib.parse import urlencode

	return f"{PDF_METHOD}?{urlencode({'name': invoice, 'order': order})}"


def how_to_pay(order, documents: list[frappe._dict]) -> frappe._dict:
	"""What the customer still owes on the order and where to pay it."""
	company = frappe.db.get_value("Customer Order", order.name, "company")
	owed = flt(frappe.db.get_value("Customer Order", order.name, "outstanding_amount"))
	bank = bank_details(company) if company else None
	return frappe._dict(
		outstanding=money(owed, order.currency),
		owes=owed > 0 and order.docstatus == 1,
		company=company,
		bank=frappe._dict(bank) if bank else None,
		payment_reference=next((doc.name for doc in documents if doc.owes), order.name),
		payment_requests=open_payment_requests(order, [doc.name for doc in documents]),
	)


def open_payment_requests(order, invoices: list[str]) -> list[frappe._dict]:
	"""Submitted, unpaid inward Payment Requests for the order's Sales Order or invoices that carry a
	payment link (ERPNext sets payment_url when a payment gateway is configured)."""
	if not order.sales_order:
		return []
	request = frappe.qb.DocType("Payment Request")
	references = (request.reference_doctype == "Sales Order") & (request.reference_name == order.sales_order)
	if invoices:
		references |= (request.reference_doctype == "Sales Invoice") & request.reference_name.isin(invoices)
	rows = (
		frappe.qb.from_(request)
		.select(
			request.name,
			request.transaction_date,
			request.grand_total,
			request.currency,
			request.payment_url,
			request.status,
		)
		.where(
			references
			& (request.docstatus == 1)
			& (request.payment_request_type == "Inward")
			& request.status.isin(OPEN_PAYMENT_REQUEST_STATUSES)
		)
		.orderby(request.transaction_date)
	).run(as_dict=True)
	return [
		frappe._dict(
			name=row.name,
			date=format_date(row.transaction_date),
			amount=money(row.grand_total, row.currency),
			url=row.payment_url,
		)
		for row in rows
		if is_link(row.payment_url)
	]


def is_link(url) -> bool:
	return isinstance(url, str) and url.startswith(("https://", "http://", "/"))


def invoice_of_users_order(name, order_name, user: str | None = None) -> frappe._dict:
	"""The invoice or credit note `name` if it is a document of the user's visible order `order_name`,
	else PermissionError (the same for one that does not exist)."""
	order = get_order(order_name, user)
	documents = order_documents(order) if isinstance(name, str) and name else []
	document = next((doc for doc in documents if doc.name == name), None)
	if not document:
		not_found("Sales Invoice", name)
	return document


@frappe.whitelist(methods=["GET"])
def download_invoice(name: str | None = None, order: str | None = None) -> None:
	"""The PDF of an invoice or credit note of one of the user's orders (Order Invoice format)."""
	invoice_of_users_order(name, order)
	print_format = PRINT_FORMAT if frappe.db.exists("Print Format", PRINT_FORMAT) else None
	doc = frappe.get_doc("Sales Invoice", name)
	# Checked above; the print view and the format's context then let this document through (Frappe's
	# has_website_permission honours the flag; ERPNext's own knows only the Customer's Portal Users).
	doc.flags.ignore_permissions = True
	pdf = frappe.get_print("Sales Invoice", name, print_format=print_format, doc=doc, as_pdf=True)
	frappe.local.response.filename = f"{name}.pdf".replace("/", "-").replace(" ", "-")
	frappe.local.response.filecontent = pdf
	frappe.local.response.type = "pdf"
