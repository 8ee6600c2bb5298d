"""Shortages: order lines whose stock could not be fully reserved.

At approval, a Material Request is raised for the missing quantity (once per line, through ERPNext's
own Sales Order mapper): a transfer when another warehouse of the company has the stock free, else a
purchase; the shortage is recorded on the order line with the date stock is expected (the earliest
open Purchase Order, else Material Request, for the item and warehouse).

The customer then chooses, as the seed documents list them, and the choice is recorded on the line:

- Backorder: wait; the line is picked only once all of it is reserved (stock arriving is reserved
  when the next pick list is built, most urgent orders first);
- Ship Partially: pick and deliver what is reserved now, the rest follows;
- Substitute: the missing quantity is taken from an ERPNext Item Alternative of the item, as a new
  Sales Order line at the same price per stock unit (ERPNext's Update Items), and reserved;
- Cancel Line: the Sales Order line is reduced to what is reserved (removed when nothing is).

Without a choice, a short line is not shipped partially (the seeds: ship with missing parts only
with the customer's consent).
"""

from __future__ import annotations

import json
from contextlib import nullcontext

import frappe
from erpnext.controllers.accounts_controller import update_child_qty_rate
from erpnext.selling.doctype.sales_order.sales_order import make_material_request
from frappe import _
from frappe.query_builder.functions import Min
from frappe.utils import cint, flt, getdate, now_datetime

from order_mgmt.erpnext_bridge.stock_reservation import (
	available_to_reserve,
	lock_bins,
	open_pick_list,
	pending_stock_qty,
	release_unpicked_reservations,
	reservation_enabled,
	reserve_for_sales_order,
	reserved_qty_by_line,
	stock_item_codes,
	stock_items_of,
)
from order_mgmt.utils import acting_as

BACKORDER = "Backorder"
SHIP_PARTIALLY = "Ship Partially"
SUBSTITUTE = "Substitute"
CANCEL_LINE = "Cancel Line"
ACTIONS = (BACKORDER, SHIP_PARTIALLY, SUBSTITUTE, CANCEL_LINE)
# Decisions that changed the Sales Order cannot be taken back; waiting or shipping partially can.
FINAL_ACTIONS = (SUBSTITUTE, CANCEL_LINE)
DECIDING_ROLES = {"Order Manager", "Order Clerk", "Sales Reviewer", "System Manager"}
EPSILON = 1e-9


class ShortageError(frappe.ValidationError):
	pass


def shortages(sales_order, reserved: dict[str, float]) -> dict[str, float]:
	"""Missing stock quantity per Sales Order line (stock items only): still to deliver, not reserved."""
	stock_items = stock_items_of(sales_order)
	missing = {}
	for row in sales_order.items:
		if row.item_code not in stock_items:
			continue
		gap = pending_stock_qty(row) - flt(reserved.get(row.name))
		if gap > EPSILON:
			missing[row.name] = gap
	return missing


def raise_material_request(sales_order, reserved: dict[str, float], top_up: bool = False) -> str | None:
	"""Submit Material Requests for what could not be reserved: a transfer from another warehouse of
	the company that has the stock free, else a purchase. Lines already requested (by an earlier run,
	or by hand) are left out, so it happens once. With `top_up` (a change raised a line's quantity), a
	line already requested gets another request for the part of its shortage its open requests do not
	cover. Returns the (first) request raised."""
	missing = shortages(sales_order, reserved)
	if not missing:
		return None
	if top_up:
		open_qty = open_requested_qty(list(missing))
		missing = {line: qty - open_qty.get(line, 0.0) for line, qty in missing.items()}
		missing = {line: qty for line, qty in missing.items() if qty > EPSILON}
	else:
		requested = set(
			frappe.get_all(
				"Material Request Item",
				filters={"sales_order_item": ("in", list(missing)), "docstatus": ("<", 2)},
				pluck="sales_order_item",
			)
		)
		missing = {line: qty for line, qty in missing.items() if line not in requested}
	if not missing:
		return None
	rows = {row.name: row for row in sales_order.items}
	sources = {line: transfer_source(rows[line], qty, sales_order.company) for line, qty in missing.items()}
	raised = []
	with acting_as("Administrator"):  # the app's follow-up of an approval, like the reservation
		for request_type in ("Material Transfer", "Purchase"):
			lines = {
				line: qty
				for line, qty in missing.items()
				if bool(sources[line]) == (request_type == "Material Transfer")
			}
			if lines:
				raised.append(_submit_request(sales_order, lines, request_type, sources))
	return raised[0] if raised else None


def shrink_material_requests(sales_order, reserved: dict[str, float], lines: list[str]) -> list[str]:
	"""After a change lowered Sales Order lines (`lines`: the lines the Sales Order had before): the open
	Material Requests the app raised for them that bring more than the lines are now short are cancelled
	(`_cancel_requests`). ERPNext has no Update Items for a submitted Material Request: the caller then
	raises what is still short (`raise_material_request(..., top_up=True)`), a smaller request through
	ERPNext's own mapper. Returns the requests cancelled."""
	if not lines:
		return []
	missing = shortages(sales_order, reserved)
	excess = {
		line: qty - flt(missing.get(line))
		for line, qty in open_requested_qty(lines).items()
		if qty - flt(missing.get(line)) > EPSILON
	}
	return _cancel_requests(sales_order.name, excess)


def cancel_requests_of_removed_lines(sales_order: str, lines: list[str]) -> list[str]:
	"""Before a change removes Sales Order lines: their open Material Requests raised by the app are
	cancelled (ERPNext refuses to delete a line a request has ordered for); what the other lines of such
	a request still need is raised again after the change. Returns the requests cancelled."""
	return _cancel_requests(sales_order, open_requested_qty(lines)) if lines else []


def _cancel_requests(sales_order: str, excess: dict[str, float]) -> list[str]:
	"""Cancel the submitted Material Requests for the lines of `excess` (line: stock qty no longer
	needed) that the app raised (by the app's user, every line from this Sales Order) and nothing was
	ordered, received or transferred from yet. A request purchasing has acted on is left as it is, with a
	comment saying what it may be reduced by."""
	if not excess:
		return []
	request, row = frappe.qb.DocType("Material Request"), frappe.qb.DocType("Material Request Item")
	names = (
		frappe.qb.from_(row)
		.join(request)
		.on(request.name == row.parent)
		.select(request.name)
		.distinct()
		.where(
			row.sales_order_item.isin(list(excess))
			& (request.docstatus == 1)
			& (request.status.notin(["Stopped", "Cancelled"]))
		)
		.orderby(request.name)
	).run(pluck=True)
	cancelled = []
	with acting_as("Administrator"):  # the app's follow-up of an applied change
		for name in names:
			doc = frappe.get_doc("Material Request", name)
			untouched = all(
				flt(item.ordered_qty) <= EPSILON and flt(item.received_qty) <= EPSILON for item in doc.items
			)
			raised_here = doc.owner == "Administrator" and all(
				item.sales_order == sales_order for item in doc.items
			)
			if not (untouched and raised_here):
				reducible = ", ".join(
					f"{item.item_code} × {flt(excess[item.sales_order_item]):g}"
					for item in doc.items
					if item.sales_order_item in excess
				)
				doc.add_comment(
					"Info",
					_("Sales Order {0} was changed: this request may be reduced by {1}").format(
						sales_order, reducible
					),
				)
				continue
			doc.ignore_linked_doctypes = ("Customer Order",)  # the order's lines keep it as history
			doc.cancel()
			if doc.material_request_type == "Purchase":
				# ERPNext counts a purchase request's quantity as ordered on the Sales Order line when it
				# is submitted but not back on cancel; its own status updater recounts the submitted ones.
				doc.update_prevdoc_status()
			cancelled.append(name)
	return cancelled


def open_requested_qty(lines: list[str]) -> dict[str, float]:
	"""Stock quantity per Sales Order line that its Material Requests (drafts included, stopped and
	cancelled ones not) still have to bring: requested less received (a purchase) or transferred."""
	request, row = frappe.qb.DocType("Material Request"), frappe.qb.DocType("Material Request Item")
	rows = (
		frappe.qb.from_(row)
		.join(request)
		.on(request.name == row.parent)
		.select(
			row.sales_order_item,
			request.material_request_type,
			row.stock_qty,
			row.ordered_qty,
			row.received_qty,
		)
		.where(
			row.sales_order_item.isin(lines)
			& (request.docstatus < 2)
			& (request.status.notin(["Stopped", "Cancelled"]))
		)
	).run(as_dict=True)
	result: dict[str, float] = {}
	for found in rows:
		done = found.ordered_qty if found.material_request_type == "Material Transfer" else found.received_qty
		result[found.sales_order_item] = result.get(found.sales_order_item, 0.0) + max(
			flt(found.stock_qty) - flt(done), 0.0
		)
	return result


def transfer_source(row, qty: float, company: str) -> str | None:
	"""Another warehouse of the company holding `qty` of the item free of reservations."""
	bin_, warehouse = frappe.qb.DocType("Bin"), frappe.qb.DocType("Warehouse")
	found = (
		frappe.qb.from_(bin_)
		.join(warehouse)
		.on(warehouse.name == bin_.warehouse)
		.select(bin_.warehouse)
		.where(
			(bin_.item_code == row.item_code)
			& (bin_.warehouse != row.warehouse)
			& (warehouse.company == company)
			& (warehouse.is_group == 0)
			& (warehouse.disabled == 0)
			& (bin_.actual_qty - bin_.reserved_stock >= qty)
		)
		.orderby(bin_.actual_qty - bin_.reserved_stock, order=frappe.qb.desc)
		.limit(1)
	).run()
	return found[0][0] if found else None


def _submit_request(sales_order, lines: dict[str, float], request_type: str, sources: dict) -> str:
	request = make_material_request(sales_order.name)
	request.material_request_type = request_type
	kept = []
	for row in request.items:
		if row.sales_order_item in lines:
			row.stock_qty = lines[row.sales_order_item]
			row.qty = row.stock_qty / (flt(row.conversion_factor) or 1)
			if request_type == "Material Transfer":
				row.from_warehouse = sources[row.sales_order_item]
			kept.append(row)
	request.set("items", kept)
	request.insert()
	request.submit()
	return request.name


def expected_availability(item_code: str, warehouse: str) -> tuple[str | None, str | None]:
	"""(date, document) of the earliest open supply for the item into the warehouse: a Purchase Order
	not fully received, else a Material Request not fully ordered."""
	po, po_item = frappe.qb.DocType("Purchase Order"), frappe.qb.DocType("Purchase Order Item")
	row = (
		frappe.qb.from_(po_item)
		.join(po)
		.on(po.name == po_item.parent)
		.select(Min(po_item.schedule_date), po_item.parent)
		.where(
			(po.docstatus == 1)
			& (po.status.notin(["Closed", "Completed", "On Hold"]))
			& (po_item.item_code == item_code)
			& (po_item.warehouse == warehouse)
			& (po_item.received_qty < po_item.qty)
		)
		.groupby(po_item.parent)
		.orderby(Min(po_item.schedule_date))
		.limit(1)
	).run()
	if row:
		return str(row[0][0]), row[0][1]
	mr, mr_item = frappe.qb.DocType("Material Request"), frappe.qb.DocType("Material Request Item")
	row = (
		frappe.qb.from_(mr_item)
		.join(mr)
		.on(mr.name == mr_item.parent)
		.select(Min(mr_item.schedule_date), mr_item.parent)
		.where(
			(mr.docstatus == 1)
			& (mr.status.notin(["Stopped", "Cancelled", "Ordered", "Received", "Transferred"]))
			& (mr.material_request_type.isin(["Purchase", "Material Transfer"]))
			& (mr_item.item_code == item_code)
			& (mr_item.warehouse == warehouse)
			& (mr_item.ordered_qty < mr_item.stock_qty)
		)
		.groupby(mr_item.parent)
		.orderby(Min(mr_item.schedule_date))
		.limit(1)
	).run()
	if row:
		return str(row[0][0]), row[0][1]
	return None, None


def record_shortages(order, sales_order, reserved: dict[str, float]) -> None:
	"""Write what is short on the order's lines after a reservation (approval or top-up), with the
	Material Request raised for each line."""
	missing = shortages(sales_order, reserved)
	requests = (
		dict(
			frappe.get_all(
				"Material Request Item",
				filters={"sales_order_item": ("in", list(missing)), "docstatus": 1},
				fields=["sales_order_item", "parent"],
				as_list=True,
			)
		)
		if missing
		else {}
	)
	for line in order.items:
		gap = flt(missing.get(line.sales_order_item))
		values = {}
		if abs(flt(line.shortage_qty) - gap) > EPSILON:
			values["shortage_qty"] = gap
		if gap > EPSILON:
			request = requests.get(line.sales_order_item)
			if request and not _is_open_request(line.material_request):
				values["material_request"] = request  # none yet, or the one a change cancelled
			if not line.expected_date:
				values["expected_date"] = expected_availability(line.item_code, line.warehouse)[0]
		if values:
			line.db_set(values, update_modified=False)
	has_shortage = int(bool(missing))
	if cint(order.has_shortage) != has_shortage:  # None on an order inserted submitted: unset is 0
		order.db_set("has_shortage", has_shortage, update_modified=False)


def _is_open_request(name: str | None) -> bool:
	return bool(name) and frappe.db.get_value("Material Request", name, "docstatus") == 1


def refresh_shortages(order_name: str) -> None:
	"""Re-read reservations and record the order's shortages (after a top-up or a decision)."""
	order = frappe.get_doc("Customer Order", order_name)
	if not order.sales_order:
		return
	sales_order = frappe.get_doc("Sales Order", order.sales_order)
	record_shortages(order, sales_order, reserved_qty_by_line(sales_order.name))


def pickable_qty(line_action: str | None, pending: float, reserved: float) -> float:
	"""Stock quantity of a line that may be picked now, given the recorded shortage decision."""
	reserved = min(max(reserved, 0), pending)
	if pending - reserved <= EPSILON:
		return reserved  # nothing short
	if line_action == SHIP_PARTIALLY:
		return reserved
	return 0  # backorder, or no decision yet: the line waits


@frappe.whitelist(methods=["POST"])
def decide_shortage(
	order: str, line: str, action: str, substitute_item: str | None = None, expected_date: str | None = None
) -> dict:
	"""Record the customer's choice for a short line and carry it out in ERPNext."""
	if action not in ACTIONS:
		frappe.throw(_("Unknown shortage decision {0}").format(action), ShortageError)
	if not DECIDING_ROLES & set(frappe.get_roles()):
		frappe.throw(_("Not permitted to decide on shortages"), frappe.PermissionError)
	frappe.has_permission("Customer Order", "read", order, throw=True)

	doc = frappe.get_doc("Customer Order", order, for_update=True)
	row = next((r for r in doc.items if r.name == line), None)
	if not row:
		frappe.throw(_("Line {0} is not on Customer Order {1}").format(line, order), ShortageError)
	if doc.docstatus != 1 or not doc.sales_order:
		frappe.throw(_("Row #{0}: the order has no Sales Order yet").format(row.idx), ShortageError)
	if row.shortage_action in FINAL_ACTIONS:
		frappe.throw(
			_("Row #{0}: the shortage was already decided ({1})").format(row.idx, _(row.shortage_action)),
			ShortageError,
		)
	sales_order = frappe.get_doc("Sales Order", doc.sales_order, for_update=True)
	so_row = next((r for r in sales_order.items if r.name == row.sales_order_item), None)
	if not so_row:
		frappe.throw(_("Row #{0}: the Sales Order line no longer exists").format(row.idx), ShortageError)
	pairs = [(r.item_code, r.warehouse) for r in sales_order.items if r.warehouse]
	if action == SUBSTITUTE and substitute_item and so_row.warehouse:
		pairs.append((substitute_item, so_row.warehouse))  # where the substitute will be reserved
	lock_bins(pairs)
	reserved = reserved_qty_by_line(sales_order.name)
	gap = pending_stock_qty(so_row) - flt(reserved.get(so_row.name))
	if gap <= EPSILON:
		frappe.throw(_("Row #{0}: item {1} is not short").format(row.idx, row.item_code), ShortageError)

	values = {"shortage_action": action, "shortage_decided_by": frappe.session.user}
	if action == BACKORDER:
		values["expected_date"] = (
			getdate(expected_date)
			if expected_date
			else expected_availability(row.item_code, row.warehouse)[0]
		)
	elif action == SUBSTITUTE:
		values["substitute_item"] = _substitute(row, sales_order, so_row, gap, substitute_item)
	elif action == CANCEL_LINE:
		_cancel_line(row, sales_order, so_row, gap)
	values["shortage_decided_on"] = now_datetime()
	row.db_set(values, update_modified=False)
	if action in FINAL_ACTIONS:
		_void_material_request(row)

	doc.add_comment(
		"Info",
		_("Row #{0} ({1}): shortage of {2} decided: {3}").format(
			row.idx,
			row.item_code,
			flt(gap),
			_(action) + (f" → {values['substitute_item']}" if action == SUBSTITUTE else ""),
		),
	)
	refresh_shortages(doc.name)
	return {"action": action, "line": row.name, "sales_order": sales_order.name}


def _substitute(row, sales_order, so_row, gap: float, substitute_item: str | None) -> str:
	if not substitute_item:
		frappe.throw(_("Row #{0}: choose the substitute item").format(row.idx), ShortageError)
	if not is_alternative(row.item_code, substitute_item):
		frappe.throw(
			_("Row #{0}: {1} is not an Item Alternative of {2}").format(
				row.idx, substitute_item, row.item_code
			),
			ShortageError,
		)
	_refuse_if_picked(row, sales_order)
	warehouse = so_row.warehouse
	is_stock_item = bool(stock_item_codes([substitute_item]))
	if is_stock_item and reservation_enabled():
		free = max(available_to_reserve(substitute_item, warehouse), 0)
		if free + EPSILON < gap:
			frappe.throw(
				_("Row #{0}: substitute {1} has {2} free in warehouse {3}; {4} is needed").format(
					row.idx, substitute_item, flt(free), warehouse, flt(gap)
				),
				ShortageError,
			)
	stock_rate = flt(so_row.rate) / (flt(so_row.conversion_factor) or 1)
	substitute_uom = frappe.db.get_value("Item", substitute_item, "stock_uom")
	before = {item.name for item in sales_order.items}
	updated = _update_sales_order_lines(
		sales_order,
		so_row,
		keep_stock_qty=flt(so_row.stock_qty) - gap,
		new_line={
			"item_code": substitute_item,
			"qty": gap,
			"rate": stock_rate,
			"uom": substitute_uom,
			"conversion_factor": 1,
			"delivery_date": str(so_row.delivery_date),
		},
		warehouse=warehouse,
	)
	added = next((item for item in updated.items if item.name not in before), None)
	reserved = flt(reserved_qty_by_line(updated.name).get(added.name)) if added else 0
	if (
		not added
		or added.warehouse != warehouse
		or (is_stock_item and reservation_enabled() and reserved + EPSILON < gap)
	):
		# Nothing is kept: the whole decision is rolled back with this error.
		frappe.throw(
			_("Row #{0}: substitute {1} could not be reserved in warehouse {2}").format(
				row.idx, substitute_item, warehouse
			),
			ShortageError,
		)
	return substitute_item


def _cancel_line(row, sales_order, so_row, gap: float) -> None:
	_refuse_if_picked(row, sales_order)
	keep = flt(so_row.stock_qty) - gap
	if keep <= EPSILON and len(sales_order.items) == 1:
		frappe.throw(
			_(
				"Row #{0}: this is the order's only line and nothing of it is reserved: cancel the order instead"
			).format(row.idx),
			ShortageError,
		)
	_update_sales_order_lines(sales_order, so_row, keep_stock_qty=keep)


def _refuse_if_picked(row, sales_order) -> None:
	"""ERPNext's Update Items drops every reservation of a Sales Order, those it holds for Pick Lists
	too: lines are changed only while nothing of the order waits on a Pick List."""
	pick_list = open_pick_list(sales_order.name)
	if pick_list:
		frappe.throw(
			_("Row #{0}: the order is on Pick List {1}, not yet delivered; decide after its delivery").format(
				row.idx, pick_list
			),
			ShortageError,
		)


def _update_sales_order_lines(
	sales_order, so_row, keep_stock_qty: float, new_line: dict | None = None, warehouse: str | None = None
):
	"""Change the Sales Order with ERPNext's Update Items, then reserve again under the Bin locks;
	returns the updated Sales Order.

	The reservations are cancelled first so that Update Items does not re-reserve on its own (its
	read of available stock takes no lock on older v15 releases). Update Items puts a new line in
	the Sales Order's default warehouse (`set_warehouse`), else the item's default, and refuses when
	there is none: for the new line, `warehouse` is made the Sales Order's default for the call."""
	trans_items = []
	for item in sales_order.items:
		qty = flt(item.qty)
		if item.name == so_row.name:
			qty = keep_stock_qty / (flt(item.conversion_factor) or 1)
			if qty <= EPSILON:
				continue  # removed from the Sales Order
		trans_items.append(
			{
				"docname": item.name,
				"item_code": item.item_code,
				"qty": qty,
				"rate": item.rate,
				"uom": item.uom,
				"conversion_factor": item.conversion_factor,
				"delivery_date": str(item.delivery_date),
			}
		)
	if new_line:
		trans_items.append(new_line)
	with acting_as("Administrator"):  # the app's follow-up of a recorded decision
		release_unpicked_reservations([sales_order.name])
		default = frappe.db.get_value("Sales Order", sales_order.name, "set_warehouse")
		if new_line and warehouse:
			frappe.db.set_value(
				"Sales Order", sales_order.name, "set_warehouse", warehouse, update_modified=False
			)
		with _credit_approval_of(sales_order):  # Update Items checks credit again
			update_child_qty_rate("Sales Order", json.dumps(trans_items), sales_order.name)
		if new_line and warehouse:
			frappe.db.set_value(
				"Sales Order", sales_order.name, "set_warehouse", default, update_modified=False
			)
		updated = frappe.get_doc("Sales Order", sales_order.name)
	reserve_for_sales_order(updated)
	return updated


def _credit_approval_of(sales_order):
	"""The finance approval of the order's credit hold, if any, covers this change of its Sales Order."""
	from order_mgmt.accounting.credit import finance_approval_covers_update_items
	from order_mgmt.review.actions import credit_approver

	if not sales_order.get("customer_order"):
		return nullcontext()
	order = frappe.get_doc("Customer Order", sales_order.customer_order)
	return finance_approval_covers_update_items(sales_order.name, order.name, credit_approver(order))


def is_alternative(item_code: str, alternative: str) -> bool:
	return bool(
		frappe.db.exists("Item Alternative", {"item_code": item_code, "alternative_item_code": alternative})
		or frappe.db.exists(
			"Item Alternative", {"item_code": alternative, "alternative_item_code": item_code, "two_way": 1}
		)
	)


def _void_material_request(row) -> None:
	"""The Material Request raised for a line no longer short is cancelled when nothing was ordered
	from it and all its lines are void; otherwise purchasing is told on the request."""
	if not row.material_request:
		return
	request = frappe.get_doc("Material Request", row.material_request)
	if request.docstatus != 1:
		return
	void_lines = set(
		frappe.get_all(
			"Customer Order Item",
			filters={"parent": row.parent, "shortage_action": ("in", FINAL_ACTIONS)},
			pluck="sales_order_item",
		)
	)
	untouched = all(flt(item.ordered_qty) <= EPSILON for item in request.items)
	with acting_as("Administrator"):
		if untouched and all(item.sales_order_item in void_lines for item in request.items):
			request.ignore_linked_doctypes = ("Customer Order",)  # the order keeps the link as history
			request.cancel()
			if request.material_request_type == "Purchase":
				request.update_prevdoc_status()  # the Sales Order line's ordered qty (see _cancel_requests)
		else:
			request.add_comment(
				"Info",
				_(
					"Customer Order {0} row #{1}: the shortage of {2} was resolved by {3}; this request may be reduced"
				).format(row.parent, row.idx, row.item_code, _(row.shortage_action)),
			)


@frappe.whitelist()
def alternatives(item_code: str) -> list[str]:
	"""Item Alternatives of an item (both directions where two-way), for the decision dialog."""
	frappe.has_permission("Customer Order", "read", throw=True)
	forward = frappe.get_all(
		"Item Alternative", filters={"item_code": item_code}, pluck="alternative_item_code"
	)
	backward = frappe.get_all(
		"Item Alternative", filters={"alternative_item_code": item_code, "two_way": 1}, pluck="item_code"
	)
	return sorted(set(forward) | set(backward))
