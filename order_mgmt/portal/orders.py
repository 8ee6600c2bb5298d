"""A portal user's Customer Orders: the list (paginated, filtered by status, order date and a search in
order number and PO reference), one order with its lines, shipments and return requests.

Only submitted (and cancelled) orders of the user's customers are shown: drafts are the staff's
work in progress.
"""

from __future__ import annotations

from urllib.parse import urlencode

import frappe
from frappe.query_builder import DocType
from frappe.utils import cint, flt, format_date, getdate

from order_mgmt.fulfilment.shipping import shipments_of_order
from order_mgmt.orders import status as order_status
from order_mgmt.portal import not_found, plain
from order_mgmt.portal.customers import PAGE_LENGTH, VISIBLE_DOCSTATUS, customers_of_user, money
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


STATUS_FILTERS = (
	order_status.PENDING_REVIEW,
	order_status.RETURNED_FOR_CHANGES,
	order_status.ON_HOLD,
	order_status.APPROVED,
	order_status.TO_DELIVER,
	order_status.PARTLY_DELIVERED,
	order_status.DELIVERED,
	order_status.COMPLETED,
	order_status.REJECTED,
	order_status.CANCELLED,
)
"""The statuses a customer may filter their list by (drafts are never shown)."""
FILTER_FIELDS = ("status", "from_date", "to_date", "q")
MAX_SEARCH = 140


def list_filters(form: dict | None) -> frappe._dict:
	"""The list's filters from the query string: a known status, valid dates, a search text; anything
	else is dropped (never an error: it is a URL a customer may have typed)."""
	form = form or {}
	status = form.get("status")
	filters = frappe._dict(status=status if status in STATUS_FILTERS else None)
	for fieldname in ("from_date", "to_date"):
		value = form.get(fieldname)
		try:
			filters[fieldname] = getdate(value) if isinstance(value, str) and value.strip() else None
		except Exception:
			filters[fieldname] = None
	q = form.get("q")
	filters.q = q.strip()[:MAX_SEARCH] if isinstance(q, str) else ""
	return filters


def like_pattern(text: str) -> str:
	"""`%text%` with LIKE's wildcards in `text` taken literally."""
	escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
	return f"%{escaped}%"


def order_list(page: int = 1, user: str | None = None, filters: dict | None = None) -> frappe._dict:
	"""One page of the user's orders, newest first, filtered by status, order date range and a search
	in the order number and PO reference. One query on the customer's orders (index on customer; the
	other filters narrow that), PAGE_LENGTH + 1 rows to know whether there is a next page."""
	customers = customers_of_user(user)
	page = max(cint(page), 1)
	filters = list_filters(filters)
	result = frappe._dict(
		linked=bool(customers),
		orders=[],
		page=page,
		has_next=False,
		filters=filters,
		filtered=any(filters.get(f) for f in FILTER_FIELDS),
		statuses=STATUS_FILTERS,
	)
	if not customers:
		result.page = 1
		return result
	order = DocType("Customer Order")
	query = (
		frappe.qb.from_(order)
		.select(*(order[field] for field in LIST_FIELDS))
		.where(order.customer.isin(customers) & order.docstatus.isin(VISIBLE_DOCSTATUS))
	)
	if filters.status:
		query = query.where(order.status == filters.status)
	if filters.from_date:
		query = query.where(order.order_date >= filters.from_date)
	if filters.to_date:
		query = query.where(order.order_date <= filters.to_date)
	if filters.q:
		pattern = like_pattern(filters.q)
		query = query.where(order.name.like(pattern) | order.customer_po.like(pattern))
	rows = (
		query.orderby(order.order_date, order=frappe.qb.desc)
		.orderby(order.creation, order=frappe.qb.desc)
		.limit(PAGE_LENGTH + 1)
		.offset((page - 1) * PAGE_LENGTH)
		.run(as_dict=True)
	)
	result.orders = [order_row(row) for row in rows[:PAGE_LENGTH]]
	result.has_next = len(rows) > PAGE_LENGTH
	query_args = {f: str(filters[f]) for f in FILTER_FIELDS if filters.get(f)}
	result.newer_url = page_url(page - 1, query_args) if page > 1 else None
	result.older_url = page_url(page + 1, query_args) if result.has_next else None
	return result


def page_url(page: int, query_args: dict) -> str:
	return "?" + urlencode({**query_args, "page": page})


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
	from order_mgmt.portal.feedback import feedback_context
	from order_mgmt.portal.ordering import can_change
	from order_mgmt.portal.returns import can_request_return, requests_of_order

	order = get_order(name, user)
	items = frappe.get_all(
		"Customer Order Item",
		filters={"parenttype": "Customer Order", "parent": order.name},
		fields=[
			"item_code",
			"item_name",
			"qty",
			"uom",
			"rate",
			"amount",
			"delivery_date",
			"expected_date",
			"shortage_qty",
		],
		order_by="idx",
	)
	for item in items:
		# The date the line is expected to ship: its delivery promise when short (re-promised when
		# supply moves), else the requested date the reserved stock ships on.
		expected = item.expected_date if flt(item.shortage_qty) > 0 else None
		item.ships_on = (
			format_date(expected or item.delivery_date or order.delivery_date) if order.docstatus == 1 else ""
		)
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
		can_change=can_change(order.name),
		feedback=feedback_context(order.name),
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
