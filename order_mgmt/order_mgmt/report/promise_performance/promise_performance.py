# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

"""Promise-kept rate against the original promise, per week, customer or item group; lines
re-promised; and the over-promise audit (cumulative promises never above cumulative supply).
The queries gather rows (two, whatever the size); order_mgmt/analytics/promises.py aggregates."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder.functions import Max
from frappe.utils import add_days, flt, getdate, nowdate

from order_mgmt.analytics.promises import PromiseRow, performance, total

GROUPS = {"Week": None, "Customer": "customer", "Item Group": "item_group"}


@frappe.read_only()
def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	group_by = filters.get("group_by") or "Week"
	if group_by not in GROUPS:
		frappe.throw(_("Group By must be Week, Customer or Item Group"))
	rows = performance(gather(filters, group_by), getdate(nowdate()))
	data = rows + ([{**total(rows), "group": _("Total")}] if rows else [])
	return columns(group_by), data, audit_message(filters), chart(rows)


def gather(filters, group_by: str) -> list[PromiseRow]:
	promise, line = frappe.qb.DocType("Delivery Promise"), frappe.qb.DocType("Customer Order Item")
	item = frappe.qb.DocType("Item")
	from_date = getdate(filters.get("from_date") or add_days(nowdate(), -90))
	to_date = getdate(filters.get("to_date") or add_days(nowdate(), 90))
	query = (
		frappe.qb.from_(promise)
		.join(line)
		.on(line.name == promise.order_item)
		.join(item)
		.on(item.name == promise.item_code)
		.select(
			promise.customer,
			item.item_group,
			promise.original_promised_on,
			promise.repromise_count,
			promise.repromised_by,
			line.sales_order_item,
			line.stock_qty,
		)
		.where(
			(promise.status != "Released")
			& (promise.original_promised_on >= from_date)
			& (promise.original_promised_on <= to_date)
		)
	)
	if filters.get("customer"):
		query = query.where(promise.customer == filters.customer)
	if filters.get("item_group"):
		query = query.where(item.item_group == filters.item_group)
	records = query.run(as_dict=True)
	delivered = delivered_in_full_on([r.sales_order_item for r in records if r.sales_order_item])
	out = []
	for r in records:
		original = getdate(r.original_promised_on) if r.original_promised_on else None
		if group_by == "Week":
			group = original.strftime("%G-W%V") if original else ""
		else:
			group = r.get(GROUPS[group_by]) or ""
		out.append(
			PromiseRow(group, original, delivered.get(r.sales_order_item), int(r.repromise_count or 0))
		)
	return out


def delivered_in_full_on(sales_order_items: list[str]) -> dict:
	"""The date of the last Delivery Note of each Sales Order line delivered in full."""
	if not sales_order_items:
		return {}
	dn, dn_item = frappe.qb.DocType("Delivery Note"), frappe.qb.DocType("Delivery Note Item")
	so_item = frappe.qb.DocType("Sales Order Item")
	rows = (
		frappe.qb.from_(dn_item)
		.join(dn)
		.on(dn.name == dn_item.parent)
		.join(so_item)
		.on(so_item.name == dn_item.so_detail)
		.select(dn_item.so_detail, Max(dn.posting_date).as_("on"), so_item.delivered_qty, so_item.qty)
		.where((dn.docstatus == 1) & (dn.is_return == 0) & dn_item.so_detail.isin(sales_order_items))
		.groupby(dn_item.so_detail, so_item.delivered_qty, so_item.qty)
	).run(as_dict=True)
	return {r.so_detail: getdate(r.on) for r in rows if flt(r.delivered_qty) >= flt(r.qty) - 1e-9}


def audit_message(filters) -> str | None:
	"""Over-promise audit over the items with open promises (of the filtered customer or item group):
	must always be empty."""
	from order_mgmt.fulfilment.promise import over_promised
	from order_mgmt.fulfilment.promising import OPEN_PROMISE, calendars_for, read_ledgers

	conditions = {"status": ("in", OPEN_PROMISE), "from_stock": 0}
	if filters.get("customer"):
		conditions["customer"] = filters.customer
	if filters.get("item_group"):
		conditions["item_code"] = (
			"in",
			frappe.get_all("Item", filters={"item_group": filters.item_group}, pluck="name") or [""],
		)
	pairs = frappe.get_all(
		"Delivery Promise", filters=conditions, fields=["item_code", "warehouse"], distinct=True, as_list=True
	)
	ledgers = read_ledgers([tuple(p) for p in pairs])
	today = getdate(nowdate())
	bad = []
	for (item_code, warehouse), ledger in sorted(ledgers.items()):
		company = frappe.get_cached_value("Warehouse", warehouse, "company")
		for day, excess in over_promised(
			ledger, calendars_for(company, [(item_code, warehouse)])[(item_code, warehouse)], today
		):
			bad.append(f"{item_code} / {warehouse} / {day}: {excess:g}")
	if not bad:
		return _("Over-promise audit: cumulative promises stay within cumulative supply for every item.")
	return _("Over-promise audit found promises above supply: {0}").format("; ".join(bad[:20]))


def columns(group_by: str) -> list[dict]:
	return [
		{"fieldname": "group", "label": _(group_by), "fieldtype": "Data", "width": 180},
		{"fieldname": "promises", "label": _("Promises"), "fieldtype": "Int", "width": 100},
		{"fieldname": "kept", "label": _("Kept"), "fieldtype": "Int", "width": 90},
		{"fieldname": "late", "label": _("Late"), "fieldtype": "Int", "width": 90},
		{"fieldname": "open", "label": _("Not Yet Due"), "fieldtype": "Int", "width": 110},
		{"fieldname": "unpromised", "label": _("No Supply Known"), "fieldtype": "Int", "width": 130},
		{"fieldname": "kept_rate", "label": _("Promise-Kept Rate %"), "fieldtype": "Percent", "width": 150},
		{"fieldname": "repromised", "label": _("Re-promised"), "fieldtype": "Int", "width": 110},
		{
			"fieldname": "repromise_rate",
			"label": _("Re-promise Rate %"),
			"fieldtype": "Percent",
			"width": 140,
		},
	]


def chart(rows: list[dict]) -> dict | None:
	if not rows:
		return None
	return {
		"data": {
			"labels": [r["group"] for r in rows],
			"datasets": [{"name": _("Promise-Kept Rate %"), "values": [r["kept_rate"] or 0 for r in rows]}],
		},
		"type": "line",
	}
