"""Changing an approved order's Sales Order with ERPNext's own Update Items (`update_child_qty_rate`).

The only place the app changes the lines of a submitted Sales Order for a change request. The order of
the steps is the one `erpnext_bridge/stock_reservation.py` keeps for new orders:

1. the Sales Order row is locked (`for_update`), so a change and anything else that changes the order
   (another change, a shortage decision) queue; an open Pick List refuses the change, since Update
   Items drops every reservation of the Sales Order, those held for the Pick List too;
2. the Bins of every item and warehouse the Sales Order has or gets are locked in a fixed order (the
   reservation's own locks: concurrent orders cannot over-reserve the same stock meanwhile);
3. the Sales Order's own reservations are released (so Update Items does not re-reserve by itself,
   with a read of available stock that older v15 releases take without a lock) and Update Items
   changes the lines: ERPNext checks what it always checks (quantity below delivered, billed amount
   above the new amount, credit limit, selling price) and refuses with its own message;
4. the reservation is topped up again under the locks still held, and what cannot be reserved gets its
   Material Request as for a new order (`fulfilment/shortage.py`); a line that already has one gets
   another for the part of its shortage no open request covers yet. A line lowered or removed has its
   open request (raised by the app, nothing ordered from it yet) cancelled and raised again for what
   is still short (`shortage.shrink_material_requests`; a removed line's before Update Items, which
   refuses to delete a line a request orders for): ERPNext cannot change a submitted request.

New lines go to the warehouse given for each (Update Items puts a new line in the Sales Order's default
warehouse, so new lines of different warehouses are added by one Update Items per warehouse). New
payment terms: the Sales Order's template is set and its schedule emptied just before Update Items,
which rebuilds the schedule from the template for the new total (ERPNext's `set_payment_schedule`).

Everything runs in the caller's transaction; the caller wraps it in a savepoint so that a refusal at
any step leaves nothing half-applied.
"""

from __future__ import annotations

import json

import frappe
from erpnext.controllers.accounts_controller import update_child_qty_rate
from frappe import _
from frappe.utils import flt

from order_mgmt.accounting.credit import finance_approval_covers_update_items
from order_mgmt.erpnext_bridge.stock_reservation import (
	lock_bins,
	release_unpicked_reservations,
	reservation_enabled,
	reserve_for_sales_order,
)
from order_mgmt.utils import acting_as


class SalesOrderUpdateError(frappe.ValidationError):
	pass


class PickListOpenError(SalesOrderUpdateError):
	"""The Sales Order waits on a Pick List: it is changed after that Pick List is delivered or cancelled."""


def update_sales_order(
	sales_order: str,
	lines: list[dict],
	order_name: str,
	credit_approver: str | None = None,
	delivery_date: str | None = None,
	shipping_address_name: str | None = None,
	payment_terms_template: str | None = None,
):
	"""Apply the lines as they should be to the Sales Order; returns (Sales Order, reserved stock qty per line).

	`lines`: every line the Sales Order keeps or gets, as Update Items takes them (`docname` for a kept
	line; a line not listed is removed; a new line with its `warehouse`). `credit_approver`: the finance
	reviewer whose approval lets this change past ERPNext's credit-limit check. `payment_terms_template`:
	new terms, the schedule rebuilt by ERPNext."""
	so = frappe.get_doc("Sales Order", sales_order, for_update=True)
	if so.docstatus != 1 or so.status in ("Closed", "Completed", "On Hold"):
		frappe.throw(
			_("Sales Order {0} is {1}: it cannot be changed").format(so.name, _(so.status)),
			SalesOrderUpdateError,
		)
	refuse_open_pick_list(so.name)
	pairs = [(row.item_code, row.warehouse) for row in so.items if row.warehouse]
	pairs += [(line["item_code"], line.get("warehouse")) for line in lines if not line.get("docname")]
	if reservation_enabled():
		lock_bins([pair for pair in pairs if pair[1]])

	if reservation_enabled():
		from order_mgmt.fulfilment.shortage import cancel_requests_of_removed_lines

		kept = {line.get("docname") for line in lines}
		cancel_requests_of_removed_lines(so.name, [row.name for row in so.items if row.name not in kept])
	with acting_as("Administrator"):  # the approval (or the minor tier) was checked before this
		release_unpicked_reservations([so.name])
		if payment_terms_template and payment_terms_template != so.payment_terms_template:
			# Update Items rebuilds an empty schedule from the template (set_payment_schedule).
			frappe.db.set_value(
				"Sales Order",
				so.name,
				"payment_terms_template",
				payment_terms_template,
				update_modified=False,
			)
			frappe.db.delete("Payment Schedule", {"parenttype": "Sales Order", "parent": so.name})
		with finance_approval_covers_update_items(so.name, order_name, credit_approver):
			_update_items(so, lines)
		_update_header(so.name, delivery_date, shipping_address_name)
		updated = frappe.get_doc("Sales Order", so.name)
	reserved = reserve_for_sales_order(updated)
	if reservation_enabled():
		from order_mgmt.fulfilment.shortage import raise_material_request, shrink_material_requests

		# Lines lowered or removed first: their open requests shrink (cancelled, raised again smaller).
		shrink_material_requests(updated, reserved, [row.name for row in so.items])
		raise_material_request(updated, reserved, top_up=True)
	return updated, reserved


def _update_items(so, lines: list[dict]) -> None:
	"""ERPNext's Update Items, once per warehouse of the new lines (it puts new lines in the Sales Order's
	default warehouse, which is set for the call and put back after)."""
	kept = [{k: v for k, v in line.items() if k != "warehouse"} for line in lines if line.get("docname")]
	groups: dict[str | None, list[dict]] = {}
	for line in lines:
		if not line.get("docname"):
			groups.setdefault(line.get("warehouse"), []).append(
				{k: v for k, v in line.items() if k != "warehouse"}
			)
	if not groups:
		update_child_qty_rate("Sales Order", json.dumps(kept, default=str), so.name)
		return
	default = so.set_warehouse
	for warehouse, added in groups.items():
		if warehouse:
			frappe.db.set_value("Sales Order", so.name, "set_warehouse", warehouse, update_modified=False)
		known = {line["docname"] for line in kept}
		update_child_qty_rate("Sales Order", json.dumps(kept + added, default=str), so.name)
		# The lines just added are kept lines of the next call.
		for row in frappe.get_doc("Sales Order", so.name).items:
			if row.name not in known:
				kept.append(line_for_update_items(row, row.qty, row.rate))
	frappe.db.set_value("Sales Order", so.name, "set_warehouse", default, update_modified=False)


def refuse_open_pick_list(sales_order: str) -> None:
	pick_list = open_pick_list_locked(sales_order)
	if pick_list:
		frappe.throw(
			_(
				"Sales Order {0} is on Pick List {1}, not yet delivered: change it after the delivery, or cancel the Pick List first"
			).format(sales_order, pick_list),
			PickListOpenError,
			title=_("Being Picked"),
		)


def open_pick_list_locked(sales_order: str) -> str | None:
	"""The Pick List holding stock of the Sales Order, if any, read with a locking read: a Pick List that
	committed while this change waited for the Sales Order's lock is seen (a plain read would see this
	transaction's older snapshot), and one being built now waits for this change (Pick Lists lock the
	Sales Order first, then its Bins, as this change does)."""
	sre = frappe.qb.DocType("Stock Reservation Entry")
	rows = (
		frappe.qb.from_(sre)
		.select(sre.from_voucher_no)
		.where(
			(sre.voucher_type == "Sales Order")
			& (sre.voucher_no == sales_order)
			& (sre.docstatus == 1)
			& (sre.from_voucher_type == "Pick List")
			& (sre.status.notin(["Delivered", "Cancelled"]))
		)
		.orderby(sre.name)
		.for_update()
	).run()
	return rows[0][0] if rows else None


def _update_header(sales_order: str, delivery_date: str | None, shipping_address_name: str | None) -> None:
	"""The Sales Order's own delivery date follows its lines' (Update Items sets the lines'); the shipping
	address, as ERPNext shows it, follows the address chosen."""
	values = {}
	if delivery_date:
		values["delivery_date"] = delivery_date
	if shipping_address_name:
		from frappe.contacts.doctype.address.address import get_address_display

		values["shipping_address_name"] = shipping_address_name
		values["shipping_address"] = get_address_display(shipping_address_name)
	if values:
		frappe.db.set_value("Sales Order", sales_order, values)


def line_for_update_items(row, qty: float, rate: float, delivery_date: str | None = None) -> dict:
	"""A kept Sales Order line as Update Items takes it."""
	return {
		"docname": row.name,
		"item_code": row.item_code,
		"qty": flt(qty),
		"rate": flt(rate),
		"uom": row.uom,
		"conversion_factor": row.conversion_factor,
		"delivery_date": str(delivery_date or row.delivery_date),
	}
