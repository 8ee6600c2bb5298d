"""Reserving stock for an approved order's Sales Order with ERPNext's Stock Reservation Entry.

ERPNext 15.72 read the available quantity without a lock, so Sales Orders submitted at once
could reserve more than there is; later v15 releases lock. To hold on every v15 release, the
Bins of the order's items are locked first (serialising reservations of the same stock), the
available quantity is read with locking reads (which see the latest committed rows, whatever
the transaction's snapshot), and ERPNext is asked to reserve exactly that much.
"""

from __future__ import annotations

import frappe
from erpnext.stock.doctype.stock_reservation_entry.stock_reservation_entry import (
	cancel_stock_reservation_entries,
)
from frappe.query_builder import Tuple
from frappe.query_builder.functions import Sum
from frappe.utils import cint, flt

from order_mgmt.utils import WaitingSet, acting_as


def reservation_enabled() -> bool:
	return bool(cint(frappe.db.get_single_value("Stock Settings", "enable_stock_reservation")))


BIN_INDEX = "unique_item_warehouse"
"""ERPNext's unique index on Bin (item_code, warehouse)."""
_bin_index_present: dict[str, bool] = {}


def _has_bin_index() -> bool:
	site = frappe.local.site
	if site not in _bin_index_present:
		_bin_index_present[site] = bool(frappe.db.has_index("tabBin", BIN_INDEX))
	return _bin_index_present[site]


def lock_bins(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], float]:
	"""Lock the Bins in a fixed order, ascending (item, warehouse) (no deadlocks between orders sharing
	items). Returns each locked Bin's actual quantity, read by the locking read itself (the latest row,
	unchanged while locked).

	Bins of one warehouse are locked with one statement: a range read of exactly those (item, warehouse)
	keys on ERPNext's unique index (forced: on a small table the optimiser may pick the warehouse index
	and lock every Bin of the warehouse), which takes the row locks in the index's ascending order, the
	same order as one statement per Bin. Bins of several warehouses: one statement per Bin, in order."""
	pairs = sorted(set(pairs))
	if len(pairs) > 1 and len({warehouse for _, warehouse in pairs}) == 1 and _has_bin_index():
		rows = frappe.db.sql(
			f"""select item_code, warehouse, actual_qty from `tabBin` force index ({BIN_INDEX})
			where warehouse = %(warehouse)s and item_code in %(items)s
			order by item_code for update""",
			{"warehouse": pairs[0][1], "items": tuple(item_code for item_code, _ in pairs)},
		)
		return {(item_code, warehouse): flt(qty) for item_code, warehouse, qty in rows}
	bin_ = frappe.qb.DocType("Bin")
	actual = {}
	for item_code, warehouse in pairs:
		rows = (
			frappe.qb.from_(bin_)
			.select(bin_.actual_qty)
			.where((bin_.item_code == item_code) & (bin_.warehouse == warehouse))
			.for_update()
		).run()
		if rows:
			actual[(item_code, warehouse)] = flt(rows[0][0])
	return actual


def available_to_reserve(item_code: str, warehouse: str) -> float:
	"""Actual quantity less open reservations, read with locking reads (always the latest rows)."""
	bin_ = frappe.qb.DocType("Bin")
	actual = (
		frappe.qb.from_(bin_)
		.select(bin_.actual_qty)
		.where((bin_.item_code == item_code) & (bin_.warehouse == warehouse))
		.for_update()
	).run()
	sre = frappe.qb.DocType("Stock Reservation Entry")
	reserved = (
		frappe.qb.from_(sre)
		.select(Sum(sre.reserved_qty - sre.delivered_qty))
		.where(
			(sre.docstatus == 1)
			& (sre.item_code == item_code)
			& (sre.warehouse == warehouse)
			& (sre.status.notin(["Delivered", "Cancelled"]))
		)
		.for_update()
	).run()
	return flt(actual[0][0] if actual else 0) - flt(reserved[0][0] if reserved else 0)


def open_reserved_qty(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], float]:
	"""Open reservations per (item, warehouse), for all pairs in one locking read (as available_to_reserve
	reads them one pair at a time)."""
	if not pairs:
		return {}
	sre = frappe.qb.DocType("Stock Reservation Entry")
	rows = (
		frappe.qb.from_(sre)
		.select(sre.item_code, sre.warehouse, Sum(sre.reserved_qty - sre.delivered_qty))
		.where(
			(sre.docstatus == 1)
			& Tuple(sre.item_code, sre.warehouse).isin([Tuple(*pair) for pair in sorted(set(pairs))])
			& (sre.status.notin(["Delivered", "Cancelled"]))
		)
		.groupby(sre.item_code, sre.warehouse)
		.for_update()
	).run()
	return {(item_code, warehouse): flt(qty) for item_code, warehouse, qty in rows}


def lock_stock_of_order(order) -> None:
	"""Taken before anything else is locked on the way to a Sales Order (its naming series, the
	Bins ERPNext updates on submit), so orders for the same stock queue instead of deadlocking.

	The Bins' actual quantities read under the lock are kept on the order (`flags.locked_bins`):
	the hand-off passes them to the reservation of its Sales Order (`create_sales_order`), which
	then does not lock and read the same Bins again. Nothing between the two changes a Bin's actual
	quantity (a Sales Order's submit changes reserved and projected quantities only), and the locks
	last until the transaction ends."""
	if reservation_enabled():
		order.flags.locked_bins = lock_bins(
			[(line.item_code, line.warehouse) for line in order.items if line.warehouse]
		)


def reserve_for_sales_order(sales_order) -> dict[str, float]:
	"""Reserve what is available for each stock line; returns reserved stock qty per SO line."""
	if not reservation_enabled():
		return {}
	# Reservation is the app's own follow-up of an approval: ERPNext's reservation code checks the
	# acting user's Item and stock permissions, which a reviewer need not have.
	with acting_as("Administrator"):
		return _reserve(sales_order)


def stock_item_codes(item_codes: list[str]) -> set[str]:
	return set(
		frappe.get_all(
			"Item", filters={"name": ("in", list(set(item_codes))), "is_stock_item": 1}, pluck="name"
		)
	)


def stock_items_of(sales_order) -> set[str]:
	"""The stock items among a Sales Order's lines, read once per Sales Order object: its reservation and
	the shortage follow-up of the same hand-off (fulfilment/shortage.py) ask for them."""
	codes = tuple(sorted({row.item_code for row in sales_order.items}))
	cached = sales_order.flags.get("stock_items")
	if cached is None or cached[0] != codes:
		cached = (codes, stock_item_codes(list(codes)))
		sales_order.flags.stock_items = cached
	return cached[1]


def pending_stock_qty(row) -> float:
	"""Stock quantity of a Sales Order line still to deliver."""
	return flt(row.stock_qty) - flt(row.delivered_qty) * (flt(row.conversion_factor) or 1)


def _reserve(sales_order) -> dict[str, float]:
	"""Tops each line's reservation up to what it still has to deliver, as far as stock allows. Lines
	once picked are left out: ERPNext reserves them only from their Pick List ("has been picked,
	please reserve stock from the Pick List"); the rest of such a line ships from free stock
	(`fulfilment.picking.deliver_order`)."""
	stock_items = stock_items_of(sales_order)
	lines = [
		row
		for row in sales_order.items
		if row.item_code in stock_items
		and row.warehouse
		and flt(row.picked_qty) <= 0
		and not frappe.get_cached_value("Warehouse", row.warehouse, "is_group")
	]
	if not lines:
		return {}
	allow_partial = cint(frappe.db.get_single_value("Stock Settings", "allow_partial_reservation"))
	pairs = [(row.item_code, row.warehouse) for row in lines]
	# Bins the hand-off locked already in this transaction (lock_stock_of_order), used once.
	locked = sales_order.flags.pop("locked_bins", None) or {}
	actual = {pair: locked[pair] for pair in pairs if pair in locked}
	if len(actual) < len(set(pairs)):
		actual = lock_bins(pairs)
	reserved = reserved_qty_by_line(sales_order.name)
	# Actual less open reservations per pair, as available_to_reserve reads it, in two batched reads:
	# the Bins' actual quantity from their locking reads above, the open reservations in one query.
	open_reserved = open_reserved_qty([(row.item_code, row.warehouse) for row in lines])
	remaining: dict[tuple[str, str], float] = {}
	details, flag_reserved = [], []
	for row in lines:
		key = (row.item_code, row.warehouse)
		if key not in remaining:
			remaining[key] = flt(actual.get(key)) - flt(open_reserved.get(key))
		unreserved = pending_stock_qty(row) - flt(reserved.get(row.name))
		available = max(remaining[key], 0)
		qty = min(unreserved, available)
		if qty <= 1e-9 or (qty < unreserved - 1e-9 and not allow_partial):
			continue  # as ERPNext: a partial reservation only where Stock Settings allow it
		remaining[key] -= qty
		reserved[row.name] = flt(reserved.get(row.name)) + qty
		if not row.reserve_stock:
			flag_reserved.append(row)
		details.append(
			{
				"sales_order_item": row.name,
				"item_code": row.item_code,
				"warehouse": row.warehouse,
				"qty_to_reserve": qty,
				"available_qty": available,
			}
		)
	if flag_reserved:  # the lines' "Reserve Stock", one statement for all of them
		item = frappe.qb.DocType("Sales Order Item")
		frappe.qb.update(item).set(item.reserve_stock, 1).where(
			item.name.isin([row.name for row in flag_reserved])
		).run()
		for row in flag_reserved:
			row.reserve_stock = 1
	if details:
		create_reservations(sales_order, details)
		refresh_bins_after_commit([(row.item_code, row.warehouse) for row in lines])
	return reserved


def create_reservations(sales_order, details: list[dict]) -> None:
	"""ERPNext's Stock Reservation Entry for each line, filled as ERPNext's
	`create_stock_reservation_entries_for_so_items` fills it, and inserted submitted: one save through
	ERPNext's controller (its check of the quantity allowed, the Sales Order line's and the Bin's reserved
	quantities, serial and batch numbers), where ERPNext saves and then submits each, after reading the
	line and the available quantity again — which `_reserve` has just read under the Bin locks, leaving
	out what ERPNext leaves out (non-stock items, group warehouses, picked lines, partial reservations
	where Stock Settings do not allow them)."""
	rows = {row.name: row for row in sales_order.items}
	for detail in details:
		row = rows[detail["sales_order_item"]]
		has_serial_no, has_batch_no = frappe.get_cached_value(
			"Item", row.item_code, ["has_serial_no", "has_batch_no"]
		)
		sre = frappe.new_doc("Stock Reservation Entry")
		sre.update(
			{
				"item_code": row.item_code,
				"warehouse": row.warehouse,
				"has_serial_no": has_serial_no,
				"has_batch_no": has_batch_no,
				"voucher_type": sales_order.doctype,
				"voucher_no": sales_order.name,
				"voucher_detail_no": row.name,
				"available_qty": detail["available_qty"],
				"voucher_qty": row.stock_qty,
				"reserved_qty": detail["qty_to_reserve"],
				"company": sales_order.company,
				"stock_uom": row.stock_uom,
				"project": sales_order.project,
			}
		)
		sre.docstatus = 1
		sre.insert()


# the Bins committed and not yet recomputed, waiting in Redis for one job
BINS_WAITING = WaitingSet(
	"order_mgmt:bins_to_refresh", "order_mgmt.erpnext_bridge.stock_reservation.refresh_waiting_bins"
)
PAIR_SEPARATOR = "\x1f"


def refresh_bins_after_commit(pairs: list[tuple[str, str]]) -> None:
	"""ERPNext recomputes a Bin's reserved quantities from the submitting transaction's snapshot,
	which concurrent submits can leave stale. Once this transaction commits, its Bins wait for a
	background job that recomputes them with ERPNext's own functions from fresh data: one job for all
	the Bins committed until it starts (an import of 2,000 orders of the same items recomputes each Bin
	a few times, not 2,000 times); a Bin committed while it runs waits for the next."""
	pairs = sorted(set(pairs))
	if pairs:
		frappe.db.after_commit.add(lambda: queue_bins_for_refresh(pairs))


def queue_bins_for_refresh(pairs: list[tuple[str, str]]) -> None:
	BINS_WAITING.add([PAIR_SEPARATOR.join(pair) for pair in pairs], "Bin refresh not queued")


def refresh_waiting_bins() -> None:
	"""The background job (and an hourly safety net)."""
	refresh_bins([tuple(member.split(PAIR_SEPARATOR, 1)) for member in BINS_WAITING.take()])


def refresh_bins(pairs: list[tuple[str, str]] | list[list[str]]) -> None:
	from erpnext.stock.stock_balance import get_reserved_qty, update_bin_qty

	for item_code, warehouse in pairs:
		update_bin_qty(item_code, warehouse, {"reserved_qty": get_reserved_qty(item_code, warehouse)})
		bin_name = frappe.db.get_value("Bin", {"item_code": item_code, "warehouse": warehouse})
		if bin_name:
			frappe.get_doc("Bin", bin_name).update_reserved_stock()
	# No commit here: the RQ worker (frappe's execute_job) commits when the job returns.


def reserved_qty_by_line(sales_order: str, unpicked_only: bool = False) -> dict[str, float]:
	"""Stock reserved and not yet delivered per Sales Order line; `unpicked_only`: leave out what is
	reserved for Pick Lists already made (ERPNext moves a picked line's reservation to its Pick List)."""
	return reserved_qty_by_lines([sales_order], unpicked_only)


def reserved_qty_by_lines(sales_orders: list[str], unpicked_only: bool = False) -> dict[str, float]:
	if not sales_orders:
		return {}
	sre = frappe.qb.DocType("Stock Reservation Entry")
	query = (
		frappe.qb.from_(sre)
		.select(sre.voucher_detail_no, Sum(sre.reserved_qty - sre.delivered_qty))
		.where(
			(sre.voucher_type == "Sales Order") & (sre.voucher_no.isin(sales_orders)) & (sre.docstatus == 1)
		)
		.groupby(sre.voucher_detail_no)
	)
	if unpicked_only:
		query = query.where(sre.from_voucher_type.isnull() | (sre.from_voucher_type != "Pick List"))
	return {name: flt(qty) for name, qty in query.run()}


def release_unpicked_reservations(sales_orders: list[str]) -> None:
	"""Cancel the Sales Orders' own reservations (not those ERPNext holds for their Pick Lists)."""
	if not sales_orders:
		return
	sre = frappe.qb.DocType("Stock Reservation Entry")
	names = (
		frappe.qb.from_(sre)
		.select(sre.name)
		.where(
			(sre.voucher_type == "Sales Order")
			& (sre.voucher_no.isin(sales_orders))
			& (sre.docstatus == 1)
			& (sre.status.notin(["Delivered", "Cancelled"]))
			& (sre.from_voucher_type.isnull() | (sre.from_voucher_type != "Pick List"))
		)
		.orderby(sre.name)
	).run(pluck=True)
	if names:
		cancel_stock_reservation_entries(sre_list=names, notify=False)


def sales_orders_with(sales_orders: list[str], condition) -> dict[str, str]:
	"""Sales Order -> a Stock Reservation Entry's from_voucher_no, for SREs matching `condition`."""
	if not sales_orders:
		return {}
	sre = frappe.qb.DocType("Stock Reservation Entry")
	rows = (
		frappe.qb.from_(sre)
		.select(sre.voucher_no, sre.from_voucher_no)
		.where(
			(sre.voucher_type == "Sales Order")
			& (sre.voucher_no.isin(sales_orders))
			& (sre.docstatus == 1)
			& condition(sre)
		)
	).run()
	return {voucher_no: from_voucher_no for voucher_no, from_voucher_no in rows}


def open_pick_lists(sales_orders: list[str]) -> dict[str, str]:
	"""Sales Orders with stock reserved for a Pick List not yet delivered -> that Pick List (ERPNext
	then refuses to change the order's lines or to pick it again)."""
	return sales_orders_with(
		sales_orders,
		lambda sre: (sre.from_voucher_type == "Pick List") & (sre.status.notin(["Delivered", "Cancelled"])),
	)


def with_delivered_reservations(sales_orders: list[str]) -> set[str]:
	"""Sales Orders from whose reserved stock something was delivered: ERPNext refuses Pick Lists for
	them (the reserved quantity its check reads counts delivered reservations too)."""
	return set(sales_orders_with(sales_orders, lambda sre: sre.delivered_qty > 0))


def open_pick_list(sales_order: str) -> str | None:
	return open_pick_lists([sales_order]).get(sales_order)
