"""Batch pick lists over approved orders and delivery from them, through ERPNext's own documents.

ERPNext refuses a pick list for a Sales Order holding reserved stock; its way is to reserve from
the Pick List instead (docs/design/picking-with-reservations.md). So, in one transaction, with the
orders' Sales Orders and Bins locked: the Sales Orders' reservations are released, one Pick List is
built over all of them in priority order picking exactly what was reserved, submitted, and the
stock is reserved again from the Pick List. No other session ever sees the stock free.
"""

from __future__ import annotations

import frappe
from erpnext.selling.doctype.sales_order.sales_order import create_pick_list as erpnext_create_pick_list
from erpnext.stock.doctype.pick_list.pick_list import create_dn_for_pick_lists
from frappe import _
from frappe.utils import flt

from order_mgmt.erpnext_bridge.stock_reservation import (
	lock_bins,
	refresh_bins_after_commit,
	reserved_qty_by_line,
)
from order_mgmt.fulfilment.priority import pick_sequence
from order_mgmt.orders import status as order_status

PICKABLE = (order_status.TO_DELIVER, order_status.PARTLY_DELIVERED)


class PickingError(frappe.ValidationError):
	pass


def orders_to_pick(order_names: list[str]) -> list[frappe._dict]:
	orders = frappe.get_all(
		"Customer Order",
		filters={"name": ("in", order_names)},
		fields=[
			"name",
			"priority",
			"delivery_date",
			"order_date",
			"sales_order",
			"status",
			"docstatus",
			"company",
		],
	)
	missing = set(order_names) - {order.name for order in orders}
	if missing:
		frappe.throw(_("Customer Order {0} does not exist").format(", ".join(sorted(missing))), PickingError)
	for order in orders:
		if order.docstatus != 1 or order.status not in PICKABLE or not order.sales_order:
			frappe.throw(
				_("{0} cannot be picked: it is {1}, not approved and waiting for delivery").format(
					order.name, _(order.status)
				),
				PickingError,
			)
	if len({order.company for order in orders}) > 1:
		frappe.throw(_("A pick list covers the orders of one company"), PickingError)
	return pick_sequence(orders)


def build_pick_list(order_names: list[str]) -> str:
	orders = orders_to_pick(order_names)
	sales_orders = [frappe.get_doc("Sales Order", order.sales_order, for_update=True) for order in orders]
	lock_bins([(row.item_code, row.warehouse) for so in sales_orders for row in so.items if row.warehouse])

	reserved = {}
	for so in sales_orders:
		reserved.update(reserved_qty_by_line(so.name))
		so.cancel_stock_reservation_entries(notify=False)

	pick_list = frappe.new_doc("Pick List")
	pick_list.update({"company": orders[0].company, "purpose": "Delivery", "pick_manually": 1})
	for so in sales_orders:
		pick_list = erpnext_create_pick_list(so.name, target_doc=pick_list)
	pick_list.customer = None  # it covers several customers

	kept = []
	for row in pick_list.locations:
		qty = min(flt(row.stock_qty), reserved.get(row.sales_order_item, 0))
		if qty <= 0:
			continue  # nothing reserved for this line: it waits for stock (shortage handling)
		row.picked_qty = qty
		row.stock_qty = qty
		row.qty = qty / (flt(row.conversion_factor) or 1)
		kept.append(row)
	if not kept:
		frappe.throw(_("None of these orders has reserved stock to pick"), PickingError)
	pick_list.set("locations", kept)
	for idx, row in enumerate(pick_list.locations, start=1):
		row.idx = idx
	pick_list.insert()
	pick_list.submit()
	pick_list.create_stock_reservation_entries(notify=False)
	refresh_bins_after_commit([(row.item_code, row.warehouse) for row in kept])
	return pick_list.name


@frappe.whitelist(methods=["POST"])
def create_pick_list(order_names: str | list[str]) -> str:
	"""One Pick List for the selected approved orders, most urgent first (list view and form)."""
	names = frappe.parse_json(order_names) if isinstance(order_names, str) else order_names
	if isinstance(names, str):
		names = [names]
	frappe.has_permission("Pick List", "create", throw=True)
	for name in names:
		frappe.has_permission("Customer Order", "read", name, throw=True)
	return build_pick_list(names)


@frappe.whitelist(methods=["POST"])
def deliver_pick_list(pick_list: str) -> list[str]:
	"""A submitted Delivery Note per Sales Order of the Pick List (statuses follow through doc events)."""
	frappe.has_permission("Delivery Note", "create", throw=True)
	frappe.has_permission("Pick List", "read", pick_list, throw=True)
	doc = frappe.get_doc("Pick List", pick_list)
	sales_orders = list(dict.fromkeys(row.sales_order for row in doc.locations if row.sales_order))
	lock_bins([(row.item_code, row.warehouse) for row in doc.locations])
	notes = []
	for sales_order in sales_orders:
		note = create_dn_for_pick_lists(doc.name, kwargs={"sales_order": sales_order})
		note.insert()
		note.submit()
		notes.append(note.name)
	refresh_bins_after_commit([(row.item_code, row.warehouse) for row in doc.locations])
	return notes
