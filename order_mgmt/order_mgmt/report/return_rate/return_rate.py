# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

"""Return rate per item, customer, item group or reason, requested and received side by side:
- delivered and returned: quantities on ERPNext's Delivery Notes and return Delivery Notes posted in
  the period; the return rate is returned against delivered;
- requested: the lines of Return Requests filed in the period (submitted, not rejected), with their
  most frequent reason;
- the top returned reason: from the requests whose goods came back on a return Delivery Note posted
  in the period.
The queries gather rows; the pure functions in order_mgmt/returns/rates.py aggregate them."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder.functions import Abs, Sum
from frappe.utils import flt

from order_mgmt.returns import rates
from order_mgmt.returns.status import REJECTED

GROUP_FIELDS = {"Item": "item_code", "Customer": "customer", "Item Group": "item_group"}
REASON = "Reason"


@frappe.read_only()
def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	group_by = filters.get("group_by") or "Item"
	if group_by not in (*GROUP_FIELDS, REASON):
		frappe.throw(_("Group By must be Item, Customer, Item Group or Reason"))
	if group_by == REASON:
		data = reason_rows(filters)
	else:
		delivered, returned = quantities(filters, group_by)
		requested_lines = request_lines(filters, group_by, received=False)
		received_lines = request_lines(filters, group_by, received=True)
		data = rates.rate_rows(
			delivered,
			returned,
			requested=totals(requested_lines),
			requested_reasons=rates.top_reasons(requested_lines),
			returned_reasons=rates.top_reasons(received_lines),
		)
	return columns(group_by), data, None, chart(data)


def reason_rows(filters) -> list[dict]:
	"""Per reason: requested, and came back (requests whose goods were received), against everything
	delivered in the period."""
	delivered, _returned = quantities(filters, "Item")
	return rates.reason_rows(
		sum(delivered.values()),
		requested=totals(request_lines(filters, REASON, received=False)),
		returned=totals(request_lines(filters, REASON, received=True)),
	)


def totals(lines: list[tuple]) -> dict[str, float]:
	result: dict[str, float] = {}
	for key, _reason, qty in lines:
		result[key] = result.get(key, 0.0) + flt(qty)
	return result


def columns(group_by: str) -> list[dict]:
	link = {"Item": "Item", "Customer": "Customer", "Item Group": "Item Group", REASON: "Return Reason"}[
		group_by
	]
	reason = {"fieldtype": "Link", "options": "Return Reason", "width": 180}
	result = [
		{"fieldname": "key", "label": _(group_by), "fieldtype": "Link", "options": link, "width": 200},
		{"fieldname": "delivered_qty", "label": _("Delivered Qty"), "fieldtype": "Float", "width": 120},
		{"fieldname": "requested_qty", "label": _("Requested Qty"), "fieldtype": "Float", "width": 120},
		{"fieldname": "top_requested_reason", "label": _("Top Requested Reason"), **reason},
		{"fieldname": "returned_qty", "label": _("Returned Qty"), "fieldtype": "Float", "width": 120},
		{"fieldname": "top_returned_reason", "label": _("Top Returned Reason"), **reason},
		{"fieldname": "return_rate", "label": _("Return Rate (%)"), "fieldtype": "Percent", "width": 130},
	]
	if group_by == REASON:
		result = [c for c in result if c["fieldname"] not in ("top_requested_reason", "top_returned_reason")]
	return result


def quantities(filters, group_by: str) -> tuple[dict[str, float], dict[str, float]]:
	dn, item = frappe.qb.DocType("Delivery Note"), frappe.qb.DocType("Delivery Note Item")
	key = dn.customer if group_by == "Customer" else item[GROUP_FIELDS[group_by]]
	base = (
		frappe.qb.from_(item)
		.join(dn)
		.on(dn.name == item.parent)
		.select(key, Sum(Abs(item.stock_qty)))
		.where(
			(dn.docstatus == 1)
			& (dn.company == filters.company)
			& (dn.posting_date >= filters.from_date)
			& (dn.posting_date <= filters.to_date)
		)
		.groupby(key)
	)
	delivered = {k: flt(q) for k, q in base.where(dn.is_return == 0).run()}
	returned = {k: flt(q) for k, q in base.where(dn.is_return == 1).run()}
	return delivered, returned


def request_lines(filters, group_by: str, received: bool) -> list[tuple]:
	"""(key, reason, qty) of Return Request lines: filed in the period (not rejected), or — with
	`received` — whose goods came back on a return Delivery Note posted in the period."""
	request, line = frappe.qb.DocType("Return Request"), frappe.qb.DocType("Return Request Item")
	item = frappe.qb.DocType("Item")
	key = {
		"Customer": request.customer,
		"Item": line.item_code,
		"Item Group": item.item_group,
		REASON: line.reason,
	}[group_by]
	query = (
		frappe.qb.from_(line)
		.join(request)
		.on(request.name == line.parent)
		.select(key, line.reason, Sum(line.qty))
		.where((request.docstatus == 1) & (request.company == filters.company))
		.groupby(key, line.reason)
	)
	if group_by == "Item Group":
		query = query.join(item).on(item.name == line.item_code)
	if received:
		note = frappe.qb.DocType("Delivery Note")
		query = (
			query.join(note)
			.on(note.name == request.return_delivery_note)
			.where(
				(note.docstatus == 1)
				& (note.posting_date >= filters.from_date)
				& (note.posting_date <= filters.to_date)
			)
		)
	else:
		query = query.where(
			(request.posting_date >= filters.from_date)
			& (request.posting_date <= filters.to_date)
			& (request.status != REJECTED)
		)
	return [(k, reason, flt(qty)) for k, reason, qty in query.run()]


def chart(data: list[dict]) -> dict | None:
	top = sorted(
		(row for row in data if row["returned_qty"] or row["requested_qty"]),
		key=lambda row: (-row["return_rate"], -row["requested_qty"]),
	)[:10]
	if not top:
		return None
	return {
		"data": {
			"labels": [row["key"] for row in top],
			"datasets": [
				{"name": _("Requested Qty"), "values": [row["requested_qty"] for row in top]},
				{"name": _("Returned Qty"), "values": [row["returned_qty"] for row in top]},
			],
		},
		"type": "bar",
	}
