"""Delivery promises on the Frappe side: read the time-phased ledger from ERPNext, promise lines,
commit promises on approval, re-promise when supply moves.

The decisions are made by the pure engine in `fulfilment/promise.py`. This module reads, per item
and warehouse, in one query per kind for all lines:
- free stock now: the Bin's actual quantity less ERPNext's reserved stock (Stock Reservation
  Entries — approved orders' stock is reserved there, so it is never promised twice);
- dated supply: open Purchase Order lines (expected delivery date, else schedule date), open Work
  Orders (expected delivery date, else planned end), and open Material Requests (soft supply,
  counted when the setting says so);
- demand already promised on future supply: open Delivery Promises not resting on stock, capped
  at what the line still lacks (its shortage), so a receipt that became a reservation is not
  counted twice.

Commitments are made on approval inside the hand-off transaction, after the reservation locked
the Bins of the order's items (`stock_reservation.lock_bins`): two orders racing for the same
incoming Purchase Order queue on those locks, and the second one's ledger sees the first's
promise.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date

import frappe
from frappe import _
from frappe.query_builder.functions import Coalesce
from frappe.utils import flt, formatdate, getdate, nowdate

from order_mgmt.erpnext_bridge.stock_reservation import lock_bins, stock_item_codes
from order_mgmt.fulfilment.promise import (
	STOCK,
	Commitment,
	Ledger,
	LinePromise,
	Supply,
	WorkCalendar,
	promise_line,
	repromise,
)
from order_mgmt.settings import get_settings

OPEN_PROMISE = ("Open", "Re-promised")
Pair = tuple[str, str]


def work_calendar(company: str | None) -> WorkCalendar:
	"""The company's holiday list (ERPNext lists weekly offs as holidays too); without one every
	day is a working day, as in ERPNext."""
	settings = get_settings()
	buffer_days = int(settings.get("promise_buffer_days") or 0)
	holiday_list = company and frappe.get_cached_value("Company", company, "default_holiday_list")
	if not holiday_list:
		return WorkCalendar(weekly_off=frozenset(), buffer_days=buffer_days)
	days = frappe.get_all("Holiday", filters={"parent": holiday_list}, pluck="holiday_date")
	return WorkCalendar(
		holidays=frozenset(getdate(d) for d in days), weekly_off=frozenset(), buffer_days=buffer_days
	)


def buffer_days(pairs: list[Pair]) -> dict[Pair, int]:
	"""Working days between incoming supply's date and shipping it, per (item, warehouse): the largest of
	the setting, the warehouse's and the item group's *Promise Buffer Days* (one query each)."""
	setting = int(get_settings().get("promise_buffer_days") or 0)
	items = sorted({item for item, _ in pairs})
	warehouses = sorted({warehouse for _, warehouse in pairs})
	of_warehouse = dict(
		frappe.get_all(
			"Warehouse",
			filters={"name": ("in", warehouses or [""])},
			fields=["name", "promise_buffer_days"],
			as_list=True,
		)
	)
	group_of = dict(
		frappe.get_all(
			"Item", filters={"name": ("in", items or [""])}, fields=["name", "item_group"], as_list=True
		)
	)
	of_group = dict(
		frappe.get_all(
			"Item Group",
			filters={"name": ("in", sorted(set(group_of.values())) or [""])},
			fields=["name", "promise_buffer_days"],
			as_list=True,
		)
	)
	return {
		(item, warehouse): max(
			setting, int(of_warehouse.get(warehouse) or 0), int(of_group.get(group_of.get(item)) or 0)
		)
		for item, warehouse in pairs
	}


def calendars_for(company: str | None, pairs: list[Pair]) -> dict[Pair, WorkCalendar]:
	base = work_calendar(company)
	return {pair: replace(base, buffer_days=days) for pair, days in buffer_days(pairs).items()}


def read_ledgers(
	pairs: list[Pair], exclude_order: str | None = None, locking: bool = False
) -> dict[Pair, Ledger]:
	"""One Ledger per (item, warehouse), read with one query per kind of supply and demand.

	`locking`: read the promises with a locking read, which sees the latest committed rows: a plain
	read would see the snapshot taken before this transaction waited for the Bin locks, without the
	promise the order ahead of it just committed."""
	pairs = sorted(set(pairs))
	if not pairs:
		return {}
	items = sorted({item for item, _ in pairs})
	warehouses = sorted({warehouse for _, warehouse in pairs})
	wanted = set(pairs)
	free = _free_stock(items, warehouses)
	supplies: dict[Pair, list[Supply]] = defaultdict(list)
	for pair, supply in _purchase_orders(items, warehouses) + _work_orders(items, warehouses):
		supplies[pair].append(supply)
	use_soft = bool(get_settings().get("promise_on_material_requests"))
	if use_soft:
		for pair, supply in _material_requests(items, warehouses):
			supplies[pair].append(supply)
	commitments = _open_commitments(items, warehouses, exclude_order, locking)
	return {
		pair: Ledger(
			free_now=free.get(pair, 0.0),
			supplies=tuple(supplies.get(pair, ())),
			commitments=tuple(commitments.get(pair, ())),
			use_soft_supply=use_soft,
		)
		for pair in wanted
	}


def _free_stock(items: list[str], warehouses: list[str]) -> dict[Pair, float]:
	bin_ = frappe.qb.DocType("Bin")
	rows = (
		frappe.qb.from_(bin_)
		.select(bin_.item_code, bin_.warehouse, bin_.actual_qty, bin_.reserved_stock)
		.where(bin_.item_code.isin(items) & bin_.warehouse.isin(warehouses))
	).run(as_dict=True)
	return {(r.item_code, r.warehouse): max(flt(r.actual_qty) - flt(r.reserved_stock), 0.0) for r in rows}


def _purchase_orders(items: list[str], warehouses: list[str]) -> list[tuple[Pair, Supply]]:
	po, item = frappe.qb.DocType("Purchase Order"), frappe.qb.DocType("Purchase Order Item")
	rows = (
		frappe.qb.from_(item)
		.join(po)
		.on(po.name == item.parent)
		.select(
			item.item_code,
			item.warehouse,
			item.parent.as_("source"),
			Coalesce(item.expected_delivery_date, item.schedule_date).as_("on"),
			((item.qty - item.received_qty) * item.conversion_factor).as_("open_qty"),
		)
		.where(
			(po.docstatus == 1)
			& po.status.notin(["Closed", "Completed", "On Hold", "Delivered"])
			& item.item_code.isin(items)
			& item.warehouse.isin(warehouses)
			& (item.received_qty < item.qty)
		)
	).run(as_dict=True)
	return _as_supplies(rows, "Purchase Order")


def _work_orders(items: list[str], warehouses: list[str]) -> list[tuple[Pair, Supply]]:
	wo = frappe.qb.DocType("Work Order")
	rows = (
		frappe.qb.from_(wo)
		.select(
			wo.name.as_("source"),
			wo.production_item.as_("item_code"),
			wo.fg_warehouse.as_("warehouse"),
			Coalesce(wo.expected_delivery_date, wo.planned_end_date).as_("on"),
			(wo.qty - wo.produced_qty).as_("open_qty"),
		)
		.where(
			(wo.docstatus == 1)
			& wo.status.notin(["Completed", "Stopped", "Closed", "Cancelled"])
			& wo.production_item.isin(items)
			& wo.fg_warehouse.isin(warehouses)
		)
	).run(as_dict=True)
	return _as_supplies(rows, "Work Order")


def _material_requests(items: list[str], warehouses: list[str]) -> list[tuple[Pair, Supply]]:
	mr, item = frappe.qb.DocType("Material Request"), frappe.qb.DocType("Material Request Item")
	rows = (
		frappe.qb.from_(item)
		.join(mr)
		.on(mr.name == item.parent)
		.select(
			item.item_code,
			item.warehouse,
			item.parent.as_("source"),
			item.schedule_date.as_("on"),
			(item.stock_qty - item.ordered_qty).as_("open_qty"),
		)
		.where(
			(mr.docstatus == 1)
			& mr.material_request_type.isin(["Purchase", "Manufacture"])
			& mr.status.notin(["Stopped", "Cancelled", "Ordered", "Received", "Transferred"])
			& item.item_code.isin(items)
			& item.warehouse.isin(warehouses)
		)
	).run(as_dict=True)
	return _as_supplies(rows, "Material Request", soft=True)


def _as_supplies(rows: list, doctype: str, soft: bool = False) -> list[tuple[Pair, Supply]]:
	"""Rows of item_code, warehouse, source (the document's name), on (expected date), open_qty (stock
	UOM): the open ones as supplies."""
	return [
		((r.item_code, r.warehouse), Supply(getdate(r.on), flt(r.open_qty), doctype, r.source, soft=soft))
		for r in rows
		if r.on and flt(r.open_qty) > 0
	]


def _open_commitments(
	items: list[str], warehouses: list[str], exclude_order: str | None, locking: bool = False
) -> dict[Pair, list[Commitment]]:
	promise, line = frappe.qb.DocType("Delivery Promise"), frappe.qb.DocType("Customer Order Item")
	query = (
		frappe.qb.from_(promise)
		.join(line)
		.on(line.name == promise.order_item)
		.select(
			promise.name,
			promise.item_code,
			promise.warehouse,
			promise.promised_on,
			promise.qty,
			promise.priority,
			line.shortage_qty,
		)
		.where(
			promise.status.isin(OPEN_PROMISE)
			& (promise.from_stock == 0)
			& promise.promised_on.isnotnull()
			& promise.item_code.isin(items)
			& promise.warehouse.isin(warehouses)
		)
	)
	if exclude_order:
		query = query.where(promise.customer_order != exclude_order)
	if locking:
		query = query.for_update()
	commitments: dict[Pair, list[Commitment]] = defaultdict(list)
	for r in query.run(as_dict=True):
		qty = min(flt(r.qty), max(flt(r.shortage_qty), 0.0))
		if qty > 0:
			commitments[(r.item_code, r.warehouse)].append(
				Commitment(getdate(r.promised_on), qty, r.name, r.priority or "Normal")
			)
	return commitments


def describe(line: LinePromise) -> str:
	"""'Ships 3 Dec' / 'Ships 12 Dec: 20 on 3 Dec, 30 on 12 Dec' / '… 10 not covered by any supply'."""
	parts = [
		_("{0} on {1}").format(frappe.format(p.qty, "Float"), formatdate(p.ship_on))
		for p in line.promises
		if p.qty
	]
	if line.short_qty > 0:
		parts.append(_("{0} not covered by any known supply").format(frappe.format(line.short_qty, "Float")))
		return "; ".join(parts)
	if len(parts) <= 1:
		return _("Ships {0}").format(formatdate(line.earliest_full_date))
	return _("Ships {0}: {1}").format(formatdate(line.earliest_full_date), ", ".join(parts))


def _explain(line: LinePromise) -> list[str]:
	reasons = []
	for promise in line.promises:
		for peg in promise.pegs:
			source = (
				_("stock on hand")
				if peg.source_doctype == STOCK
				else f"{_(peg.source_doctype)} {peg.source_name}"
			)
			reasons.append(
				_("{0} from {1}, available {2}").format(
					frappe.format(peg.qty, "Float"), source, formatdate(peg.available_on)
				)
			)
	return reasons


def promise_rows(company: str | None, rows: list[dict], exclude_order: str | None = None) -> list[dict]:
	"""Promise each row ({item_code, warehouse, stock_qty, delivery_date}) against current supply."""
	stock_items = stock_item_codes([r.get("item_code") for r in rows if r.get("item_code")])
	pairs = [
		(r["item_code"], r["warehouse"])
		for r in rows
		if r.get("item_code") in stock_items and r.get("warehouse")
	]
	ledgers = read_ledgers(pairs, exclude_order)
	calendars = calendars_for(company, list(ledgers))
	today = getdate(nowdate())
	# Lines of one order for the same stock are promised one after another, each seeing the others.
	placed: dict[Pair, list[Commitment]] = defaultdict(list)
	out = []
	for idx, row in enumerate(rows):
		pair = (row.get("item_code"), row.get("warehouse"))
		if pair not in ledgers:
			out.append({"idx": row.get("idx", idx + 1), "promise": None})
			continue
		base = ledgers[pair]
		ledger = Ledger(
			base.free_now, base.supplies, base.commitments + tuple(placed[pair]), base.use_soft_supply
		)
		requested = getdate(row.get("delivery_date")) if row.get("delivery_date") else None
		line = promise_line(
			ledger, calendars[pair], today, flt(row.get("stock_qty") or row.get("qty")), requested
		)
		placed[pair].extend(Commitment(p.ship_on, p.qty, f"row-{idx}") for p in line.promises if p.qty)
		out.append(
			{
				"idx": row.get("idx", idx + 1),
				"promise": describe(line),
				"explanation": _explain(line),
				"earliest_date": line.earliest_full_date,
				"meets_request": line.meets_request,
				"short_qty": line.short_qty,
				"parts": [{"qty": p.qty, "ship_on": p.ship_on} for p in line.promises],
			}
		)
	return out


@frappe.whitelist()
def promise_order(order: str) -> list[dict]:
	"""The promise of each line of a saved order, against supply now (desk form)."""
	frappe.has_permission("Customer Order", "read", order, throw=True)
	doc = frappe.get_doc("Customer Order", order)
	rows = [
		{
			"idx": row.idx,
			"item_code": row.item_code,
			"warehouse": row.warehouse,
			"stock_qty": row.stock_qty,
			"delivery_date": row.delivery_date or doc.get("delivery_date"),
		}
		for row in doc.items
	]
	return promise_rows(doc.company, rows, exclude_order=doc.name)


def commit_promises(order, sales_order, reserved: dict[str, float]) -> None:
	"""On approval, in the hand-off transaction, after `record_shortages`: promise each line's
	shortage on incoming supply and record the date as the line's expected date. Reserved stock
	needs no promise row (the reservation is the commitment; it ships on the requested date), so
	an order that is all in stock costs no query here."""
	short_rows = [row for row in order.items if flt(row.shortage_qty) > 1e-9 and row.warehouse]
	if not short_rows:
		return
	pairs = sorted({(row.item_code, row.warehouse) for row in short_rows})
	lock_bins(pairs)  # already held from the reservation: re-taking them is a no-op
	ledgers = read_ledgers(pairs, exclude_order=order.name, locking=True)
	calendars = calendars_for(order.company, pairs)
	today = getdate(nowdate())
	placed: dict[Pair, list[Commitment]] = defaultdict(list)
	for row in short_rows:
		pair = (row.item_code, row.warehouse)
		calendar = calendars[pair]
		requested = calendar.on_or_after(
			max(getdate(row.delivery_date or order.get("delivery_date") or today), today)
		)
		base = ledgers[pair]
		# The reserved part is already out of free stock: the shortage rests on supply only.
		ledger = Ledger(0.0, base.supplies, base.commitments + tuple(placed[pair]), base.use_soft_supply)
		line = promise_line(ledger, calendar, today, flt(row.shortage_qty), requested)
		for part in line.promises:
			if not part.qty:
				continue
			last = part.pegs[-1] if part.pegs else None
			_insert_promise(
				order,
				row,
				part.qty,
				part.ship_on,
				last.source_doctype if last else None,
				last.source_name if last else None,
			)
			placed[pair].append(Commitment(part.ship_on, part.qty, row.name))
		if line.short_qty > 0:
			_insert_promise(order, row, line.short_qty, None, None, None)
		if line.earliest_full_date and str(row.expected_date or "") != str(line.earliest_full_date):
			row.db_set("expected_date", line.earliest_full_date, update_modified=False)


def _insert_promise(order, row, qty, on, source_doctype, source_name) -> None:
	from order_mgmt import server_owned

	doc = frappe.get_doc(
		{
			"doctype": "Delivery Promise",
			"customer_order": order.name,
			"customer": order.customer,
			"order_item": row.name,
			"sales_order": order.sales_order,
			"priority": order.get("priority") or "Normal",
			"item_code": row.item_code,
			"warehouse": row.warehouse,
			"qty": qty,
			"promised_on": on,
			"original_promised_on": on,
			"source_doctype": None if source_doctype == STOCK else source_doctype,
			"source_name": source_name,
			"from_stock": 0,
			"status": "Open",
			"reason": None if on else _("No known supply covers this quantity"),
		}
	)
	with server_owned.writing(doc):
		doc.insert(ignore_permissions=True)


def release_promises(order_name: str, status: str = "Released") -> None:
	"""An order cancelled or delivered: its open promises stop counting as demand."""
	promise = frappe.qb.DocType("Delivery Promise")
	(
		frappe.qb.update(promise)
		.set(promise.status, status)
		.where((promise.customer_order == order_name) & promise.status.isin(OPEN_PROMISE))
	).run()


def repromise_pairs(
	pairs: list[Pair] | list[list[str]],
	reason: str | None = None,
	source_doctype: str | None = None,
	source_name: str | None = None,
) -> list[dict]:
	"""Re-check the promises on future supply of these items after supply moved; give the lines
	that can no longer be met a new date, record why, and tell the order's owner and the customer,
	each in their own language."""
	pairs = sorted({(p[0], p[1]) for p in pairs})
	if not pairs:
		return []
	lock_bins(pairs)
	ledgers = read_ledgers(pairs, locking=True)
	today = getdate(nowdate())
	changes = []
	for pair in pairs:
		ledger = ledgers.get(pair)
		if not ledger or not ledger.commitments:
			continue
		company = frappe.db.get_value("Warehouse", pair[1], "company")
		for moved in repromise(ledger, calendars_for(company, [pair])[pair], today):
			changes.append(_record_repromise(moved.line, moved.new_on, reason, source_doctype, source_name))
	by_order: dict[str, list[dict]] = defaultdict(list)
	for change in changes:
		by_order[change["order"]].append(change)
	for order, moves in sorted(by_order.items()):
		_tell(order, moves)
	if changes:
		from order_mgmt.fulfilment.risk_sweep import sweep

		sweep(sorted(by_order))  # a moved promise may put the order at risk
	return changes


def _reason_text(change: dict) -> str:
	if change.get("source_doctype"):
		return _("{0} {1} changed").format(_(change["source_doctype"]), change["source_name"])
	return change.get("reason") or _("supply changed")


def _move_lines(moves: list[dict]) -> list[str]:
	return [
		_("Delivery of {0} × {1} moved from {2} to {3}: {4}").format(
			frappe.format(m["qty"], "Float"),
			m["item_code"],
			formatdate(m["old"]),
			formatdate(m["new"]) if m["new"] else _("no date yet"),
			_reason_text(m),
		)
		for m in moves
	]


def _record_repromise(
	promise_name: str,
	new_on: date | None,
	reason: str | None,
	source_doctype: str | None,
	source_name: str | None,
) -> dict:
	from order_mgmt import server_owned

	doc = frappe.get_doc("Delivery Promise", promise_name)
	change = {
		"promise": doc.name,
		"order": doc.customer_order,
		"item_code": doc.item_code,
		"qty": doc.qty,
		"old": doc.promised_on,
		"new": new_on,
		"reason": reason,
		"source_doctype": source_doctype,
		"source_name": source_name,
	}
	doc.promised_on = new_on
	doc.status = "Re-promised"
	doc.repromise_count = (doc.repromise_count or 0) + 1
	doc.repromised_by = source_doctype
	doc.reason = (
		_reason_text(change)
		if new_on
		else _("{0}; no known supply covers it now").format(_reason_text(change))
	)
	with server_owned.writing(doc):
		doc.save(ignore_permissions=True)
	if new_on:
		frappe.db.set_value(
			"Customer Order Item", doc.order_item, "expected_date", new_on, update_modified=False
		)
	return change


def _tell(order_name: str, moves: list[dict]) -> None:
	"""The order's timeline, its owner (Notification Log) and the customer (email), each told in
	their own language; the customer's email never stops the re-promise (utils.email_customer)."""
	from order_mgmt.review.notifications import in_language, user_language
	from order_mgmt.utils import customer_email, customer_language, email_customer

	order = frappe.get_doc("Customer Order", order_name)
	order.add_comment("Info", "<br>".join(frappe.utils.escape_html(line) for line in _move_lines(moves)))
	if order.owner and order.owner != "Administrator":
		with in_language(user_language(order.owner)):
			subject = "; ".join(_move_lines(moves))
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"subject": subject,
				"for_user": order.owner,
				"type": "Alert",
				"document_type": "Customer Order",
				"document_name": order.name,
			}
		).insert(ignore_permissions=True)
	email = customer_email(order.customer, order.contact_person)
	if not email:
		return
	language = customer_language(order.customer)
	with in_language(language):
		subject = _("New delivery date for your order {0}").format(order.name)
		lines = [
			_("We are sorry: the delivery of your order {0} has to move.").format(order.name),
			*_move_lines(moves),
		]
		unsent = _("Delivery date email to {0} not sent: no outgoing Email Account is set up")
	email_customer(order, email, subject, lines, unsent)


def on_supply_change(doc, method=None) -> None:
	"""doc_events of Purchase Order, Purchase Receipt, Work Order, Material Request, Stock
	Reconciliation: re-check promises on the items they touch, in the background after commit."""
	if doc.doctype == "Work Order":
		pairs = [(doc.production_item, doc.fg_warehouse)] if doc.production_item and doc.fg_warehouse else []
	else:
		pairs = [(row.item_code, row.warehouse) for row in doc.get("items") or [] if row.get("warehouse")]
	if not pairs or not _has_open_promises(pairs):
		return
	frappe.enqueue(
		"order_mgmt.fulfilment.promising.repromise_pairs",
		queue="short",
		enqueue_after_commit=True,
		pairs=sorted(set(pairs)),
		source_doctype=doc.doctype,
		source_name=doc.name,
	)


def _has_open_promises(pairs: list[Pair]) -> bool:
	promise = frappe.qb.DocType("Delivery Promise")
	items = sorted({p[0] for p in pairs})
	return bool(
		(
			frappe.qb.from_(promise)
			.select(promise.name)
			.where(
				promise.status.isin(OPEN_PROMISE) & (promise.from_stock == 0) & promise.item_code.isin(items)
			)
			.limit(1)
		).run()
	)
