"""Customer Order <-> ERPNext Sales Order.

Pricing, taxes and totals are ERPNext's own: a Customer Order is priced by building the
Sales Order it will become (unsaved) and letting ERPNext compute it, so the submitted Sales
Order later carries exactly the same numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import frappe
from erpnext.accounts.party import get_default_price_list
from erpnext.controllers.accounts_controller import get_default_taxes_and_charges
from frappe import _
from frappe.query_builder import Case
from frappe.utils import cstr, flt, get_datetime, getdate, nowdate

from order_mgmt import server_owned
from order_mgmt.accounting.credit import finance_approval_covers_credit_limit
from order_mgmt.orders.rules import resolve_rate_and_discount

if TYPE_CHECKING:
	from erpnext.selling.doctype.sales_order.sales_order import SalesOrder

	from order_mgmt.order_mgmt.doctype.customer_order.customer_order import CustomerOrder

HEADER_FIELDS_FROM_ERPNEXT = {
	"currency": "currency",
	"conversion_rate": "conversion_rate",
	"selling_price_list": "price_list",
	"payment_terms_template": "payment_terms_template",
}
LINE_FIELDS_FROM_ERPNEXT = (
	"item_name",
	"uom",
	"stock_uom",
	"conversion_factor",
	"stock_qty",
	"price_list_rate",
	"discount_percentage",
	"rate",
	"amount",
	"warehouse",
	"delivery_date",
	"pricing_rules",
)
TOTAL_FIELDS = ("total_qty", "net_total", "total_taxes_and_charges", "grand_total", "base_grand_total")
TAX_FIELDS = (
	"charge_type",
	"row_id",
	"account_head",
	"description",
	"included_in_print_rate",
	"included_in_paid_amount",
	"cost_center",
	"rate",
	"account_currency",
	"tax_amount",
	"total",
	"base_tax_amount",
	"base_total",
	"tax_amount_after_discount_amount",
	"base_tax_amount_after_discount_amount",
	"item_wise_tax_detail",
	"dont_recompute_tax",
)


def _new_sales_order(order: CustomerOrder) -> SalesOrder:
	so = frappe.new_doc("Sales Order")
	so.update(
		{
			"customer": order.customer,
			"company": order.company,
			"order_type": "Sales",
			"transaction_date": order.order_date,
			"delivery_date": order.delivery_date,
			"po_no": order.customer_po,
			"customer_order": order.name if not order.is_new() else None,
		}
	)
	# new_doc's global defaults would shadow the customer's own (ERPNext only fills empty fields):
	# the order's choice, else the customer's (price list: or its group's), else the global default.
	customer = frappe.get_cached_doc("Customer", order.customer)
	so.currency = (
		order.currency
		or customer.default_currency
		or frappe.get_cached_value("Company", order.company, "default_currency")
	)
	so.selling_price_list = order.price_list or get_default_price_list(customer) or so.selling_price_list
	for fieldname in (
		"taxes_and_charges",
		"payment_terms_template",
		"shipping_address_name",
		"contact_person",
	):
		if order.get(fieldname):
			so.set(fieldname, order.get(fieldname))
	return so


def customer_price_list(order: CustomerOrder) -> str | None:
	"""The customer's own selling price list: the customer's, else its group's, else Selling Settings'."""
	customer = frappe.get_cached_doc("Customer", order.customer)
	return get_default_price_list(customer) or frappe.db.get_single_value(
		"Selling Settings", "selling_price_list"
	)


def _priced_sales_order(order: CustomerOrder) -> SalesOrder:
	"""The unsaved Sales Order of the order's lines, with ERPNext's own party defaults (currency, price
	list, tax rule, payment terms, addresses) and item details (UOM conversion, warehouse, price-list
	rate through pricing rules). The conversion factor is always the item's, never the client's."""
	so = _new_sales_order(order)
	for line in order.items:
		so.append(
			"items",
			{
				"item_code": line.item_code,
				"qty": line.qty,
				"uom": line.uom or None,
				"warehouse": line.warehouse or None,
				"delivery_date": line.delivery_date or order.delivery_date,
			},
		)
	so.flags.ignore_permissions = True
	so.run_method("set_missing_values")
	return so


def price_order(order: CustomerOrder) -> None:
	"""Fill the order's prices, taxes and totals the way ERPNext would for its Sales Order.

	Discounts are measured against the customer's own price list: an order priced from another list
	keeps that list's rates, as the rate asked for, and records the discount they make against the
	customer's price, so that the discount rules and the minimum rate see it.

	A line an ERPNext Pricing Rule prices keeps the rule's price-list rate, discount and rate, as the
	Sales Order it becomes will (ERPNext applies the rule over any rate or discount on submit); a line
	a rule priced before and no longer does loses the rule's discount, as in ERPNext."""
	requested = [(line.rate, line.discount_percentage) for line in order.items]
	rule_priced = [bool(line.get("pricing_rules")) for line in order.items]
	own_list = customer_price_list(order)
	if order.price_list and own_list and order.price_list != own_list:
		other = _priced_sales_order(order)
		requested = [
			(rate or (None if discount else so_line.price_list_rate), discount)
			for so_line, (rate, discount) in zip(other.items, requested, strict=True)
		]
		order.price_list = own_list
	so = _priced_sales_order(order)

	for so_line, (rate, discount), was_rule_priced in zip(so.items, requested, rule_priced, strict=True):
		if so_line.get("pricing_rules"):
			continue
		if was_rule_priced:
			rate = discount = None
		priced = resolve_rate_and_discount(so_line.price_list_rate, rate or None, discount or None)
		so_line.rate = priced.rate
		so_line.discount_percentage = priced.discount_percentage
		so_line.discount_amount = 0

	so.taxes_and_charges = order.taxes_and_charges or so.taxes_and_charges
	so.set("taxes", [])
	if not so.taxes_and_charges:
		# ERPNext's default template comes with its rows, read by the same function as
		# append_taxes_from_master would read them again.
		defaults = get_default_taxes_and_charges("Sales Taxes and Charges Template", company=order.company)
		so.taxes_and_charges = defaults.get("taxes_and_charges")
		if so.taxes_and_charges:
			so.extend("taxes", defaults.get("taxes") or [])
	else:
		so.append_taxes_from_master()

	so.calculate_taxes_and_totals()
	_copy_pricing_back(so, order)


PRICING_HEADER_FIELDS = (
	"customer",
	"company",
	"order_date",
	"delivery_date",
	"price_list",
	"currency",
	"conversion_rate",
	"taxes_and_charges",
	"payment_terms_template",
	"shipping_address_name",
	"contact_person",
	*TOTAL_FIELDS,
)
PRICING_LINE_FIELDS = ("name", "item_code", "qty", *LINE_FIELDS_FROM_ERPNEXT)
PRICING_SOURCES = """
	select max(modified) from (
		select max(modified) as modified from `tabItem Price` where item_code in %(items)s
		union all select max(modified) from `tabItem` where name in %(items)s
		union all select max(modified) from `tabPricing Rule`
		union all select max(modified) from `tabSales Taxes and Charges Template`
		union all select modified from `tabCustomer` where name = %(customer)s
	) as sources
"""
"""When the data pricing reads last changed: the items' prices and the items, any pricing rule or tax
template, the customer (its price list)."""


def priced_as_saved(order: CustomerOrder) -> bool:
	"""On submit: the order carries exactly the prices, taxes and totals of its saved draft, which
	`price_order` computed from the same lines and header today, and none of the data pricing reads
	(PRICING_SOURCES) changed since that save; then pricing it again would give the same numbers and is
	skipped (ERPNext prices the Sales Order itself again when it is made). Anything else — another
	line, quantity, rate, customer, price list or date, a draft saved on an earlier day, a price,
	pricing rule or template changed since the save — prices the order again."""
	if getattr(order, "_action", None) != "submit" or order.is_new():
		return False
	before = order.get_doc_before_save()
	if not before or getdate(before.modified) != getdate(nowdate()):
		return False
	if any(_differs(order.get(f), before.get(f)) for f in PRICING_HEADER_FIELDS):
		return False
	pairs = [(order.items, before.items, PRICING_LINE_FIELDS), (order.taxes, before.taxes, TAX_FIELDS)]
	for rows, saved_rows, fieldnames in pairs:
		if len(rows) != len(saved_rows):
			return False
		for row, saved in zip(rows, saved_rows, strict=True):
			if any(_differs(row.get(f), saved.get(f)) for f in fieldnames):
				return False
	items = tuple({line.item_code for line in order.items}) or ("",)
	changed = frappe.db.sql(PRICING_SOURCES, {"items": items, "customer": order.customer})
	return not (changed and changed[0][0] and changed[0][0] >= get_datetime(before.modified))


def _differs(value, saved) -> bool:
	if isinstance(value, float | int) or isinstance(saved, float | int):
		return abs(flt(value) - flt(saved)) > 1e-9
	return cstr(value) != cstr(saved)


def _copy_pricing_back(so: SalesOrder, order: CustomerOrder) -> None:
	for so_field, order_field in HEADER_FIELDS_FROM_ERPNEXT.items():
		if so.get(so_field) is not None:
			order.set(order_field, so.get(so_field))
	order.taxes_and_charges = so.taxes_and_charges
	if not order.shipping_address_name and so.get("shipping_address_name"):
		order.shipping_address_name = so.shipping_address_name
	if order.shipping_address_name and not order.shipping_address:
		order.shipping_address = so.get("shipping_address")
	if not order.contact_person and so.get("contact_person"):
		order.contact_person = so.contact_person
	for line, so_line in zip(order.items, so.items, strict=True):
		for fieldname in LINE_FIELDS_FROM_ERPNEXT:
			line.set(fieldname, so_line.get(fieldname))
		line.pricing_rules = so_line.get("pricing_rules") or ""  # "": the form clears a rule that went
	order.set("taxes", [{fieldname: tax.get(fieldname) for fieldname in TAX_FIELDS} for tax in so.taxes])
	for fieldname in TOTAL_FIELDS:
		order.set(fieldname, flt(so.get(fieldname)))


def create_sales_order(order: CustomerOrder, credit_approved_by: str | None = None) -> SalesOrder:
	"""Create and submit the Sales Order for an approved order, with the order's exact numbers.

	It is submitted by the current user (the final approver), whose roles ERPNext's Authorization
	Rules check. `credit_approved_by`: the finance reviewer who approved the order's credit hold;
	their approval lets this Sales Order, and only it, past ERPNext's credit-limit check."""
	so = _new_sales_order(order)
	for line in order.items:
		so.append(
			"items",
			{
				"item_code": line.item_code,
				"item_name": line.item_name,
				"qty": line.qty,
				"uom": line.uom,
				"stock_uom": line.stock_uom,
				"conversion_factor": line.conversion_factor,
				"price_list_rate": line.price_list_rate,
				"discount_percentage": line.discount_percentage,
				"rate": line.rate,
				"pricing_rules": line.pricing_rules,
				"warehouse": line.warehouse,
				"delivery_date": line.delivery_date or order.delivery_date,
			},
		)
	so.taxes_and_charges = order.taxes_and_charges
	so.reserve_stock = 0  # reserved afterwards, with locks (erpnext_bridge/stock_reservation.py)
	for tax in order.taxes:
		so.append("taxes", {fieldname: tax.get(fieldname) for fieldname in TAX_FIELDS})
	so.flags.ignore_permissions = True  # the approver's right to approve is checked before this
	so.flags.locked_bins = order.flags.get("locked_bins")  # for its reservation (stock_reservation)
	# Inserted as submitted, in one step (Frappe runs validate, before_submit, on_update and on_submit):
	# ERPNext validates and prices the Sales Order once, not once on insert and again on submit.
	so.docstatus = 1
	# The hand-off writes the order's status from it (record_hand_off): orders.tracking need not read it.
	so.flags.in_hand_off = True
	with server_owned.writing(so):  # the hand-off is what links a Sales Order to its order
		with finance_approval_covers_credit_limit(so, order.name, credit_approved_by):
			so.insert()
	so.flags.in_hand_off = False
	link_order_lines(order, so)
	return so


def record_hand_off(order: CustomerOrder, so: SalesOrder) -> None:
	"""The order's link to the Sales Order just made for it, with its payment figures and the status
	it mirrors, in one statement, and on the order object too (no reload).

	The same values accounting.payments.sync_payment_status and orders.tracking.sync_from_sales_order
	write, without reading them back: a Sales Order made in this transaction has no Payment Entry or
	invoice yet, so nothing is paid and its whole total is outstanding."""
	from order_mgmt.accounting.payment_gate import payment_status
	from order_mgmt.orders.status import status_from_sales_order

	total = flt(so.rounded_total) or flt(so.grand_total)
	values = {
		"sales_order": so.name,
		"paid_amount": 0.0,
		"outstanding_amount": round(max(total, 0), 2),
		"payment_status": payment_status(total, 0.0),
		"status": status_from_sales_order(so.docstatus, so.status, flt(so.per_delivered), flt(so.per_billed)),
		"per_delivered": flt(so.per_delivered),
		"per_billed": flt(so.per_billed),
	}
	frappe.db.set_value("Customer Order", order.name, values, update_modified=False)
	order.update(values)


def link_order_lines(order: CustomerOrder, so: SalesOrder) -> None:
	"""Each order line's sales_order_item, written with one statement (not one db_set per line)."""
	pairs = list(zip(order.items, so.items, strict=True))
	if not pairs:
		return
	item = frappe.qb.DocType("Customer Order Item")
	case = Case()
	for line, so_line in pairs:
		case = case.when(item.name == line.name, so_line.name)
		line.sales_order_item = so_line.name
	frappe.qb.update(item).set(item.sales_order_item, case).where(
		item.name.isin([line.name for line in order.items])
	).run()


def validate_customer_order_link(so: SalesOrder, method=None) -> None:
	"""Sales Order `validate` (hooks.doc_events): `customer_order` is the hand-off's to set (create_sales_order,
	inside `server_owned.writing`). Otherwise it is kept only when that Customer Order's Sales Order is this one
	(ERPNext re-saving the app's Sales Order); any other value is cleared, so a Sales Order a user writes
	cannot take another order's place (payments, dashboards)."""
	name = so.get("customer_order")
	if not name or server_owned.is_app_write(so):
		return
	if so.name and not so.is_new() and frappe.db.get_value("Customer Order", name, "sales_order") == so.name:
		return
	so.customer_order = None
	frappe.msgprint(
		_("{0} is set only by the Customer Order's approval: it was cleared on {1}").format(
			_(so.meta.get_label("customer_order")), _(so.doctype)
		),
		alert=True,
	)


def sales_order_progress(sales_order: str) -> frappe._dict | None:
	return frappe.db.get_value(
		"Sales Order",
		sales_order,
		["docstatus", "status", "per_delivered", "per_billed"],
		as_dict=True,
	)


def cancel_sales_order(sales_order: str) -> None:
	so = frappe.get_doc("Sales Order", sales_order)
	if so.docstatus != 1:
		return
	so.flags.ignore_permissions = True
	if release_material_requests(sales_order):
		# Requests already ordered stay (the goods come as free stock); they must not block the cancel.
		so.flags.ignore_links = True
	so.cancel()


def release_material_requests(sales_order: str) -> bool:
	"""Cancel the shortage's Material Requests raised for the Sales Order that nothing was ordered
	on yet (ERPNext refuses to cancel a Sales Order a submitted request links to). Returns whether
	some request was already ordered and stays."""
	mr, mr_item = frappe.qb.DocType("Material Request"), frappe.qb.DocType("Material Request Item")
	requests = (
		frappe.qb.from_(mr_item)
		.join(mr)
		.on(mr.name == mr_item.parent)
		.select(mr.name, mr.per_ordered)
		.distinct()
		.where((mr_item.sales_order == sales_order) & (mr.docstatus == 1))
	).run(as_dict=True)
	kept = False
	for request in requests:
		if flt(request.per_ordered) > 0:
			kept = True
			continue
		doc = frappe.get_doc("Material Request", request.name)
		doc.flags.ignore_permissions = True
		doc.cancel()
	return kept


def assert_sales_order_matches(order: CustomerOrder, so: SalesOrder) -> None:
	"""ERPNext recomputes on insert: if it disagrees with what the order showed, refuse to go on."""
	if abs(flt(so.grand_total) - flt(order.grand_total)) > 0.01:
		frappe.throw(
			_(
				"The Sales Order total {0} differs from the order's {1}; reload the order and try again"
			).format(so.grand_total, order.grand_total)
		)
