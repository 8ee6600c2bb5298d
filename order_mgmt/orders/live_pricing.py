"""Live pricing, UOM choice and review-route preview for the Customer Order form (desk).

`price_draft` prices the form's unsaved values with the save's own code: the intake checks that come
before pricing in CustomerOrder.validate, then erpnext_bridge.sales_order.price_order, on an unsaved
document built from the draft. It returns what a save of the same draft stores — per line the UOM,
conversion factor, price-list rate, discount, rate, amount and warehouse, with the stock in that
warehouse from ERPNext's Bin — and the taxes and totals. Nothing is written, and the steps of the
save that are not pricing (server-owned fields, duplicate key, review route) do not run.

Only the fields a clerk enters are read from the draft (DRAFT_HEADER_FIELDS, DRAFT_LINE_FIELDS):
price-list rates, amounts, taxes and totals sent are ignored. A line's own rate or discount is kept as
the save keeps it (orders.rules.resolve_rate_and_discount: a discount wins, else a rate sets the
discount it implies, else the price-list rate applies); the form sends both empty for a line it
priced itself, so such a line follows the price list, the UOM and the pricing rules.

A draft the save would refuse still gets an answer: a problem found before pricing comes back as
`message` without figures, one found after it (minimum rate, warehouse, whole quantities) with them.

`route_preview` tells which review stages a saved draft will need and why (review.facts.compute_route
on the draft as loaded, not saved). Credit figures and line valuation are at permlevel 1: users who
may not read that level get those reasons without the figures.

`item_uom_query` is the UOM search of the order's lines: the item's own UOM conversions only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import frappe
from frappe import _
from frappe.utils import cint, flt

from order_mgmt.erpnext_bridge.sales_order import (
	LINE_FIELDS_FROM_ERPNEXT,
	TAX_FIELDS,
	TOTAL_FIELDS,
	price_order,
)
from order_mgmt.orders import intake
from order_mgmt.review import facts
from order_mgmt.review.engine import Condition

if TYPE_CHECKING:
	from order_mgmt.order_mgmt.doctype.customer_order.customer_order import CustomerOrder

DOCTYPE = "Customer Order"

DRAFT_HEADER_FIELDS = (
	"customer",
	"company",
	"currency",
	"price_list",
	"taxes_and_charges",
	"payment_terms_template",
	"order_date",
	"delivery_date",
	"customer_po",
	"order_type",
	"channel",
	"shipping_address_name",
	"contact_person",
)
"""What price_draft reads from the form's header: what a clerk chooses, nothing computed."""

DRAFT_LINE_FIELDS = (
	"item_code",
	"qty",
	"uom",
	"rate",
	"discount_percentage",
	"warehouse",
	"delivery_date",
	"pricing_rules",
)
"""What price_draft reads from a line (the conversion factor is always the item's; pricing_rules: the
ERPNext Pricing Rules the line was last priced with, whose discount goes when they no longer apply)."""

PRICED_HEADER_FIELDS = (
	"currency",
	"conversion_rate",
	"price_list",
	"taxes_and_charges",
	"payment_terms_template",
)
PRICED_LINE_FIELDS = LINE_FIELDS_FROM_ERPNEXT  # what the save takes from ERPNext, the screen shows

CHECKS_BEFORE_PRICING = (
	intake.coerce_input,
	intake.validate_customer,
	intake.validate_company,
	intake.validate_date_window,
	intake.validate_items,
	intake.validate_dates,
	intake.validate_uoms,
)
"""CustomerOrder.validate's steps before set_prices_and_totals (validate_has_items aside: a draft
without lines is simply not priced)."""

CHECKS_AFTER_PRICING = (
	intake.validate_warehouses,
	intake.validate_whole_number_quantities,
	intake.validate_minimum_rates,
)
"""CustomerOrder.validate's checks after pricing that can refuse the save."""

FIGURE_CONDITIONS = (Condition.CREDIT_OVER_LIMIT, Condition.BELOW_COST)
"""Reasons whose figures are the permlevel-1 credit limit and exposure, or a line's valuation."""

PERMLEVEL_FIELD = "credit_limit"
"""A permlevel-1 field of Customer Order: who may read it may read the figures of every reason."""


class LivePricingPermissionError(frappe.PermissionError):
	"""The user may not enter or change Customer Orders."""


class DraftProblem(Exception):
	"""A check of the save refused the draft (its message is already translated)."""


# --- who may ask -----------------------------------------------------------------------------------


def may_enter_orders() -> bool:
	return bool(frappe.has_permission(DOCTYPE, "create") or frappe.has_permission(DOCTYPE, "write"))


def check_may_price(data: dict) -> None:
	"""A saved order: the user may change that order; a new one: the user may create orders."""
	name = data.get("name")
	stored = isinstance(name, str) and not data.get("__islocal") and frappe.db.exists(DOCTYPE, name)
	allowed = (
		frappe.has_permission(DOCTYPE, "write", doc=name)
		if stored
		else frappe.has_permission(DOCTYPE, "create")
	)
	if not allowed:
		frappe.throw(
			_("You are not permitted to create or change Customer Orders"),
			LivePricingPermissionError,
			title=_("Not Permitted"),
		)


# --- live pricing ----------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def price_draft(doc: str | dict) -> dict:
	"""The prices, taxes, totals and stock of the form's draft, as its save would store them.

	Returns {"items": [{"name", "idx", <PRICED_LINE_FIELDS>, "stock": {...}}], "taxes": [...],
	"totals": {...}, "header": {...}, "message": str | None}; lines without an item are left out."""
	data = frappe.parse_json(doc) if isinstance(doc, str) else doc
	if not isinstance(data, dict):
		frappe.throw(_("The order to price must be a set of fields"), intake.InvalidInputError)
	check_may_price(data)

	row_names, draft = draft_values(data)
	if not draft["items"] or not draft.get("customer") or not draft.get("company"):
		return {"items": [], "taxes": [], "totals": {}, "header": {}, "message": None}

	try:
		order = _checked(lambda: frappe.get_doc(draft))
		_checked(lambda: _run(order, CHECKS_BEFORE_PRICING))
		_checked(lambda: price_order(order))
	except DraftProblem as problem:
		return {"items": [], "taxes": [], "totals": {}, "header": {}, "message": str(problem)}
	message = None
	try:
		_checked(lambda: _run(order, CHECKS_AFTER_PRICING))
	except DraftProblem as problem:
		message = str(problem)
	return {**priced_result(order, row_names), "message": message}


def draft_values(data: dict) -> tuple[list[str], dict]:
	"""The Customer Order to price, built from what a clerk enters only, and the form's name of each
	of its lines (the draft's lines with an item, in their order)."""
	draft = {"doctype": DOCTYPE}
	for fieldname in DRAFT_HEADER_FIELDS:
		if data.get(fieldname) not in (None, ""):
			draft[fieldname] = data[fieldname]
	lines = data.get("items")
	rows = (
		[row for row in lines if isinstance(row, dict) and row.get("item_code")]
		if isinstance(lines, list)
		else []
	)
	draft["items"] = [
		{fieldname: row[fieldname] for fieldname in DRAFT_LINE_FIELDS if row.get(fieldname) not in (None, "")}
		for row in rows
	]
	names = [
		row.get("name") if isinstance(row.get("name"), str) else str(index) for index, row in enumerate(rows)
	]
	return names, draft


def _run(order: CustomerOrder, steps) -> None:
	for step in steps:
		step(order)


def _checked(step):
	"""Run a step of the save; a refusal becomes DraftProblem, its message taken back out of the
	response (the form shows it quietly instead of in a dialog on every keystroke)."""
	log = frappe.local.message_log
	seen = len(log)
	try:
		return step()
	except frappe.ValidationError as error:
		messages = [
			frappe.parse_json(entry).get("message") if isinstance(entry, str) else entry.get("message")
			for entry in log[seen:]
		]
		del log[seen:]
		raise DraftProblem("<br>".join(str(m) for m in messages if m) or str(error)) from error


def priced_result(order: CustomerOrder, row_names: list[str]) -> dict:
	stock = stock_by_line(order)
	return {
		"items": [
			{
				"name": name,
				"idx": line.idx,
				**{fieldname: line.get(fieldname) for fieldname in PRICED_LINE_FIELDS},
				"stock": stock[index],
			}
			for index, (name, line) in enumerate(zip(row_names, order.items, strict=True))
		],
		"taxes": [{fieldname: tax.get(fieldname) for fieldname in TAX_FIELDS} for tax in order.taxes],
		"totals": {fieldname: flt(order.get(fieldname)) for fieldname in TOTAL_FIELDS},
		"header": {fieldname: order.get(fieldname) for fieldname in PRICED_HEADER_FIELDS},
	}


def stock_by_line(order: CustomerOrder) -> list[dict]:
	"""Per line, the stock of its item in its warehouse (ERPNext's Bin), read in one query for all lines.

	`short`: the lines so far drawing on the same Bin ask for more than its projected quantity (as the
	review's stock rule measures it); items not kept in stock have no figures."""
	item, bin_ = frappe.qb.DocType("Item"), frappe.qb.DocType("Bin")
	item_codes = list({line.item_code for line in order.items})
	warehouses = list({line.warehouse for line in order.items if line.warehouse}) or [""]
	rows = (
		frappe.qb.from_(item)
		.left_join(bin_)
		.on((bin_.item_code == item.name) & bin_.warehouse.isin(warehouses))
		.select(
			item.name.as_("item_code"),
			item.is_stock_item,
			bin_.warehouse,
			bin_.actual_qty,
			bin_.reserved_stock,
			bin_.projected_qty,
		)
		.where(item.name.isin(item_codes))
	).run(as_dict=True)
	stocked = {row.item_code for row in rows if cint(row.is_stock_item)}
	bins = {(row.item_code, row.warehouse): row for row in rows if row.warehouse}

	demanded: dict[tuple[str, str], float] = {}
	result = []
	for line in order.items:
		if line.item_code not in stocked:
			result.append({"is_stock_item": 0})
			continue
		key = (line.item_code, line.warehouse)
		stock = bins.get(key) or frappe._dict()
		demanded[key] = demanded.get(key, 0.0) + flt(line.stock_qty)
		result.append(
			{
				"is_stock_item": 1,
				"warehouse": line.warehouse,
				"actual_qty": flt(stock.actual_qty),
				"available_qty": flt(stock.actual_qty) - flt(stock.reserved_stock),
				"projected_qty": flt(stock.projected_qty),
				"short": demanded[key] > flt(stock.projected_qty),
			}
		)
	_add_promises(order, result)
	return result


def _add_promises(order: CustomerOrder, result: list[dict]) -> None:
	"""The ship date each stock line can be promised ('ships 3 Dec; 20 now, 30 on 12 Dec') and what
	it rests on, from the same ledger the approval commits against (fulfilment/promising.py)."""
	from order_mgmt.fulfilment.promising import promise_rows

	rows = [
		{
			"idx": index,
			"item_code": line.item_code,
			"warehouse": line.warehouse,
			"stock_qty": line.stock_qty,
			"delivery_date": line.delivery_date or order.delivery_date,
		}
		for index, line in enumerate(order.items)
		if result[index].get("is_stock_item") and line.warehouse
	]
	if not rows:
		return
	exclude = None if order.is_new() else order.name
	for promised in promise_rows(order.company, rows, exclude_order=exclude):
		if promised.get("promise"):
			result[promised["idx"]].update(
				promise=promised["promise"],
				promise_explanation=promised["explanation"],
				meets_request=promised["meets_request"],
			)


# --- UOMs of a line --------------------------------------------------------------------------------


@frappe.whitelist()
@frappe.validate_and_sanitize_search_inputs
def item_uom_query(doctype, txt, searchfield, start, page_len, filters):
	"""The enabled UOMs the item has a conversion for (with the factor), whatever Stock Settings say:
	the save refuses any other (intake.validate_uoms)."""
	if not may_enter_orders():
		frappe.throw(
			_("You are not permitted to create or change Customer Orders"),
			LivePricingPermissionError,
			title=_("Not Permitted"),
		)
	item_code = (filters or {}).get("item_code") if isinstance(filters, dict) else None
	if not item_code or not isinstance(item_code, str):
		return []
	detail, uom = frappe.qb.DocType("UOM Conversion Detail"), frappe.qb.DocType("UOM")
	query = (
		frappe.qb.from_(detail)
		.join(uom)
		.on(uom.name == detail.uom)
		.select(detail.uom, detail.conversion_factor)
		.where((detail.parenttype == "Item") & (detail.parent == item_code) & (uom.enabled == 1))
		.orderby(detail.idx)
		.limit(cint(page_len) or 20)
		.offset(cint(start))
	)
	if txt:
		query = query.where(detail.uom.like(f"%{txt}%"))
	return query.run()


# --- review route preview --------------------------------------------------------------------------


@frappe.whitelist()
def route_preview(name: str) -> dict:
	"""The review stages a saved draft will need and why, as its submission would decide today.

	Returns {"route": [stage, ...], "reasons": [{"stage", "line", "message"}, ...],
	"figures_hidden": bool}; an empty route means it will be approved automatically."""
	if not isinstance(name, str) or not frappe.db.exists(DOCTYPE, name):
		frappe.throw(
			_("Customer Order {0} does not exist").format(frappe.bold(str(name))), frappe.DoesNotExistError
		)
	frappe.has_permission(DOCTYPE, "read", doc=name, throw=True)
	order = frappe.get_doc(DOCTYPE, name)
	if order.docstatus != 0:
		return {"route": facts.route_of(order), "reasons": [], "figures_hidden": False, "draft": False}

	decision = facts.compute_route(order)  # on the loaded document only: nothing is saved
	sees_figures = order.has_permlevel_access_to(PERMLEVEL_FIELD, permission_type="read")
	reasons = [
		{
			"stage": reason.stage,
			"line": reason.line_idx,
			"message": _(reason.template).format(*reason.args)
			if sees_figures or reason.condition not in FIGURE_CONDITIONS
			else hidden_figures_message(reason),
		}
		for reason in decision.reasons
	]
	# compute_route's own reasons after the rules' (an amendment, automatic approval turned off)
	reasons += [
		{"stage": row.stage, "line": row.line, "message": row.message}
		for row in order.hold_reasons[len(decision.reasons) :]
	]
	return {
		"route": facts.route_of(order),
		"reasons": reasons,
		"figures_hidden": not sees_figures,
		"draft": True,
	}


def hidden_figures_message(reason) -> str:
	if reason.condition == Condition.CREDIT_OVER_LIMIT:
		return _("The customer's credit exposure is over its credit limit")
	return _("Row {0}: the rate of {1} is below its cost").format(reason.line_idx, reason.args[2])
