"""Validation of a Customer Order at intake (the Frappe side of orders/rules.py and orders/coercion.py).

First the boundary (also used by Return Request): link fields and child tables of the right type when
the document is built from a client's values, every number, date and text field coerced to what its
column holds, free text made plain on every write path, the DocType's own naming series. Then the
master data (customer, company, warehouses, UOMs, a sane date window) and the business rules.
Every failure names the row and field and raises before anything is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import frappe
from frappe import _
from frappe.query_builder import DocType
from frappe.utils import add_years, cint, escape_html, flt, getdate, nowdate

from order_mgmt.orders import coercion, rules
from order_mgmt.orders.coercion import Bounds, CoercionError
from order_mgmt.settings import get_settings

if TYPE_CHECKING:
	from order_mgmt.order_mgmt.doctype.customer_order.customer_order import CustomerOrder


class OrderValidationError(frappe.ValidationError):
	"""Bad input on a Customer Order."""


class DuplicateOrderError(frappe.DuplicateEntryError):
	"""The same order was already submitted."""


class PriceChangeNotPermittedError(OrderValidationError):
	"""A user who may not change prices gave a line a rate or discount other than pricing gives."""


PRICE_ROLES = frozenset({"Sales Reviewer", "Order Manager", "Sales Manager", "System Manager"})
"""Who may give a line another rate or discount than pricing gives, when Order Management Settings'
*Only reviewers and managers change prices* is on (the seeds' role matrix: sales supervisors)."""


class InvalidInputError(frappe.ValidationError):
	"""A value of the wrong type, out of its column's range or not a real date (orders/coercion.py)."""


def throw_at(message: str, exc=OrderValidationError, title: str | None = None, *, field, row=None) -> None:
	"""frappe.throw, the error carrying the field (and row: the line's idx) it is about."""
	throw_located([(message, row, field)], exc, title)


def throw_located(problems: list[tuple[str, int | None, str | None]], exc, title: str | None = None) -> None:
	"""frappe.throw of (message, row, field) problems, one message; the error carries them as
	`error.located` ([{row, field, message}]) for the channels that answer errors as data (the REST
	intake, the import: orders/external_intake.py `errors_of`)."""
	try:
		frappe.throw("<br>".join(message for message, _row, _field in problems), exc, title=title)
	except exc as error:
		error.located = [{"row": row, "field": field, "message": message} for message, row, field in problems]
		raise


FUTURE_YEARS = 5
"""How far ahead an order or delivery date may lie."""

STANDARD_INT_FIELDS = ("docstatus", "idx")
NUMBER_FIELDTYPES = ("Float", "Currency", "Percent")
TEXT_FIELDTYPES = ("Data", "Small Text", "Text", "Long Text", "Text Editor", "Link", "Select", "Dynamic Link")
NUMBER_BOUNDS = {
	("Customer Order Item", "discount_percentage"): Bounds(minimum=0, maximum=100),
	("Customer Order Item", "rate"): Bounds(minimum=0),
	("Customer Order Item", "conversion_factor"): Bounds(minimum=0),
}
FREE_TEXT_FIELDS = {
	"Customer Order": ("customer_po", "notes", "shipping_address", "cancellation_reason"),
	"Return Request": ("notes",),
	"Return Request Item": ("notes",),
}
"""Text typed by people, stored as plain text (tags removed, "<" and ">" escaped) on every write path:
save, submit, update after submit and cancel (Frappe sanitises on save only)."""


def row_label(line) -> str:
	return _("Row {0}").format(line.idx)


# --- the boundary: types, numbers, dates, free text -------------------------------------------------


def field_label(doc, fieldname: str) -> str:
	"""The field as messages name it: "Order Date", or "Row 2: Quantity" on a child row."""
	label = _(doc.meta.get_label(fieldname))
	if doc.get("parentfield"):
		return _("Row {0}: {1}").format(doc.idx, label)
	return label


def coercion_message(label: str, error: CoercionError, value) -> str:
	got = escape_html(coercion.shown(value))
	code, args = error.code, error.args_
	if code == coercion.NOT_FINITE:
		return _("{0} must be a finite number, got {1}").format(label, got)
	if code == coercion.OUT_OF_RANGE:
		return _("{0} is out of range: it must be less than {1} in absolute value, got {2}").format(
			label, f"{args[1]:,.0f}", got
		)
	if code == coercion.BELOW_MINIMUM:
		return _("{0} cannot be less than {1}, got {2}").format(label, f"{args[0]:g}", got)
	if code == coercion.ABOVE_MAXIMUM:
		return _("{0} cannot be more than {1}, got {2}").format(label, f"{args[0]:g}", got)
	if code == coercion.NOT_A_DATE:
		return _("{0} must be a date written as YYYY-MM-DD, got {1}").format(label, got)
	if code == coercion.NOT_TEXT:
		return _("{0} must be text, got {1}").format(label, got)
	if code == coercion.NOT_A_TABLE:
		return _("{0} must be a list of rows, got {1}").format(label, got)
	if code == coercion.NOT_A_ROW:
		return _("{0}: row {1} must be a set of fields, got {2}").format(label, args[0], got)
	return _("{0} must be a number, got {1}").format(label, got)


def check_table_value(doc, key: str, value) -> None:
	"""A child table sent as text or an object (not a list of rows) is refused before Frappe tries to
	build rows of it; called from the controllers' extend()."""
	if key not in doc._table_fieldnames:
		return
	try:
		coercion.check_table(value)
	except CoercionError as error:
		shown_value = value[error.args_[0] - 1] if error.code == coercion.NOT_A_ROW else value
		throw_at(
			coercion_message(_(doc.meta.get_label(key)), error, shown_value),
			InvalidInputError,
			title=_("Invalid Value"),
			field=key,
			row=error.args_[0] if error.code == coercion.NOT_A_ROW else None,
		)


def coerce_input(doc) -> None:
	"""Every number, date and text field of the document and its rows as its column expects it, or one
	error listing each bad value with its field and row. Runs first in validate, before any rule or SQL
	sees the values."""
	problems = []
	for row in [doc, *doc.get_all_children()]:
		problems.extend(_coerce_row(row))
	if problems:
		throw_located(problems, InvalidInputError, title=_("Invalid Value"))


def _coerce_row(row) -> list[tuple[str, int | None, str]]:
	problems = []
	for df in row.meta.fields:
		fieldname = df.fieldname
		value = row.get(fieldname)
		if value is None or df.fieldtype in ("Table", "Table MultiSelect"):
			continue
		try:
			# Values already of the right type (as loaded from the database) are checked, not rewritten.
			if df.fieldtype in NUMBER_FIELDTYPES:
				number = coercion.to_number(value, NUMBER_BOUNDS.get((row.doctype, fieldname), Bounds()))
				if not isinstance(value, float | int) or isinstance(value, bool):
					row.set(fieldname, number or 0.0)
			elif df.fieldtype == "Int":
				number = coercion.to_int(value)
				if not isinstance(value, int) or isinstance(value, bool):
					row.set(fieldname, number or 0)
			elif df.fieldtype == "Date":
				parsed = coercion.to_date(value)
				if isinstance(value, str):
					row.set(fieldname, parsed.isoformat() if parsed else None)
			elif df.fieldtype == "Datetime":
				if coercion.to_datetime(value) is None:
					row.set(fieldname, None)
			elif df.fieldtype in TEXT_FIELDTYPES:
				row.set(fieldname, coercion.to_text(value))
		except CoercionError as error:
			problems.append(
				(
					coercion_message(field_label(row, fieldname), error, value),
					row.idx if row.get("parentfield") else None,
					fieldname,
				)
			)
	return problems


def sanitize_free_text(doc) -> None:
	"""Free text as plain text on every write path (see FREE_TEXT_FIELDS)."""
	for row in [doc, *doc.get_all_children()]:
		for fieldname in FREE_TEXT_FIELDS.get(row.doctype, ()):
			value = row.get(fieldname)
			if isinstance(value, str):
				row.set(fieldname, coercion.plain_text(value))


def check_constructed(doc, args: tuple, kwargs: dict) -> None:
	"""On a document built from a client's values (not loaded from the database), before Frappe's own
	steps run: remember whether it came with a company (before Frappe's defaults fill in the user's),
	refuse a docstatus or row idx that is not a whole number (Frappe casts them with int() first), and
	link fields that are not text, which Frappe's link validation would otherwise read as filters and
	resolve to whatever document matches."""
	if not (kwargs or (args and isinstance(args[0], dict))):
		return
	doc.flags.company_sent = bool(doc.get("company"))
	problems = []
	for row in [doc, *doc.get_all_children()]:
		for fieldname in STANDARD_INT_FIELDS:  # Frappe casts these with int() before any hook runs
			value = row.__dict__.get(fieldname)
			if value is None or (isinstance(value, int) and not isinstance(value, bool)):
				continue
			try:
				row.__dict__[fieldname] = coercion.to_int(value)
			except CoercionError as error:
				where, position = fieldname, None
				if row.get("parentfield"):  # the row's place in its table: its idx may be the bad value
					position = (doc.get(row.parentfield) or []).index(row) + 1
					where = _("Row {0}: {1}").format(position, fieldname)
				problems.append((coercion_message(where, error, value), position, fieldname))
		for df in row.meta.get_link_fields() + row.meta.get("fields", {"fieldtype": "Dynamic Link"}):
			value = row.get(df.fieldname)
			if value is None:
				continue
			try:
				coercion.to_text(value)
			except CoercionError as error:
				problems.append(
					(
						coercion_message(field_label(row, df.fieldname), error, value),
						row.idx if row.get("parentfield") else None,
						df.fieldname,
					)
				)
	if problems:
		throw_located(problems, InvalidInputError, title=_("Invalid Value"))


class CheckedAtTheBoundary:
	"""Mixin for the controllers of documents built from a client's values (Customer Order, Return
	Request): the values are checked as the document is built — before Frappe's link checks read a
	dict as a filter or a table sent as a string breaks the build — and its naming series is its own."""

	def __init__(self, *args, **kwargs):
		super().__init__(*args, **kwargs)
		check_constructed(self, args, kwargs)

	def extend(self, key, value):
		check_table_value(self, key, value)
		super().extend(key, value)

	def before_insert(self):
		validate_naming_series(self)


def validate_naming_series(doc) -> None:
	"""Only the DocType's own naming series: a client-chosen one (HACK-.####) is refused."""
	options = [option for option in doc.meta.get_naming_series_options() if option]
	if not doc.get("naming_series") and options:
		doc.naming_series = options[0]
	elif doc.get("naming_series") not in options:
		throw_at(
			_("{0} must be one of {1}, got {2}").format(
				_(doc.meta.get_label("naming_series")),
				", ".join(options),
				escape_html(coercion.shown(doc.get("naming_series"))),
			),
			InvalidInputError,
			title=_("Invalid Value"),
			field="naming_series",
		)


# --- master data -----------------------------------------------------------------------------------


def validate_company(order: CustomerOrder) -> None:
	"""The company is chosen, not taken from the user's defaults, and exists."""
	if not order.company or (
		order.is_new() and order.flags.get("company_sent") is False and order.company == default_company()
	):
		throw_at(_("Company is required"), OrderValidationError, title=_("Missing Company"), field="company")
	if company_as_saved(order):
		return  # the saved draft links it, so it still exists (Frappe refuses to delete a linked company)
	if not frappe.db.exists("Company", order.company):
		throw_at(
			_("Company {0} does not exist").format(frappe.bold(escape_html(order.company))),
			OrderValidationError,
			field="company",
		)


def company_as_saved(order: CustomerOrder) -> bool:
	"""On submit: the company is the saved draft's."""
	if getattr(order, "_action", None) != "submit" or order.is_new():
		return False
	before = order.get_doc_before_save()
	return bool(before) and before.get("company") == order.company


def default_company() -> str | None:
	"""The company Frappe fills in when none is sent (the user's default, else the global one)."""
	return frappe.defaults.get_user_default("Company") or frappe.defaults.get_global_default("company")


def first_fiscal_year_start(company: str):
	"""The start of the company's first fiscal year (fiscal years without companies count for all)."""
	fiscal_year, link = DocType("Fiscal Year"), DocType("Fiscal Year Company")
	# One query for both: the company's own fiscal years and those linked to no company.
	rows = (
		frappe.qb.from_(fiscal_year)
		.left_join(link)
		.on(link.parent == fiscal_year.name)
		.select(fiscal_year.year_start_date)
		.where((link.company == company) | link.name.isnull())
		.orderby(fiscal_year.year_start_date)
		.limit(1)
		.run()
	)
	return getdate(rows[0][0]) if rows else None


def validate_date_window(order: CustomerOrder) -> None:
	"""Order and delivery dates lie between the company's first fiscal year and FUTURE_YEARS ahead.
	On submit, dates and company as saved passed this at the save (a window that only moves later)."""
	if dates_as_saved(order):
		return
	earliest = first_fiscal_year_start(order.company)
	latest = getdate(add_years(nowdate(), FUTURE_YEARS))
	dates = [(order, "order_date"), (order, "delivery_date")]
	dates += [(line, "delivery_date") for line in order.items]
	for doc, fieldname in dates:
		value = doc.get(fieldname)
		if not value:
			continue
		if earliest and getdate(value) < earliest:
			throw_at(
				_("{0} {1} is before the company's first fiscal year, which starts on {2}").format(
					field_label(doc, fieldname), value, earliest
				),
				OrderValidationError,
				title=_("Invalid Date"),
				field=fieldname,
				row=doc.idx if doc.get("parentfield") else None,
			)
		if getdate(value) > latest:
			throw_at(
				_("{0} {1} is more than {2} years ahead").format(
					field_label(doc, fieldname), value, FUTURE_YEARS
				),
				OrderValidationError,
				title=_("Invalid Date"),
				field=fieldname,
				row=doc.idx if doc.get("parentfield") else None,
			)


def dates_as_saved(order: CustomerOrder) -> bool:
	"""On submit: the company, order and delivery dates and lines are those of the saved draft."""
	if getattr(order, "_action", None) != "submit" or order.is_new():
		return False
	before = order.get_doc_before_save()
	if not before or len(before.items) != len(order.items):
		return False
	pairs = [(order, before, ("company", "order_date", "delivery_date"))]
	pairs += [
		(line, saved, ("name", "delivery_date"))
		for line, saved in zip(order.items, before.items, strict=True)
	]
	return all(
		str(doc.get(f) or "") == str(saved.get(f) or "") for doc, saved, fields in pairs for f in fields
	)


def validate_warehouses(order: CustomerOrder) -> None:
	"""Each line ships from an enabled, non-group warehouse of the order's company."""
	names = list({line.warehouse for line in order.items if line.warehouse})
	warehouses = (
		{
			row.name: row
			for row in frappe.get_all(
				"Warehouse",
				filters={"name": ("in", names)},
				fields=["name", "disabled", "is_group", "company"],
			)
		}
		if names
		else {}
	)
	for line in order.items:
		if not line.warehouse:
			continue
		warehouse = warehouses.get(line.warehouse)
		name = frappe.bold(escape_html(line.warehouse))
		if not warehouse:
			message = _("{0}: Warehouse {1} does not exist")
		elif warehouse.disabled:
			message = _("{0}: Warehouse {1} is disabled")
		elif warehouse.is_group:
			message = _("{0}: Warehouse {1} is a group warehouse; choose one of its warehouses")
		elif warehouse.company != order.company:
			throw_at(
				_("{0}: Warehouse {1} belongs to company {2}, not to the order's company {3}").format(
					row_label(line), name, frappe.bold(warehouse.company), frappe.bold(order.company)
				),
				OrderValidationError,
				field="warehouse",
				row=line.idx,
			)
		else:
			continue
		throw_at(message.format(row_label(line), name), OrderValidationError, field="warehouse", row=line.idx)


def validate_uoms(order: CustomerOrder) -> None:
	"""A line's UOM is enabled and the item has a conversion for it (the conversion factor is then the
	item's own: erpnext_bridge/sales_order.py never passes the client's on)."""
	order.flags.uom_facts = None  # a new validation reads the UOMs afresh
	items = item_facts(order)
	uoms = list({line.uom for line in order.items if line.uom})
	if not uoms:
		return  # lines without a UOM take the item's sales UOM when priced
	enabled = {uom for uom, row in uom_facts(order).items() if row.enabled}
	conversions = {
		(row.parent, row.uom)
		for row in frappe.get_all(
			"UOM Conversion Detail",
			filters={"parenttype": "Item", "parent": ("in", list(items)), "uom": ("in", uoms)},
			fields=["parent", "uom"],
		)
	}
	for line in order.items:
		if not line.uom:
			continue
		uom = frappe.bold(escape_html(line.uom))
		if line.uom not in enabled:
			throw_at(
				_("{0}: UOM {1} does not exist or is disabled").format(row_label(line), uom),
				OrderValidationError,
				field="uom",
				row=line.idx,
			)
		item = items.get(line.item_code) or frappe._dict()
		if line.uom != item.get("stock_uom") and (line.item_code, line.uom) not in conversions:
			throw_at(
				_(
					"{0}: Item {1} has no conversion for UOM {2}; add it to the item's UOMs or choose another"
				).format(row_label(line), frappe.bold(line.item_code), uom),
				OrderValidationError,
				field="uom",
				row=line.idx,
			)


def validate_customer(order: CustomerOrder) -> None:
	if not order.customer:
		throw_at(
			_("Customer is required"), OrderValidationError, title=_("Missing Customer"), field="customer"
		)
	customer = frappe.db.get_value(
		"Customer",
		order.customer,
		[
			"disabled",
			"is_frozen",
			"customer_name",
			"is_vip_customer",
			"requires_order_review",
			"customer_group",  # for the review's credit limit (review.facts)
		],
		as_dict=True,
	)
	# for set_default_priority and the review facts (review.facts), in the same validation
	order.flags.customer_row = customer
	if not customer:
		throw_at(
			_("Customer {0} does not exist").format(frappe.bold(order.customer)),
			OrderValidationError,
			field="customer",
		)
	if customer.disabled:
		throw_at(
			_("Customer {0} is disabled and cannot place orders").format(frappe.bold(order.customer)),
			OrderValidationError,
			field="customer",
		)
	if customer.is_frozen:
		throw_at(
			_("Customer {0} is on hold (frozen) and cannot place orders").format(frappe.bold(order.customer)),
			OrderValidationError,
			field="customer",
		)


def validate_has_items(order: CustomerOrder) -> None:
	if not order.items:
		throw_at(
			_("Add at least one item to the order"),
			OrderValidationError,
			title=_("Missing Items"),
			field="items",
		)


def validate_dates(order: CustomerOrder) -> None:
	if order.delivery_date and getdate(order.delivery_date) < getdate(order.order_date):
		throw_at(
			_("Requested Delivery Date {0} cannot be before the Order Date {1}").format(
				order.delivery_date, order.order_date
			),
			OrderValidationError,
			field="delivery_date",
		)
	for line in order.items:
		if line.delivery_date and getdate(line.delivery_date) < getdate(order.order_date):
			throw_at(
				_("{0}: Delivery Date {1} cannot be before the Order Date {2}").format(
					row_label(line), line.delivery_date, order.order_date
				),
				OrderValidationError,
				field="delivery_date",
				row=line.idx,
			)


def item_facts(order: CustomerOrder, refresh: bool = False) -> dict[str, frappe._dict]:
	"""The order's items as validation needs them: read by validate_items (refresh), reused by the
	checks after it in the same validation."""
	item_codes = tuple(sorted({line.item_code for line in order.items if line.item_code}))
	cached = order.flags.get("item_facts")
	if not refresh and cached and cached[0] == item_codes:
		return cached[1]
	items = (
		{
			item.name: item
			for item in frappe.get_all(
				"Item",
				filters={"name": ("in", list(item_codes))},
				fields=[
					"name",
					"disabled",
					"is_sales_item",
					"has_variants",
					"end_of_life",
					"max_discount",
					"stock_uom",
					"is_stock_item",  # and valuation_rate: for review.facts, in the same validation
					"valuation_rate",
				],
			)
		}
		if item_codes
		else {}
	)
	order.flags.item_facts = (item_codes, items)
	return items


def uom_facts(order: CustomerOrder) -> dict[str, frappe._dict]:
	"""The UOMs of the order's lines (enabled, whole number), read once per set of UOMs in a validation:
	validate_uoms reads those the client chose, validate_whole_number_quantities reuses them when
	pricing added no other."""
	uoms = tuple(sorted({line.uom for line in order.items if line.uom}))
	cached = order.flags.get("uom_facts")
	if cached and cached[0] == uoms:
		return cached[1]
	rows = (
		{
			row.name: row
			for row in frappe.get_all(
				"UOM",
				filters={"name": ("in", list(uoms))},
				fields=["name", "enabled", "must_be_whole_number"],
			)
		}
		if uoms
		else {}
	)
	order.flags.uom_facts = (uoms, rows)
	return rows


def validate_items(order: CustomerOrder) -> None:
	"""Items must exist, be enabled and sellable; quantities positive and whole where the UOM says so."""
	items = item_facts(order, refresh=True)
	for line in order.items:
		if not line.item_code:
			throw_at(
				_("{0}: Item is required").format(row_label(line)),
				OrderValidationError,
				field="item_code",
				row=line.idx,
			)
		item = items.get(line.item_code)
		if not item:
			throw_at(
				_("{0}: Item {1} does not exist").format(row_label(line), frappe.bold(line.item_code)),
				OrderValidationError,
				field="item_code",
				row=line.idx,
			)
		if item.disabled or (item.end_of_life and getdate(item.end_of_life) <= getdate(order.order_date)):
			throw_at(
				_("{0}: Item {1} is disabled").format(row_label(line), frappe.bold(line.item_code)),
				OrderValidationError,
				field="item_code",
				row=line.idx,
			)
		if not item.is_sales_item:
			throw_at(
				_("{0}: Item {1} is not a sales item").format(row_label(line), frappe.bold(line.item_code)),
				OrderValidationError,
				field="item_code",
				row=line.idx,
			)
		if item.has_variants:
			throw_at(
				_("{0}: Item {1} is a template; choose one of its variants").format(
					row_label(line), frappe.bold(line.item_code)
				),
				OrderValidationError,
				field="item_code",
				row=line.idx,
			)
		if flt(line.qty) <= 0:
			throw_at(
				_("{0}: Quantity must be greater than zero, not {1}").format(row_label(line), line.qty),
				OrderValidationError,
				field="qty",
				row=line.idx,
			)


def validate_whole_number_quantities(order: CustomerOrder) -> None:
	"""Runs after pricing, when every line has its UOM."""
	whole = {uom for uom, row in uom_facts(order).items() if row.must_be_whole_number}
	for line in order.items:
		if line.uom in whole and not rules.is_whole_number(flt(line.qty)):
			throw_at(
				_("{0}: Quantity {1} must be a whole number for UOM {2}").format(
					row_label(line), line.qty, frappe.bold(line.uom)
				),
				OrderValidationError,
				field="qty",
				row=line.idx,
			)


def validate_minimum_rates(order: CustomerOrder) -> None:
	"""No line may be discounted beyond the item's Max Discount (or the settings' default)."""
	validate_price_changes(order)
	default_max = flt(get_settings().max_discount_percentage)
	items = item_facts(order)
	for line in order.items:
		max_discount = flt((items.get(line.item_code) or {}).get("max_discount")) or default_max
		if max_discount <= 0:
			continue  # as in ERPNext, no maximum discount means no floor
		if rules.is_below_minimum_rate(flt(line.rate), flt(line.price_list_rate), max_discount):
			throw_at(
				_(
					"{0}: Rate {1} for {2} is below {3}, the price-list rate {4} less the maximum discount of {5}%"
				).format(
					row_label(line),
					frappe.format_value(line.rate, {"fieldtype": "Currency", "options": order.currency}),
					frappe.bold(line.item_code),
					frappe.format_value(
						rules.minimum_rate(line.price_list_rate, max_discount),
						{"fieldtype": "Currency", "options": order.currency},
					),
					frappe.format_value(
						line.price_list_rate, {"fieldtype": "Currency", "options": order.currency}
					),
					max_discount,
				),
				OrderValidationError,
				field="rate",
				row=line.idx,
			)


def validate_price_changes(order: CustomerOrder) -> None:
	"""With *Only reviewers and managers change prices* on, a user without PRICE_ROLES may not set or
	change a line's rate or discount away from what pricing gives (price list and pricing rules;
	run after pricing). Lines unchanged since the last save pass (a reviewer's price stays when the
	clerk edits something else), and so do the app's own code paths (ignore_permissions)."""
	if not cint(get_settings().restrict_price_changes) or order.flags.ignore_permissions:
		return
	user = frappe.session.user
	if user == "Administrator" or PRICE_ROLES & set(frappe.get_roles(user)):
		return
	stored = {}
	if order.name and frappe.db.exists("Customer Order", order.name):  # a saved draft (also live pricing)
		stored = {
			row.name: (flt(row.rate), flt(row.discount_percentage))
			for row in frappe.get_all(
				"Customer Order Item",
				filters={"parent": order.name, "parenttype": "Customer Order"},
				fields=["name", "rate", "discount_percentage"],
			)
		}
	for line in order.items:
		if line.get("pricing_rules"):
			continue  # the rule's price: pricing gave it
		if not flt(line.discount_percentage) and flt(line.rate) == flt(line.price_list_rate):
			continue
		if stored.get(line.name) == (flt(line.rate), flt(line.discount_percentage)):
			continue
		throw_at(
			_(
				"{0}: only a Sales Reviewer or a manager may give {1} a rate or discount other than the price list's {2}"
			).format(
				row_label(line),
				frappe.bold(line.item_code),
				frappe.format_value(
					line.price_list_rate, {"fieldtype": "Currency", "options": order.currency}
				),
			),
			PriceChangeNotPermittedError,
			field="rate",
			row=line.idx,
		)


def set_default_priority(order: CustomerOrder) -> None:
	if not order.priority:
		row = order.flags.get("customer_row")
		if row is None or row.get("is_vip_customer") is None:
			row = frappe.db.get_value("Customer", order.customer, ["is_vip_customer"], as_dict=True) or {}
		is_vip = cint(row.get("is_vip_customer"))
		order.priority = "High" if is_vip else "Normal"


def set_duplicate_key(order: CustomerOrder) -> None:
	order.duplicate_key = rules.duplicate_key(
		order.customer,
		order.customer_po,
		str(order.order_date),
		[(line.item_code, line.qty, line.uom, line.rate) for line in order.items],
	)


def validate_not_duplicate(order: CustomerOrder) -> None:
	"""Refuse a second submitted order with the same customer, lines and PO reference.

	Called on submit with the customer row locked, so two identical orders submitted at
	once cannot both pass.
	"""
	if not cint(get_settings().block_duplicate_orders):
		return
	if order.flags.get("customer_locked") != order.customer:  # CustomerOrder.check_if_latest took it
		lock_customer(order.customer)
	# A locking read: a plain one reads the transaction's older snapshot and would miss the order a
	# concurrent submit committed while this one waited for the customer lock.
	existing = frappe.db.get_value(
		"Customer Order",
		{"duplicate_key": order.duplicate_key, "docstatus": 1, "name": ("!=", order.name)},
		"name",
		for_update=True,
	)
	if existing:
		throw_at(
			_("Order {0} of {1} already has the same lines and PO reference {2}").format(
				frappe.bold(existing), order.customer, order.customer_po or _("(none, same day)")
			),
			DuplicateOrderError,
			title=_("Duplicate Order"),
			field="customer_po",
		)


def lock_customer(customer: str) -> None:
	"""Serialise order submission per customer (duplicate guard, credit exposure)."""
	customer_table = DocType("Customer")
	frappe.qb.from_(customer_table).select(customer_table.name).where(
		customer_table.name == customer
	).for_update().run()
