# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

"""Return rate per item, customer or item group: quantities delivered on ERPNext's Delivery Notes in
the period against quantities that came back on return Delivery Notes in the period, and the most
frequent return reason from the Return Requests."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder.functions import Abs, Sum
from frappe.utils import flt

from order_mgmt.returns.rates import rate_rows

GROUP_FIELDS = {"Item": "item_code", "Customer": "customer", "Item Group": "item_group"}
REASON = "Reason"


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	group_by = filters.get("group_by") or "Item"
	if group_by not in (*GROUP_FIELDS, REASON):
		frappe.throw(_("Group By must be Item, Customer, Item Group or Reason"))
	if group_by == REASON:
		data = reason_rows(filters)
	else:
		delivered, returned = quantities(filters, group_by)
		data = rate_rows(delivered, returned, top_reasons(filters, group_by))
	return columns(group_by), data, None, chart(data)


def reason_rows(filters) -> list[dict]:
	"""Per reason: what came back for it (requests whose goods were received) against everything
	delivered in the period."""
	delivered, _returned = quantities(filters, "Item")
	total_delivered = sum(delivered.values())
	request, line = frappe.qb.DocType("Return Request"), frappe.qb.DocType("Return Request Item")
	returned = dict(
		(
			frappe.qb.from_(line)
			.join(request)
			.on(request.name == line.parent)
			.select(line.reason, Sum(line.qty))
			.where(
				(request.docstatus == 1)
				& (request.company == filters.company)
				& (request.posting_date >= filters.from_date)
				& (request.posting_date <= filters.to_date)
				& request.return_delivery_note.isnotnull()
			)
			.groupby(line.reason)
		).run()
	)
	return rate_rows(
		{reason: total_delivered for reason in returned}, {k: flt(v) for k, v in returned.items()}
	)


def columns(group_by: str) -> list[dict]:
	link = {"Item": "Item", "Customer": "Customer", "Item Group": "Item Group", REASON: "Return Reason"}[
		group_by
	]
	return [
		{"fieldname": "key", "label": _(group_by), "fieldtype": "Link", "options": link, "width": 200},
		{"fieldname": "delivered_qty", "label": _("Delivered Qty"), "fieldtype": "Float", "width": 130},
		{"fieldname": "returned_qty", "label": _("Returned Qty"), "fieldtype": "Float", "width": 130},
		{"fieldname": "return_rate", "label": _("Return Rate (%)"), "fieldtype": "Percent", "width": 130},
		{
			"fieldname": "top_reason",
			"label": _("Top Return Reason"),
			"fieldtype": "Link",
			"options": "Return Reason",
			"width": 180,
		},
	]


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


def top_reasons(filters, group_by: str) -> dict[str, str]:
	request, line = frappe.qb.DocType("Return Request"), frappe.qb.DocType("Return Request Item")
	if group_by == "Customer":
		key = request.customer
	elif group_by == "Item":
		key = line.item_code
	else:
		item = frappe.qb.DocType("Item")
		key = item.item_group
	query = (
		frappe.qb.from_(line)
		.join(request)
		.on(request.name == line.parent)
		.select(key, line.reason, Sum(line.qty))
		.where(
			(request.docstatus == 1)
			& (request.company == filters.company)
			& (request.posting_date >= filters.from_date)
			& (request.posting_date <= filters.to_date)
			& (request.status.notin(["Rejected", "Cancelled"]))
		)
		.groupby(key, line.reason)
	)
	if group_by == "Item Group":
		query = query.join(item).on(item.name == line.item_code)
	best: dict[str, tuple[float, str]] = {}
	for k, reason, qty in query.run():
		if k not in best or flt(qty) > best[k][0]:
			best[k] = (flt(qty), reason)
	return {k: reason for k, (_qty, reason) in best.items()}


def chart(data: list[dict]) -> dict | None:
	top = sorted((row for row in data if row["returned_qty"]), key=lambda row: -row["return_rate"])[:10]
	if not top:
		return None
	return {
		"data": {
			"labels": [row["key"] for row in top],
			"datasets": [{"name": _("Return Rate (%)"), "values": [row["return_rate"] for row in top]}],
		},
		"type": "bar",
	}
