"""Validation of a Customer Order at intake (the Frappe side of orders/rules.py).

Every failure names the row and field and raises before anything is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import frappe
from frappe import _
from frappe.query_builder import DocType
from frappe.utils import cint, flt, getdate

from order_mgmt.orders import rules
from order_mgmt.settings import get_settings

if TYPE_CHECKING:
	from order_mgmt.order_mgmt.doctype.customer_order.customer_order import CustomerOrder


class OrderValidationError(frappe.ValidationError):
	"""Bad input on a Customer Order."""


class DuplicateOrderError(frappe.DuplicateEntryError):
	"""The same order was already submitted."""


def row_label(line) -> str:
	return _("Row {0}").format(line.idx)


def validate_customer(order: CustomerOrder) -> None:
	if not order.customer:
		frappe.throw(_("Customer is required"), OrderValidationError, title=_("Missing Customer"))
	customer = frappe.db.get_value(
		"Customer", order.customer, ["disabled", "is_frozen", "customer_name"], as_dict=True
	)
	if not customer:
		frappe.throw(
			_("Customer {0} does not exist").format(frappe.bold(order.customer)), OrderValidationError
		)
	if customer.disabled:
		frappe.throw(
			_("Customer {0} is disabled and cannot place orders").format(frappe.bold(order.customer)),
			OrderValidationError,
		)
	if customer.is_frozen:
		frappe.throw(
			_("Customer {0} is on hold (frozen) and cannot place orders").format(frappe.bold(order.customer)),
			OrderValidationError,
		)


def validate_has_items(order: CustomerOrder) -> None:
	if not order.items:
		frappe.throw(_("Add at least one item to the order"), OrderValidationError, title=_("Missing Items"))


def validate_dates(order: CustomerOrder) -> None:
	if order.delivery_date and getdate(order.delivery_date) < getdate(order.order_date):
		frappe.throw(
			_("Requested Delivery Date {0} cannot be before the Order Date {1}").format(
				order.delivery_date, order.order_date
			),
			OrderValidationError,
		)
	for line in order.items:
		if line.delivery_date and getdate(line.delivery_date) < getdate(order.order_date):
			frappe.throw(
				_("{0}: Delivery Date {1} cannot be before the Order Date {2}").format(
					row_label(line), line.delivery_date, order.order_date
				),
				OrderValidationError,
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
				fields=["name", "disabled", "is_sales_item", "has_variants", "end_of_life", "max_discount"],
			)
		}
		if item_codes
		else {}
	)
	order.flags.item_facts = (item_codes, items)
	return items


def validate_items(order: CustomerOrder) -> None:
	"""Items must exist, be enabled and sellable; quantities positive and whole where the UOM says so."""
	items = item_facts(order, refresh=True)
	for line in order.items:
		if not line.item_code:
			frappe.throw(_("{0}: Item is required").format(row_label(line)), OrderValidationError)
		item = items.get(line.item_code)
		if not item:
			frappe.throw(
				_("{0}: Item {1} does not exist").format(row_label(line), frappe.bold(line.item_code)),
				OrderValidationError,
			)
		if item.disabled or (item.end_of_life and getdate(item.end_of_life) <= getdate(order.order_date)):
			frappe.throw(
				_("{0}: Item {1} is disabled").format(row_label(line), frappe.bold(line.item_code)),
				OrderValidationError,
			)
		if not item.is_sales_item:
			frappe.throw(
				_("{0}: Item {1} is not a sales item").format(row_label(line), frappe.bold(line.item_code)),
				OrderValidationError,
			)
		if item.has_variants:
			frappe.throw(
				_("{0}: Item {1} is a template; choose one of its variants").format(
					row_label(line), frappe.bold(line.item_code)
				),
				OrderValidationError,
			)
		if flt(line.qty) <= 0:
			frappe.throw(
				_("{0}: Quantity must be greater than zero, not {1}").format(row_label(line), line.qty),
				OrderValidationError,
			)


def validate_whole_number_quantities(order: CustomerOrder) -> None:
	"""Runs after pricing, when every line has its UOM."""
	uoms = {line.uom for line in order.items if line.uom}
	whole = (
		set(
			frappe.get_all(
				"UOM", filters={"name": ("in", list(uoms)), "must_be_whole_number": 1}, pluck="name"
			)
		)
		if uoms
		else set()
	)
	for line in order.items:
		if line.uom in whole and not rules.is_whole_number(flt(line.qty)):
			frappe.throw(
				_("{0}: Quantity {1} must be a whole number for UOM {2}").format(
					row_label(line), line.qty, frappe.bold(line.uom)
				),
				OrderValidationError,
			)


def validate_minimum_rates(order: CustomerOrder) -> None:
	"""No line may be discounted beyond the item's Max Discount (or the settings' default)."""
	default_max = flt(get_settings().max_discount_percentage)
	items = item_facts(order)
	for line in order.items:
		max_discount = flt((items.get(line.item_code) or {}).get("max_discount")) or default_max
		if max_discount <= 0:
			continue  # as in ERPNext, no maximum discount means no floor
		if rules.is_below_minimum_rate(flt(line.rate), flt(line.price_list_rate), max_discount):
			frappe.throw(
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
			)


def set_default_priority(order: CustomerOrder) -> None:
	if not order.priority:
		is_vip = cint(frappe.db.get_value("Customer", order.customer, "is_vip_customer"))
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
	lock_customer(order.customer)
	existing = frappe.db.get_value(
		"Customer Order",
		{"duplicate_key": order.duplicate_key, "docstatus": 1, "name": ("!=", order.name)},
		"name",
	)
	if existing:
		frappe.throw(
			_("Order {0} of {1} already has the same lines and PO reference {2}").format(
				frappe.bold(existing), order.customer, order.customer_po or _("(none, same day)")
			),
			DuplicateOrderError,
			title=_("Duplicate Order"),
		)


def lock_customer(customer: str) -> None:
	"""Serialise order submission per customer (duplicate guard, credit exposure)."""
	customer_table = DocType("Customer")
	frappe.qb.from_(customer_table).select(customer_table.name).where(
		customer_table.name == customer
	).for_update().run()
