"""Validation of a Return Request (the Frappe side of returns/eligibility.py).

The server is the truth: delivered and already-returned quantities, rates and amounts are read
from the Delivery Notes on every save, whatever the client sent. Every failure names the row and
field and raises before anything is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import frappe
from frappe import _
from frappe.query_builder import DocType
from frappe.utils import cint, flt, getdate, nowdate

from order_mgmt.returns import eligibility
from order_mgmt.returns.eligibility import DeliveredLine, Policy, Problem, ReasonRule, RequestLine
from order_mgmt.returns.permissions import validate_order_access
from order_mgmt.settings import get_settings

if TYPE_CHECKING:
	from order_mgmt.order_mgmt.doctype.return_request.return_request import ReturnRequest


class ReturnNotAllowedError(frappe.ValidationError):
	"""The request asks for a return the rules do not allow."""


def row_label(row: int) -> str:
	return _("Row {0}").format(row)


def number(value) -> str:
	"""A quantity as people write it: 3, 2.5."""
	return f"{flt(value, 6):g}"


# --- the request ------------------------------------------------------------------------------


def validate_customer_order(request: ReturnRequest) -> frappe._dict:
	"""The order exists, is submitted and belongs to the request's customer."""
	if not request.customer:
		frappe.throw(_("Customer is required"), ReturnNotAllowedError, title=_("Missing Customer"))
	if not request.customer_order:
		frappe.throw(_("Customer Order is required"), ReturnNotAllowedError)
	order = frappe.db.get_value(
		"Customer Order",
		request.customer_order,
		["name", "customer", "docstatus", "company", "currency", "sales_order"],
		as_dict=True,
	)
	if not order:
		frappe.throw(
			_("Customer Order {0} does not exist").format(frappe.bold(request.customer_order)),
			ReturnNotAllowedError,
		)
	validate_order_access(request)  # before anything of the order is told
	if order.customer != request.customer:
		frappe.throw(
			_("Customer Order {0} belongs to customer {1}, not to {2}").format(
				frappe.bold(order.name), frappe.bold(order.customer), frappe.bold(request.customer)
			),
			ReturnNotAllowedError,
			title=_("Wrong Customer"),
		)
	if order.docstatus != 1:
		frappe.throw(
			_("Customer Order {0} is not submitted: only delivered orders can be returned").format(
				frappe.bold(order.name)
			),
			ReturnNotAllowedError,
		)
	return order


def validate_delivered(request: ReturnRequest, delivered: dict[str, DeliveredLine]) -> None:
	if not delivered:
		frappe.throw(
			_("Nothing of Customer Order {0} has been delivered yet, so nothing can be returned").format(
				frappe.bold(request.customer_order)
			),
			ReturnNotAllowedError,
			title=_("Not Delivered"),
		)
	if request.delivery_note and request.delivery_note not in {d.delivery_note for d in delivered.values()}:
		frappe.throw(
			_("Delivery Note {0} is not a submitted delivery of Customer Order {1}").format(
				frappe.bold(request.delivery_note), frappe.bold(request.customer_order)
			),
			ReturnNotAllowedError,
		)


def validate_posting_date(request: ReturnRequest) -> None:
	if request.posting_date and getdate(request.posting_date) > getdate(nowdate()):
		frappe.throw(
			_("The Request Date {0} cannot be in the future").format(request.posting_date),
			ReturnNotAllowedError,
		)


def set_order_details(request: ReturnRequest, order: frappe._dict) -> None:
	request.company = order.company
	request.currency = order.currency
	request.sales_invoice = invoice_of_order(order.sales_order)


def invoice_of_order(sales_order: str | None) -> str | None:
	"""The latest submitted (non-return) Sales Invoice billing the order's Sales Order."""
	if not sales_order:
		return None
	invoice, line = DocType("Sales Invoice"), DocType("Sales Invoice Item")
	found = (
		frappe.qb.from_(line)
		.join(invoice)
		.on(invoice.name == line.parent)
		.select(invoice.name)
		.where((line.sales_order == sales_order) & (invoice.docstatus == 1) & (invoice.is_return == 0))
		.orderby(invoice.posting_date, order=frappe.qb.desc)
		.orderby(invoice.creation, order=frappe.qb.desc)
		.limit(1)
		.run()
	)
	return found[0][0] if found else None


# --- the lines --------------------------------------------------------------------------------


def request_lines(request: ReturnRequest) -> list[RequestLine]:
	return [
		RequestLine(
			row=line.idx,
			item_code=line.item_code,
			qty=flt(line.qty),
			delivery_note=line.delivery_note,
			delivery_note_item=line.delivery_note_item,
			reason=line.reason,
			has_photo=bool(line.photo),
		)
		for line in request.items
	]


def match_lines(request: ReturnRequest, delivered: dict[str, DeliveredLine]) -> None:
	"""Rows without a Delivery Note line (API, import) get the first delivered line of their item."""
	matched = eligibility.match_delivered_lines(
		request_lines(request), delivered.values(), request.delivery_note
	)
	for line, found in zip(request.items, matched, strict=True):
		if found.delivery_note_item and not line.delivery_note_item:
			line.delivery_note = found.delivery_note
			line.delivery_note_item = found.delivery_note_item


def set_line_details(request: ReturnRequest, delivered: dict[str, DeliveredLine]) -> None:
	"""Copy from each row's Delivery Note line what the row shows: quantities, UOM, rate, amount."""
	details = delivery_line_details([line.delivery_note_item for line in request.items])
	for line in request.items:
		source = delivered.get(line.delivery_note_item or "")
		if not source:
			line.delivered_qty = line.already_returned_qty = line.rate = line.amount = 0
			continue
		line.delivery_note = source.delivery_note
		line.delivered_qty = source.delivered_qty
		line.already_returned_qty = source.already_returned_qty
		line.rate = source.rate
		line.amount = eligibility.line_amount(line.qty, source.rate, line.precision("amount") or 2)
		detail = details.get(source.name) or frappe._dict()
		line.uom = detail.uom
		line.sales_order_item = detail.so_detail
		line.item_name = line.item_name or detail.item_name


def delivery_line_details(names: list[str]) -> dict[str, frappe._dict]:
	names = [name for name in names if name]
	if not names:
		return {}
	rows = frappe.get_all(
		"Delivery Note Item",
		filters={"name": ("in", names)},
		fields=["name", "uom", "so_detail", "item_name"],
	)
	return {row.name: row for row in rows}


def validate_lines(request: ReturnRequest, delivered: dict[str, DeliveredLine]) -> None:
	"""Every line against the rules; all problems at once, each naming its row and field."""
	lines = request_lines(request)
	item_codes = list({line.item_code for line in lines if line.item_code})
	reason_names = list({line.reason for line in lines if line.reason})
	problems = eligibility.check_lines(
		lines,
		delivered,
		returnable_items(item_codes),
		reason_rules(reason_names),
		Policy(
			requested_on=getdate(request.posting_date or nowdate()),
			window_days=cint(get_settings().return_window_days),
			delivery_note=request.delivery_note,
		),
	)
	if problems:
		frappe.throw(
			"<br>".join(message_of(problem, request) for problem in problems),
			ReturnNotAllowedError,
			title=_("Return Not Allowed"),
		)


def returnable_items(item_codes: list[str]) -> dict[str, bool]:
	if not item_codes:
		return {}
	if not frappe.get_meta("Item").has_field("is_returnable"):
		return {}  # the custom field is not installed yet: every item is returnable
	rows = frappe.get_all(
		"Item", filters={"name": ("in", item_codes)}, fields=["name", "is_returnable"], as_list=True
	)
	return {name: bool(cint(flag)) for name, flag in rows}


def reason_rules(reason_names: list[str]) -> dict[str, ReasonRule]:
	if not reason_names:
		return {}
	rows = frappe.get_all(
		"Return Reason",
		filters={"name": ("in", reason_names)},
		fields=["name", "enabled", "requires_photo"],
	)
	return {
		row.name: ReasonRule(enabled=bool(row.enabled), requires_photo=bool(row.requires_photo))
		for row in rows
	}


def message_of(problem: Problem, request: ReturnRequest) -> str:
	"""The translated message of an eligibility problem, starting with its row."""
	args = problem.args
	if problem.code == eligibility.NO_LINES:
		return _("Add at least one line to return")
	row = row_label(problem.row)
	if problem.code == eligibility.QTY_NOT_POSITIVE:
		return _("{0}: Qty to Return must be greater than zero, not {1}").format(row, number(args[0]))
	if problem.code == eligibility.NOT_DELIVERED:
		return _("{0}: Item {1} is not on a submitted Delivery Note of Customer Order {2}").format(
			row, frappe.bold(args[0] or ""), frappe.bold(request.customer_order)
		)
	if problem.code == eligibility.OTHER_DELIVERY_NOTE:
		return _(
			"{0}: the line is on Delivery Note {1}, but this request returns only Delivery Note {2}"
		).format(row, frappe.bold(args[0]), frappe.bold(args[1]))
	if problem.code == eligibility.ITEM_MISMATCH:
		return _("{0}: Item {1} is not the item delivered on this line of Delivery Note {2} ({3})").format(
			row, frappe.bold(args[0]), args[1], frappe.bold(args[2])
		)
	if problem.code == eligibility.BEFORE_DELIVERY:
		return _("{0}: the Request Date is before Delivery Note {1} of {2}").format(
			row, frappe.bold(args[0]), frappe.format_value(args[1], {"fieldtype": "Date"})
		)
	if problem.code == eligibility.OUTSIDE_WINDOW:
		return _(
			"{0}: Delivery Note {1} of {2} was delivered {3} days ago, outside the return window of {4} days"
		).format(
			row, frappe.bold(args[0]), frappe.format_value(args[1], {"fieldtype": "Date"}), args[2], args[3]
		)
	if problem.code == eligibility.QTY_EXCEEDS:
		return _(
			"{0}: Qty to Return {1} is more than the {2} that can still be returned (delivered {3}, already returned or requested {4})"
		).format(row, number(args[0]), number(args[1]), number(args[2]), number(args[3]))
	if problem.code == eligibility.NOT_RETURNABLE:
		return _("{0}: Item {1} is not returnable").format(row, frappe.bold(args[0]))
	if problem.code == eligibility.REASON_MISSING:
		return _("{0}: Reason is required").format(row)
	if problem.code == eligibility.REASON_DISABLED:
		return _("{0}: Return Reason {1} is not enabled").format(row, frappe.bold(args[0]))
	if problem.code == eligibility.PHOTO_REQUIRED:
		return _("{0}: attach a Photo: the reason {1} requires one").format(row, frappe.bold(_(args[0])))
	return f"{row}: {problem.code}"  # a code without a message yet


def set_totals(request: ReturnRequest) -> None:
	request.total_qty = sum(flt(line.qty) for line in request.items)
	request.total_amount = flt(
		sum(flt(line.amount) for line in request.items), request.precision("total_amount")
	)


def lock_order(request: ReturnRequest) -> None:
	"""Serialise submissions of return requests of one order, so that two requests submitted at
	once cannot both claim the same delivered quantity."""
	order = DocType("Customer Order")
	frappe.qb.from_(order).select(order.name).where(order.name == request.customer_order).for_update().run()
