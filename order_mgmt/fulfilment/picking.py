"""Batch pick lists over approved orders and delivery from them, through ERPNext's own documents.

ERPNext refuses a pick list for a Sales Order holding reserved stock; its way is to reserve from
the Pick List instead (docs/design/picking-with-reservations.md). So, in one transaction, with the
orders' Sales Orders and Bins locked: the Sales Orders' reservations are released, one Pick List is
built over all of them in priority order picking exactly what was reserved, submitted, and the
stock is reserved again from the Pick List. No other session ever sees the stock free.
"""

from __future__ import annotations

from collections.abc import Callable

import frappe
from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note
from erpnext.stock.doctype.pick_list.pick_list import create_dn_for_pick_lists
from frappe import _
from frappe.utils import flt

from order_mgmt import bulk
from order_mgmt.accounting import payment_gate
from order_mgmt.accounting.gating import check_orders, refuse_payment_holds
from order_mgmt.erpnext_bridge.stock_reservation import (
	available_to_reserve,
	lock_bins,
	open_pick_list,
	open_pick_lists,
	pending_stock_qty,
	refresh_bins_after_commit,
	release_unpicked_reservations,
	reservation_enabled,
	reserve_for_sales_order,
	reserved_qty_by_line,
	reserved_qty_by_lines,
	stock_item_codes,
	with_delivered_reservations,
)
from order_mgmt.fulfilment.priority import pick_sequence
from order_mgmt.fulfilment.shortage import pickable_qty, refresh_shortages
from order_mgmt.orders import status as order_status
from order_mgmt.utils import changed_since_snapshot

PICKABLE = (order_status.TO_DELIVER, order_status.PARTLY_DELIVERED)


class PickingError(frappe.ValidationError):
	pass


class PickListMovedOnError(PickingError):
	"""A Sales Order changed (e.g. by an applied change request) while the Pick List waited for its lock."""


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
			"has_shortage",
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


def build_pick_list(order_names: list[str], progress: Callable[[int, int, str], None] | None = None) -> str:
	"""One submitted Pick List over the orders, most urgent first; `progress(done, total, what)` is
	reported per phase (the background job shows it as a progress bar).

	The orders' Sales Orders are read and locked together (one query each, not one document per
	order): the cost that grows with the batch is ERPNext's own, its reservation entries."""
	steps = 5
	report = progress or (lambda done, total, what: None)
	orders = orders_to_pick(order_names)
	check_orders([order.name for order in orders], payment_gate.PICKING)  # prepaid / deposit terms
	so_names = [order.sales_order for order in orders]
	lock_sales_orders(so_names)
	so_lines = sales_order_lines(so_names)
	reserved_flow = reservation_enabled()
	refuse_unpickable(orders, reserved_flow)
	lock_bins([(row.item_code, row.warehouse) for rows in so_lines.values() for row in rows if row.warehouse])
	report(1, steps, _("Orders locked"))

	reserved, decisions = {}, {}
	short_orders = [order for order in orders if order.has_shortage]
	if reserved_flow:
		decisions = shortage_decisions([order.name for order in short_orders])
		for order in short_orders:
			# Stock that arrived since approval goes to the most urgent orders first.
			reserve_for_sales_order(frappe.get_doc("Sales Order", order.sales_order))
		reserved = reserved_qty_by_lines(so_names, unpicked_only=True)
		release_unpicked_reservations(so_names)
	report(2, steps, _("Reservations released"))

	pick_list = frappe.new_doc("Pick List")
	# Without reservations ERPNext finds the stock itself (its item locations); with them, exactly
	# what was reserved is picked.
	pick_list.update(
		{"company": orders[0].company, "purpose": "Delivery", "pick_manually": int(reserved_flow)}
	)
	stock_items = stock_item_codes([row.item_code for rows in so_lines.values() for row in rows])
	for so_name in so_names:
		for line in lines_to_pick(so_name, so_lines[so_name], stock_items):
			if reserved_flow:
				qty = pickable_qty(
					decisions.get(line.sales_order_item),
					line.stock_qty,
					reserved.get(line.sales_order_item, 0),
				)
				if qty <= 0:
					continue  # nothing reserved, or short and waiting for the customer's decision/stock
				line.update({"stock_qty": qty, "picked_qty": qty, "qty": qty / line.conversion_factor})
			pick_list.append("locations", line)
	if not pick_list.locations:
		frappe.throw(_("None of these orders has anything left to pick"), PickingError)
	pick_list.flags.payment_gate_checked = True
	pick_list.insert()
	report(3, steps, pick_list.name)
	pick_list.submit()
	report(4, steps, pick_list.name)
	if reserved_flow:
		pick_list.create_stock_reservation_entries(notify=False)
		picked = {row.sales_order_item: flt(row.stock_qty) for row in pick_list.locations}
		for order in orders:
			rows = so_lines[order.sales_order]
			if any(reserved.get(row.name, 0) - picked.get(row.name, 0) > 1e-9 for row in rows):
				# Lines (or parts) left unpicked keep their reservation on the Sales Order.
				reserve_for_sales_order(frappe.get_doc("Sales Order", order.sales_order))
		for order in short_orders:
			refresh_shortages(order.name)
	refresh_bins_after_commit([(row.item_code, row.warehouse) for row in pick_list.locations])
	report(steps, steps, pick_list.name)
	return pick_list.name


def lock_sales_orders(names: list[str]) -> None:
	"""Row locks on the Sales Orders, in a fixed order (no deadlocks between overlapping batches). A Sales
	Order changed after this transaction's first read (it waited for the lock while a change was applied)
	is refused with a clear message: what was read of it, and ERPNext's own reads, are the order as it was."""
	moved_on = changed_since_snapshot("Sales Order", names)
	if moved_on:
		frappe.throw(
			_(
				"Sales Order {0} was changed while the Pick List waited for it: create the Pick List again"
			).format(", ".join(moved_on)),
			PickListMovedOnError,
			title=_("Order Changed Meanwhile"),
		)


def sales_order_lines(names: list[str]) -> dict[str, list[frappe._dict]]:
	rows = frappe.get_all(
		"Sales Order Item",
		filters={"parent": ("in", names), "parenttype": "Sales Order"},
		fields=[
			"name",
			"parent",
			"item_code",
			"item_name",
			"description",
			"item_group",
			"warehouse",
			"uom",
			"stock_uom",
			"conversion_factor",
			"qty",
			"stock_qty",
			"picked_qty",
			"delivered_qty",
			"delivered_by_supplier",
		],
		order_by="parent, idx",
	)
	lines: dict[str, list[frappe._dict]] = {name: [] for name in names}
	for row in rows:
		lines[row.parent].append(row)
	return lines


def refuse_unpickable(orders: list[frappe._dict], reserved_flow: bool) -> None:
	so_names = [order.sales_order for order in orders]
	waiting = open_pick_lists(so_names)
	delivered = with_delivered_reservations(so_names) if reserved_flow else set()
	for order in orders:
		if order.sales_order in waiting:
			frappe.throw(
				_("{0} is on Pick List {1}, not yet delivered: deliver it first").format(
					order.name, waiting[order.sales_order]
				),
				PickingError,
			)
		if order.sales_order in delivered:
			frappe.throw(
				_(
					"{0} was partly delivered from reserved stock; ERPNext does not pick it again: deliver the rest from the order (Create > Delivery Note)"
				).format(order.name),
				PickingError,
			)


@frappe.whitelist(methods=["POST"])
def deliver_order(order: str) -> str:
	"""A submitted Delivery Note for what the order can ship now, from its Sales Order (ERPNext's own
	mapping): follow-up deliveries after a partial one, when stock arrived for a backorder or the rest
	of a partial shipment.

	Lines never picked ship from their reservation (stock that arrived is reserved first). ERPNext
	reserves a line that was picked only from a Pick List, and picks a Sales Order only once after
	reserved stock was delivered from it: the rest of such a line ships from stock free of every
	reservation, read under the Bin locks (ERPNext's stock ledger refuses a delivery that would eat
	into other orders' reservations). The shortage decision and the payment gate hold either way."""
	frappe.has_permission("Delivery Note", "create", throw=True)
	refuse_payment_holds([order], payment_gate.SHIPMENT)  # the hold's reason, not a permission error
	frappe.has_permission("Customer Order", "read", order, throw=True)
	(details,) = orders_to_pick([order])
	so = frappe.get_doc("Sales Order", details.sales_order, for_update=True)
	waiting = open_pick_list(so.name)
	if waiting:
		frappe.throw(
			_("{0} is on Pick List {1}, not yet delivered: deliver it first").format(order, waiting),
			PickingError,
		)
	lock_bins([(row.item_code, row.warehouse) for row in so.items if row.warehouse])
	stock_items = stock_item_codes([row.item_code for row in so.items])
	allowed = {}
	if reservation_enabled():
		reserve_for_sales_order(so)  # stock that arrived since, for lines never picked
		allowed = deliverable_qty(so, stock_items, shortage_decisions([order]))
	# Without reservations ERPNext's mapping delivers what is pending and its stock ledger refuses
	# what is not in stock.
	note = make_delivery_note(so.name, kwargs={"for_reserved_stock": bool(allowed)})
	kept = []
	for row in note.items:
		if row.so_detail in allowed:
			factor = flt(row.conversion_factor) or 1
			stock_qty = min(flt(row.qty) * factor, allowed[row.so_detail])
			if stock_qty <= 1e-9:
				continue
			allowed[row.so_detail] -= stock_qty
			row.qty = stock_qty / factor
		kept.append(row)
	if not any(row.item_code in stock_items for row in kept):
		frappe.throw(_("{0} has nothing reserved to deliver now").format(order), PickingError)
	note.set("items", kept)
	for idx, row in enumerate(note.items, start=1):
		row.idx = idx
	note.insert()
	note.submit()
	if details.has_shortage:
		refresh_shortages(order)
	refresh_bins_after_commit([(row.item_code, row.warehouse) for row in note.items if row.warehouse])
	return note.name


def deliverable_qty(so, stock_items: set[str], decisions: dict[str, str]) -> dict[str, float]:
	"""Stock quantity per stock line of the Sales Order that may ship now: what is reserved for it,
	and for lines once picked (which ERPNext no longer reserves from the Sales Order) what is free of
	every reservation; a short line only as its shortage decision allows. Bins locked by the caller."""
	reserved = reserved_qty_by_line(so.name)
	free: dict[tuple[str, str], float] = {}
	allowed = {}
	for row in so.items:
		if row.item_code not in stock_items:
			continue
		pending = pending_stock_qty(row)
		have = min(max(flt(reserved.get(row.name)), 0), pending)
		key = (row.item_code, row.warehouse)
		from_free = 0.0
		if flt(row.picked_qty) > 0 and pending - have > 1e-9 and row.warehouse:
			if key not in free:
				free[key] = max(available_to_reserve(*key), 0)
			from_free = min(pending - have, free[key])
		qty = pickable_qty(decisions.get(row.name), pending, have + from_free)
		if qty > have:
			free[key] -= qty - have
		allowed[row.name] = qty
	return allowed


def lines_to_pick(sales_order: str, rows: list[frappe._dict], stock_items: set[str]) -> list[frappe._dict]:
	"""Pick List rows for what is left to pick of each stock line, as ERPNext's own Sales Order to
	Pick List mapping computes it. ERPNext's mapper itself refuses any Sales Order that ever had
	reserved stock (a line's reserved quantity counts delivered reservations too), so the rows are
	made here; product bundles are not picked (their parent item holds no stock)."""
	lines = []
	for row in rows:
		if row.item_code not in stock_items or row.delivered_by_supplier:
			continue
		factor = flt(row.conversion_factor) or 1
		qty = flt(row.qty) - max(flt(row.picked_qty) / factor, flt(row.delivered_qty))
		if qty <= 1e-9:
			continue
		lines.append(
			frappe._dict(
				item_code=row.item_code,
				item_name=row.item_name,
				description=row.description,
				item_group=row.item_group,
				warehouse=row.warehouse,
				uom=row.uom,
				stock_uom=row.stock_uom,
				conversion_factor=factor,
				qty=qty,
				stock_qty=qty * factor,
				sales_order=sales_order,
				sales_order_item=row.name,
			)
		)
	return lines


def shortage_decisions(order_names: list[str]) -> dict[str, str]:
	"""Recorded shortage decision per Sales Order line of the orders."""
	if not order_names:
		return {}
	rows = frappe.get_all(
		"Customer Order Item",
		filters={
			"parent": ("in", order_names),
			"parenttype": "Customer Order",
			"shortage_action": ("is", "set"),
		},
		fields=["sales_order_item", "shortage_action"],
	)
	return {row.sales_order_item: row.shortage_action for row in rows}


@frappe.whitelist(methods=["POST"])
def create_pick_list(order_names: str | list[str]) -> dict:
	"""One Pick List for the selected approved orders, most urgent first (list view and form).
	Large batches are built by a background job with a progress bar; the user is notified."""
	names = bulk.order_names(order_names)
	frappe.has_permission("Pick List", "create", throw=True)
	refuse_payment_holds(names, payment_gate.PICKING)  # the hold's reason, not a permission error
	bulk.check_can_act(names, "Pick List")
	if bulk.is_large(names):
		orders_to_pick(names)  # refuse unpickable orders now, not in the job
	queued = bulk.enqueue_if_large("order_mgmt.fulfilment.picking.build_pick_list_job", names)
	if queued:
		return queued
	return {"pick_list": build_pick_list(names)}


def build_pick_list_job(order_names: list[str]) -> str | None:
	"""Background job (RQ, as the user who asked): build the pick list with a progress bar, then tell
	the user through a notification and a realtime event."""

	def progress(done: int, total: int, what: str) -> None:
		bulk.publish_progress(_("Building Pick List"), done, total, what)

	user = frappe.session.user
	try:
		name = build_pick_list(order_names, progress=progress)
	except Exception as error:
		frappe.db.rollback()
		_notify(
			user,
			_("Pick List for {0} orders failed: {1}").format(
				len(order_names), frappe.utils.strip_html(str(error))
			),
		)
		frappe.db.commit()
		raise
	_notify(user, _("Pick List {0} is ready ({1} orders)").format(name, len(order_names)), name)
	# The worker commits when the job returns; the page hears of the Pick List after that commit.
	frappe.publish_realtime("order_mgmt_pick_list_ready", {"pick_list": name}, user=user, after_commit=True)
	return name


def _notify(user: str, subject: str, pick_list: str | None = None) -> None:
	frappe.get_doc(
		{
			"doctype": "Notification Log",
			"for_user": user,
			"type": "Alert",
			"subject": subject,
			"document_type": "Pick List" if pick_list else None,
			"document_name": pick_list,
		}
	).insert(ignore_permissions=True)


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
