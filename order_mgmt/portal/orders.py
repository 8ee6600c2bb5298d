"""A portal user's Customer Orders: the list, one order with its lines, shipments and return requests.

Only submitted (and cancelled) orders of the user's customers are shown: drafts are the staff's
work in progress.
"""

from __future__ import annotations

import frappe
from frappe.utils import cint, flt, format_date

from order_mgmt.fulfilment.shipping import shipments_of_order
from order_mgmt.orders import status as order_status
from order_mgmt.portal import not_found, plain
from order_mgmt.portal.customers import VISIBLE_DOCSTATUS, customer_page, customers_of_user, money
from order_mgmt.returns.validation import number

LIST_FIELDS = [
	"name",
	"order_date",
	"status",
	"currency",
	"grand_total",
	"payment_status",
	"per_delivered",
	"customer_po",
]


def order_list(page: int = 1, user: str | None = None) -> frappe._dict:
	"""One page of the user's orders, newest first."""
	result = customer_page(
		"Customer Order", LIST_FIELDS, "order_date desc, creation desc", page, user, order_row
	)
	return frappe._dict(linked=result.linked, orders=result.rows, page=result.page, has_next=result.has_next)


def order_row(row) -> frappe._dict:
	return frappe._dict(
		name=row.name,
		order_date=format_date(row.order_date),
		status=row.status,
		indicator=order_status.INDICATOR_COLOURS.get(row.status, "gray"),
		grand_total=money(row.grand_total, row.currency),
		payment_status=row.payment_status or "",
		per_delivered=f"{flt(row.per_delivered, 1):g}%",
		customer_po=plain(row.customer_po),
	)


def get_order(name: str | None, user: str | None = None) -> frappe._dict:
	"""The order's header if it is a visible order of the user's customers, else PermissionError
	(the same for an order that does not exist)."""
	customers = customers_of_user(user)
	order = (
		frappe.db.get_value(
			"Customer Order",
			name,
			[*LIST_FIELDS, "customer", "customer_name", "docstatus", "delivery_date", "sales_order"]
			+ ["net_total", "total_taxes_and_charges", "paid_amount", "outstanding_amount", "total_qty"],
			as_dict=True,
		)
		if isinstance(name, str) and name and customers
		else None
	)
	if not visible(order, customers):
		not_found("Customer Order", name)
	return order


def visible(order: frappe._dict | None, customers: list[str]) -> bool:
	return bool(order) and order.customer in customers and order.docstatus in VISIBLE_DOCSTATUS


def is_visible_order(name: str, customers: list[str]) -> bool:
	return visible(
		frappe.db.get_value("Customer Order", name, ["customer", "docstatus"], as_dict=True), customers
	)


def order_detail(name: str | None, user: str | None = None) -> frappe._dict:
	"""Everything the order page shows."""
	from order_mgmt.portal.returns import can_request_return, requests_of_order

	order = get_order(name, user)
	items = frappe.get_all(
		"Customer Order Item",
		filters={"parenttype": "Customer Order", "parent": order.name},
		fields=["item_code", "item_name", "qty", "uom", "rate", "amount"],
		order_by="idx",
	)
	for item in items:
		item.rate = money(item.rate, order.currency)
		item.amount = money(item.amount, order.currency)
		item.qty = number(item.qty)
		item.item_name = plain(item.item_name)
	return frappe._dict(
		order=frappe._dict(
			order_row(order),
			customer_name=order.customer_name,
			delivery_date=format_date(order.delivery_date) if order.delivery_date else "",
			net_total=money(order.net_total, order.currency),
			total_taxes_and_charges=money(order.total_taxes_and_charges, order.currency),
			paid_amount=money(order.paid_amount, order.currency),
			outstanding_amount=money(order.outstanding_amount, order.currency),
			cancelled=order.docstatus == 2,
		),
		lines=items,
		shipments=[shipment_row(row) for row in shipments_of_order(order.sales_order)],
		return_requests=requests_of_order(order.name),
		can_request_return=order.docstatus == 1 and can_request_return(order.name),
	)


def shipment_row(row) -> frappe._dict:
	return frappe._dict(
		name=row.name,
		posting_date=format_date(row.posting_date),
		is_return=cint(row.is_return),
		carrier=plain(row.carrier),
		tracking_number=plain(row.tracking_number),
		shipped_on=format_date(row.shipped_on) if row.shipped_on else "",
	)
