"""What was delivered on a Customer Order, and what of it is returned or requested already.

Delivered lines are those of submitted, non-return Delivery Notes of the order's Sales Order and
customer. Returned quantities come from ERPNext's return Delivery Notes (is_return=1,
return_against the Delivery Note, each line's dn_detail); requested ones from the other open
Return Requests (draft or submitted, not Rejected/Closed/Cancelled) whose goods are not on a
return Delivery Note yet: once the settlement links one, the quantity counts through it.
"""

from __future__ import annotations

import frappe
from frappe.query_builder import DocType
from frappe.query_builder.functions import Coalesce, Sum
from frappe.utils import flt, getdate

from order_mgmt.returns.eligibility import DeliveredLine
from order_mgmt.returns.status import NOT_OPEN


def delivered_lines(
	customer_order: str,
	exclude_request: str | None = None,
	rows: list[frappe._dict] | None = None,
	for_update: bool = False,
) -> dict[str, DeliveredLine]:
	"""The order's delivered lines by Delivery Note Item, with what is returned or requested of each.
	`exclude_request`: the Return Request being checked (its own lines do not count against it);
	`rows`: the order's delivery_note_rows if already read; `for_update`: read the other requests
	with a locking read (on submit), which sees what was committed since this transaction began."""
	rows = delivery_note_rows(customer_order) if rows is None else rows
	if not rows:
		return {}
	names = [row.name for row in rows]
	returned = returned_quantities(names)
	requested = requested_quantities(names, exclude_request, for_update=for_update)
	return {
		row.name: DeliveredLine(
			name=row.name,
			delivery_note=row.delivery_note,
			item_code=row.item_code,
			delivered_qty=flt(row.qty),
			delivered_on=getdate(row.posting_date),
			rate=flt(row.rate),
			returned_qty=returned.get(row.name, 0.0),
			requested_qty=requested.get(row.name, 0.0),
		)
		for row in rows
	}


def delivery_note_rows(customer_order: str) -> list[frappe._dict]:
	"""Lines of the submitted, non-return Delivery Notes of the order (oldest first), with what a
	Return Request line copies from them."""
	order = frappe.db.get_value("Customer Order", customer_order, ["customer", "sales_order"], as_dict=True)
	if not order or not order.sales_order:
		return []
	note, line = DocType("Delivery Note"), DocType("Delivery Note Item")
	return (
		frappe.qb.from_(line)
		.join(note)
		.on(note.name == line.parent)
		.select(
			line.name,
			line.parent.as_("delivery_note"),
			line.item_code,
			line.item_name,
			line.qty,
			line.uom,
			line.rate,
			line.so_detail.as_("sales_order_item"),
			note.posting_date,
		)
		.where(
			(line.against_sales_order == order.sales_order)
			& (note.customer == order.customer)
			& (note.docstatus == 1)
			& (note.is_return == 0)
		)
		.orderby(note.posting_date)
		.orderby(note.name)
		.orderby(line.idx)
		.run(as_dict=True)
	)


def returned_quantities(delivery_note_items: list[str]) -> dict[str, float]:
	"""Quantities on submitted return Delivery Notes against each delivered line's Delivery Note."""
	note, line = DocType("Delivery Note"), DocType("Delivery Note Item")
	original = DocType("Delivery Note Item").as_("original")
	rows = (
		frappe.qb.from_(line)
		.join(note)
		.on(note.name == line.parent)
		.join(original)
		.on(original.name == line.dn_detail)
		.select(line.dn_detail, Sum(line.qty).as_("qty"))
		.where(
			(line.dn_detail.isin(delivery_note_items))
			& (note.docstatus == 1)
			& (note.is_return == 1)
			& (note.return_against == original.parent)
		)
		.groupby(line.dn_detail)
		.run(as_dict=True)
	)
	return {row.dn_detail: abs(flt(row.qty)) for row in rows}


def requested_quantities(
	delivery_note_items: list[str], exclude_request: str | None = None, for_update: bool = False
) -> dict[str, float]:
	"""Quantities on open Return Requests whose goods are not on a return Delivery Note yet."""
	request, line = DocType("Return Request"), DocType("Return Request Item")
	query = (
		frappe.qb.from_(line)
		.join(request)
		.on(request.name == line.parent)
		.select(line.delivery_note_item, Sum(line.qty).as_("qty"))
		.where(
			(line.parenttype == "Return Request")
			& (line.delivery_note_item.isin(delivery_note_items))
			& (request.docstatus < 2)
			& (request.status.notin(NOT_OPEN))
			& (Coalesce(request.return_delivery_note, "") == "")
		)
		.groupby(line.delivery_note_item)
	)
	if exclude_request:
		query = query.where(request.name != exclude_request)
	if for_update:
		query = query.for_update()
	return {row.delivery_note_item: flt(row.qty) for row in query.run(as_dict=True)}


@frappe.whitelist()
def get_returnable_lines(customer_order: str, return_request: str | None = None) -> list[dict]:
	"""The order's delivered lines with what can still be returned of each ("Get Delivered Items").
	`return_request`: the request being edited, whose own lines do not count as requested."""
	frappe.has_permission("Customer Order", "read", customer_order, throw=True)
	rows = delivery_note_rows(customer_order)
	lines = delivered_lines(customer_order, exclude_request=return_request, rows=rows)
	result = []
	for row in rows:
		line = lines[row.name]
		result.append(
			{
				"item_code": row.item_code,
				"item_name": row.item_name,
				"delivery_note": row.delivery_note,
				"delivery_note_item": row.name,
				"sales_order_item": row.sales_order_item,
				"posting_date": row.posting_date,
				"uom": row.uom,
				"rate": flt(row.rate),
				"delivered_qty": line.delivered_qty,
				"returned_qty": line.returned_qty,
				"requested_qty": line.requested_qty,
				"already_returned_qty": line.already_returned_qty,
				"returnable_qty": line.returnable_qty,
			}
		)
	return result
