"""Changing an approved order: assess → re-review → apply (Order Change Request).

- **Assess** (every save): the lines as they would be are priced by ERPNext exactly like a new order
  (`erpnext_bridge.sales_order.price_order` on an unsaved Customer Order: price list, pricing rules, UOM,
  taxes, totals; an unchanged line keeps its rate), whatever totals the client sent. Each line gets its
  before → after values and its measured impact: progress from the Sales Order (delivered, picked,
  billed), stock (reserved, free to reserve now, the new shortage), margin (rate against valuation);
  the request gets credit (ERPNext's outstanding plus the increase against its credit limit) and
  whether a new delivery date is met. `orders/change_tiers.py` decides the tier, route and problems;
  problems are refused with a translated message naming the row. The Order Review Rules that judge
  changes are those whose *Applies to Changes* box is ticked (`change_rules`).
- **Payment terms**: a new Payment Terms Template is shown with the Sales Order's payment schedule
  before and the one ERPNext builds from the new template after; it is refused once the order is
  invoiced (the invoice copied the old schedule) or a payment is allocated to a term of its schedule.
- **New lines** take the request line's warehouse: the item's default warehouse for the company, else
  the Sales Order's default warehouse, never another line's; it must be a warehouse of the company.
- **Re-review** (submit): minor changes are applied at once; others wait for the stages of their route
  (Order Review Stage roles), each decision recorded on the request with who, when and why. Four-eyes:
  whoever asked for the change (or entered it) does not approve it.
- **Apply**: assessed again under the Sales Order's lock (the order may have moved on since); if the new
  total differs from the one reviewed, the change is refused (ask again). ERPNext's Update Items changes
  the Sales Order and the reservation follows (`erpnext_bridge/sales_order_update.py`); the Customer
  Order's lines, taxes and totals are rewritten to the Sales Order's; all in one savepoint, so a refusal
  (ERPNext's, with its reason) leaves nothing half-applied. The rewrite is recorded as a Version of the
  Customer Order (Frappe's own diff of the order before and after), so its history shows the lines
  changed, added and removed like any edit, while its fields stay written by the app only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import frappe
from erpnext.selling.doctype.customer.customer import get_credit_limit, get_customer_outstanding
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import cint, flt, get_fullname, getdate, now_datetime

from order_mgmt import server_owned
from order_mgmt.erpnext_bridge.sales_order import TAX_FIELDS, price_order
from order_mgmt.erpnext_bridge.stock_reservation import reserved_qty_by_line, stock_item_codes
from order_mgmt.orders.change_tiers import (
	EPSILON,
	Action,
	ChangeFacts,
	ChangeStages,
	LineChange,
	decide_change,
	next_stage,
)
from order_mgmt.orders.coercion import plain_text
from order_mgmt.review import facts as review_facts
from order_mgmt.review.engine import Condition, ReviewRule
from order_mgmt.utils import changed_since_snapshot

if TYPE_CHECKING:
	from order_mgmt.order_mgmt.doctype.customer_order.customer_order import CustomerOrder

DRAFT, PENDING, APPLIED, REJECTED, CANCELLED = "Draft", "Pending Review", "Applied", "Rejected", "Cancelled"
CHANGEABLE_ORDER_STATUSES = ("Approved", "To Deliver", "Partly Delivered")
STAGES = ChangeStages(commercial="Sales", delivery="Warehouse", finance="Finance")
OVERRIDING_ROLES = {"Order Manager", "System Manager"}
"""May decide any stage of a change request (never their own request)."""
HEADER_FIELDS = ("customer", "company", "currency", "price_list", "taxes_and_charges", "order_date")
HEADER_FIELDS += ("payment_terms_template", "contact_person", "customer_po", "order_type", "channel")


class ChangeRequestError(frappe.ValidationError):
	pass


class OrderNotChangeableError(ChangeRequestError):
	pass


class ChangeRefusedError(ChangeRequestError):
	"""ERPNext refused to change the Sales Order: nothing of the change was applied."""


class ChangeFourEyesError(ChangeRequestError):
	pass


class ChangeMovedOnError(ChangeRequestError):
	"""The order changed between the review and the apply: the reviewed figures no longer hold."""


class PaymentTermsLockedError(ChangeRequestError):
	"""The order is invoiced, or paid against its schedule: its payment terms are fixed."""


class NewLineWarehouseError(ChangeRequestError):
	pass


# --- assess ---------------------------------------------------------------------------------------


def validate(request) -> None:
	"""Order Change Request `validate`: the diff, the impact and the tier, from the server's own figures."""
	if request.is_new() or not request.requested_by:
		request.requested_by = request.owner or frappe.session.user
	if request.docstatus == 0:
		request.status = DRAFT
	request.reason = plain_text(request.reason)
	order = changeable_order(request.customer_order)
	assess(request, order)


def changeable_order(name: str) -> CustomerOrder:
	order = frappe.get_doc("Customer Order", name)
	if order.docstatus != 1 or not order.sales_order or order.status not in CHANGEABLE_ORDER_STATUSES:
		frappe.throw(
			_("Customer Order {0} is {1}: only an approved order not fully delivered can be changed").format(
				order.name, _(order.status)
			),
			OrderNotChangeableError,
			title=_("Cannot Change"),
		)
	return order


def assess(request, order: CustomerOrder):
	"""Fill the request's diff and impact; returns the tier decision (problems raised)."""
	so = frappe.get_doc("Sales Order", order.sales_order)
	request.sales_order = so.name
	request.customer, request.company, request.currency = order.customer, order.company, order.currency
	request.customer_name = order.customer_name
	request.delivery_date_before = order.delivery_date
	request.shipping_address_before = order.shipping_address_name
	request.payment_terms_before = so.payment_terms_template
	_check_header(request, order)
	terms_changed = _check_payment_terms(request, so)
	rows = _match_rows(request, order)
	_check_new_items(request, order)
	_set_new_line_warehouses(request, order, so)
	after = _priced_after(request, order, rows)
	_check_minimum_rates(request, order, after)
	changes = _fill_lines(request, order, so, rows, after)
	request.net_total_before, request.net_total_after = flt(order.net_total), flt(after.net_total)
	request.taxes_before = flt(order.total_taxes_and_charges)
	request.taxes_after = flt(after.total_taxes_and_charges)
	request.grand_total_before, request.grand_total_after = flt(order.grand_total), flt(after.grand_total)
	request.grand_total_difference = request.grand_total_after - request.grand_total_before
	rate = flt(order.conversion_rate) or 1.0
	request.payment_schedule_before = schedule_text(so.payment_schedule, order.currency)
	request.payment_schedule_after = (
		schedule_text(_schedule_after(so, request.new_payment_terms_template, after), order.currency)
		if terms_changed
		else None
	)

	credit_limit = flt(get_credit_limit(order.customer, order.company))
	outstanding = flt(get_customer_outstanding(order.customer, order.company)) if credit_limit else 0.0
	increase = max(request.grand_total_difference, 0.0) * rate
	request.credit_limit = credit_limit
	request.credit_exposure_after = outstanding + increase if credit_limit else 0.0
	change_facts = ChangeFacts(
		lines=tuple(changes),
		total_before=flt(order.base_grand_total),
		total_after=flt(after.grand_total) * rate,
		increase_threshold=flt(
			frappe.db.get_single_value("Order Management Settings", "change_review_threshold")
		),
		delivery_date_changed=bool(request.new_delivery_date)
		and getdate(request.new_delivery_date) != getdate(order.delivery_date),
		delivery_date_met=_delivery_date_met(request, changes, rows),
		address_changed=bool(request.new_shipping_address_name)
		and request.new_shipping_address_name != order.shipping_address_name,
		credit_limit=credit_limit,
		outstanding=outstanding,
		payment_terms_changed=terms_changed,
		payment_terms_before=so.payment_terms_template or "",
		payment_terms_after=(
			request.new_payment_terms_template if terms_changed else so.payment_terms_template
		)
		or "",
		has_prior_invoice=bool(
			frappe.db.exists("Sales Invoice", {"customer": order.customer, "docstatus": 1})
		),
		flagged_for_review=bool(
			cint(frappe.db.get_value("Customer", order.customer, "requires_order_review"))
		),
		order_type=order.order_type or "",
		channel=request.channel or "",
	)
	decision = decide_change(change_facts, change_rules(), review_facts.enabled_stages(), STAGES)
	request.tier = decision.tier.value
	request.review_route = ", ".join(decision.route)
	request.tier_reasons = "\n".join(_(reason.template).format(*reason.args) for reason in decision.reasons)
	request.new_shortage_qty = sum(flt(row.new_shortage_qty) for row in request.items)
	request.extra_reservable_qty = sum(
		max(min(change.extra_stock_qty, change.free_stock_qty), 0)
		for change in changes
		if change.is_stock_item
	)
	request.delivered_qty = sum(flt(row.delivered_qty) for row in so.items)
	request.picked_qty = sum(flt(row.picked_qty) for row in so.items)
	request.billed_amount = sum(flt(row.billed_amt) for row in so.items)
	if decision.problems:
		frappe.throw(
			"<br>".join(_(problem.template).format(*problem.args) for problem in decision.problems),
			ChangeRequestError,
			title=_("Cannot Change"),
		)
	return decision


def _check_header(request, order: CustomerOrder) -> None:
	if request.new_delivery_date and getdate(request.new_delivery_date) < getdate(order.order_date):
		frappe.throw(
			_("The new delivery date {0} is before the order date {1}").format(
				request.new_delivery_date, order.order_date
			),
			ChangeRequestError,
		)
	address = request.new_shipping_address_name
	if address and not frappe.db.exists(
		"Dynamic Link",
		{"parenttype": "Address", "parent": address, "link_doctype": "Customer", "link_name": order.customer},
	):
		frappe.throw(
			_("Address {0} is not an address of customer {1}").format(address, order.customer),
			ChangeRequestError,
		)


def change_rules() -> list[ReviewRule]:
	"""The enabled Order Review Rules whose Applies to Changes box is ticked (the admin's choice)."""
	rules = []
	for row in frappe.get_all(
		"Order Review Rule",
		filters={"enabled": 1, "applies_to_changes": 1},
		fields=["name", "condition", "stage", "threshold", "match_value"],
		order_by="name asc",
	):
		try:
			condition = Condition(row.condition)
		except ValueError:
			continue  # a condition added by a newer version
		rules.append(ReviewRule(row.name, condition, row.stage, flt(row.threshold), row.match_value or ""))
	return rules


def _check_payment_terms(request, so) -> bool:
	"""Whether the request changes the payment terms; refused once the order is invoiced (the invoice
	copied the old schedule) or a payment is allocated to a term of its schedule."""
	new = request.new_payment_terms_template
	if not new or new == so.payment_terms_template:
		request.new_payment_terms_template = None
		return False
	label = _(request.meta.get_label("new_payment_terms_template"))
	invoice_item = frappe.qb.DocType("Sales Invoice Item")
	invoices = (
		frappe.qb.from_(invoice_item)
		.select(invoice_item.parent)
		.distinct()
		.where((invoice_item.sales_order == so.name) & (invoice_item.docstatus < 2))
		.limit(3)
	).run(pluck=True)
	if invoices:
		frappe.throw(
			_(
				"{0}: Sales Order {1} is already invoiced ({2}): its payment terms can no longer change"
			).format(label, so.name, ", ".join(invoices)),
			PaymentTermsLockedError,
			title=_("Cannot Change"),
		)
	if any(flt(row.paid_amount) > 0 for row in so.payment_schedule):
		frappe.throw(
			_(
				"{0}: payments are allocated to the payment schedule of Sales Order {1}: its payment terms can no longer change"
			).format(label, so.name),
			PaymentTermsLockedError,
			title=_("Cannot Change"),
		)
	return True


def _schedule_after(so, template: str, after: CustomerOrder) -> list:
	"""The payment schedule ERPNext builds from the template for the order's new total (its own
	`get_payment_terms`, as Update Items applies it)."""
	from erpnext.controllers.accounts_controller import get_payment_terms

	base_total = flt(after.grand_total) * (flt(so.conversion_rate) or 1.0)
	return [
		frappe._dict(row)
		for row in get_payment_terms(template, so.transaction_date, flt(after.grand_total), base_total) or []
	]


def schedule_text(rows, currency: str) -> str:
	"""One line per instalment: due date · portion · amount (payment term)."""
	lines = []
	for row in rows:
		text = "{} · {}% · {}".format(
			frappe.utils.formatdate(row.get("due_date")) if row.get("due_date") else "-",
			frappe.utils.fmt_money(row.get("invoice_portion"), precision=2),
			frappe.utils.fmt_money(row.get("payment_amount"), currency=currency),
		)
		if row.get("payment_term"):
			text += f" ({row.get('payment_term')})"
		lines.append(text)
	return "\n".join(lines)


def _check_new_items(request, order: CustomerOrder) -> None:
	"""An added item must be one a new order could have: enabled, not past its end of life, sellable,
	not a template."""
	codes = [row.item_code for row in request.items if not row.order_item and row.item_code]
	items = {
		item.name: item
		for item in frappe.get_all(
			"Item",
			filters={"name": ("in", codes or [""])},
			fields=["name", "disabled", "end_of_life", "is_sales_item", "has_variants"],
		)
	}
	for row in request.items:
		item = items.get(row.item_code) if not row.order_item else None
		if not item:
			continue
		label, code = _("Row {0}").format(row.idx), frappe.bold(row.item_code)
		if item.disabled or (item.end_of_life and getdate(item.end_of_life) <= getdate(order.order_date)):
			frappe.throw(_("{0}: Item {1} is disabled").format(label, code), ChangeRequestError)
		if not item.is_sales_item:
			frappe.throw(_("{0}: Item {1} is not a sales item").format(label, code), ChangeRequestError)
		if item.has_variants:
			frappe.throw(
				_("{0}: Item {1} is a template; choose one of its variants").format(label, code),
				ChangeRequestError,
			)


def _set_new_line_warehouses(request, order: CustomerOrder, so) -> None:
	"""A new line's warehouse: the one given on the row, else the item's default for the company, else
	the Sales Order's default; it must be a stock warehouse of the order's company."""
	for row in request.items:
		if row.order_item:
			continue
		if not row.warehouse:
			row.warehouse = (
				frappe.db.get_value(
					"Item Default",
					{"parent": row.item_code, "parenttype": "Item", "company": order.company},
					"default_warehouse",
				)
				or so.set_warehouse
			)
		if not row.warehouse:
			frappe.throw(
				_("Row {0}: choose the Warehouse for the new item {1}").format(row.idx, row.item_code),
				NewLineWarehouseError,
			)
		warehouse = frappe.db.get_value(
			"Warehouse", row.warehouse, ["company", "is_group", "disabled"], as_dict=True
		)
		if not warehouse or warehouse.company != order.company:
			frappe.throw(
				_("Row {0}: Warehouse {1} is not a warehouse of company {2}").format(
					row.idx, row.warehouse, order.company
				),
				NewLineWarehouseError,
			)
		if warehouse.is_group or warehouse.disabled:
			frappe.throw(
				_("Row {0}: Warehouse {1} is a group or disabled: choose one that holds stock").format(
					row.idx, row.warehouse
				),
				NewLineWarehouseError,
			)


def _match_rows(request, order: CustomerOrder) -> dict[str, object]:
	"""Request row per order line it changes (by the line's name); new lines have no order line."""
	lines = {line.name: line for line in order.items}
	matched = {}
	for row in request.items:
		if row.order_item:
			line = lines.get(row.order_item)
			if not line:
				frappe.throw(
					_("Row {0}: line {1} is not on order {2}").format(row.idx, row.order_item, order.name),
					ChangeRequestError,
				)
			if row.order_item in matched:
				frappe.throw(
					_("Row {0}: line {1} of {2} is changed twice").format(row.idx, line.idx, line.item_code),
					ChangeRequestError,
				)
			row.item_code = line.item_code
			matched[row.order_item] = row
		elif not row.item_code:
			frappe.throw(_("Row {0}: choose the item to add").format(row.idx), ChangeRequestError)
	return matched


def _priced_after(request, order: CustomerOrder, rows: dict) -> CustomerOrder:
	"""The order as it would be, priced by ERPNext as a new order is (not saved). Lines keep their place;
	a removed line is left out; new lines go last."""
	after = frappe.new_doc("Customer Order")
	for fieldname in HEADER_FIELDS:
		after.set(fieldname, order.get(fieldname))
	after.conversion_rate = order.conversion_rate
	after.delivery_date = request.new_delivery_date or order.delivery_date
	after.shipping_address_name = request.new_shipping_address_name or order.shipping_address_name
	after.payment_terms_template = request.new_payment_terms_template or order.payment_terms_template
	after.flags.sources = []
	for line in order.items:
		row = rows.get(line.name)
		qty = flt(row.qty) if row else flt(line.qty)
		if qty <= EPSILON:
			continue
		asked_rate = flt(row.rate) if row else 0.0
		asked_discount = flt(row.discount_percentage) if row else 0.0
		after.append(
			"items",
			{
				"item_code": line.item_code,
				"qty": qty,
				"uom": line.uom,
				"warehouse": line.warehouse,
				"delivery_date": request.new_delivery_date or line.delivery_date,
				"rate": asked_rate or (None if asked_discount else line.rate),
				"discount_percentage": asked_discount or None,
				"pricing_rules": line.pricing_rules,
			},
		)
		after.flags.sources.append(line.name)
	for row in request.items:
		if row.order_item or flt(row.qty) <= EPSILON:
			continue
		after.append(
			"items",
			{
				"item_code": row.item_code,
				"qty": flt(row.qty),
				"warehouse": row.warehouse,
				"delivery_date": request.new_delivery_date or order.delivery_date,
				"rate": flt(row.rate) or None,
				"discount_percentage": flt(row.discount_percentage) or None,
			},
		)
		after.flags.sources.append(row)
	if after.items:
		price_order(after)
	return after


def _check_minimum_rates(request, order: CustomerOrder, after: CustomerOrder) -> None:
	"""A rate asked for (a changed or added line's) may not go below the item's floor, as on a new order:
	the price-list rate less the item's Max Discount (else the settings' default)."""
	from order_mgmt.orders import rules
	from order_mgmt.settings import get_settings

	rates_before = {line.name: flt(line.rate) for line in order.items}
	changed = {row.order_item: row for row in request.items if row.order_item}
	default_max = flt(get_settings().max_discount_percentage)
	for line, source in zip(after.items, after.flags.sources, strict=True):
		row = changed.get(source) if isinstance(source, str) else source  # an order line's name, or a new row
		if not row or (isinstance(source, str) and abs(flt(line.rate) - rates_before[source]) <= 0.005):
			continue  # an unchanged line, or its agreed rate stands
		max_discount = flt(frappe.db.get_value("Item", line.item_code, "max_discount")) or default_max
		if max_discount <= 0 or not rules.is_below_minimum_rate(
			flt(line.rate), flt(line.price_list_rate), max_discount
		):
			continue
		money = {"fieldtype": "Currency", "options": order.currency}
		frappe.throw(
			_(
				"{0}: Rate {1} for {2} is below {3}, the price-list rate {4} less the maximum discount of {5}%"
			).format(
				_("Row {0}").format(row.idx),
				frappe.format_value(line.rate, money),
				frappe.bold(line.item_code),
				frappe.format_value(rules.minimum_rate(line.price_list_rate, max_discount), money),
				frappe.format_value(line.price_list_rate, money),
				max_discount,
			),
			ChangeRequestError,
			title=_("Rate Below Floor"),
		)


def _fill_lines(request, order: CustomerOrder, so, rows: dict, after: CustomerOrder) -> list[LineChange]:
	so_rows = {row.name: row for row in so.items}
	reserved = reserved_qty_by_line(so.name)
	after_of = {}
	for after_line, source in zip(after.items, after.flags.sources, strict=True):
		after_of[source if isinstance(source, str) else id(source)] = after_line
	item_codes = [line.item_code for line in order.items] + [row.item_code for row in request.items]
	stock_items = stock_item_codes(item_codes)
	valuation = _valuation_rates(after)
	rate = flt(order.conversion_rate) or 1.0
	free = {}
	changes = []

	def free_stock(item_code, warehouse):
		if (item_code, warehouse) not in free:
			free[(item_code, warehouse)] = free_to_reserve(item_code, warehouse)
		return free[(item_code, warehouse)]

	for line in order.items:
		row = rows.get(line.name)
		new = after_of.get(line.name)
		so_row = so_rows.get(line.sales_order_item) or frappe._dict()
		action = Action.KEEP
		if row:
			if not new:
				action = Action.REMOVE
			elif abs(flt(new.qty) - flt(line.qty)) > EPSILON or abs(flt(new.rate) - flt(line.rate)) > 0.005:
				action = Action.CHANGE
		change = _line_change(
			line.idx,
			line.item_code,
			action,
			line,
			new,
			line,
			so_row,
			stock_items,
			valuation,
			rate,
			free_stock,
		)
		changes.append(change)
		if row:
			_write_row(row, change, line, new, so_row, reserved)
	for row in request.items:
		if row.order_item:
			continue
		new = after_of.get(id(row))
		source = new or frappe._dict(conversion_factor=1, warehouse=row.warehouse)
		change = _line_change(
			row.idx,
			row.item_code,
			Action.ADD,
			None,
			new,
			source,
			{},
			stock_items,
			valuation,
			rate,
			free_stock,
		)
		changes.append(change)
		_write_row(row, change, None, new or source, {}, reserved)
	return changes


def _line_change(idx, item_code, action, line, new, source, so_row, stock_items, valuation, rate, free_stock):
	conversion = flt((new or source).conversion_factor) or 1.0
	warehouse = (new or source).warehouse
	net_rate = flt(new.rate) * rate / conversion if new else 0.0
	return LineChange(
		idx=idx,
		item_code=item_code,
		action=action,
		qty_before=flt(line.qty) if line else 0.0,
		qty_after=flt(new.qty) if new else 0.0,
		rate_before=flt(line.rate) if line else 0.0,
		rate_after=flt(new.rate) if new else flt(line.rate),
		discount_before=flt(line.discount_percentage) if line else 0.0,
		discount_after=flt(new.discount_percentage) if new else 0.0,
		conversion_factor=conversion,
		delivered_qty=flt(so_row.get("delivered_qty")),
		picked_qty=flt(so_row.get("picked_qty")),
		is_stock_item=item_code in stock_items,
		free_stock_qty=free_stock(item_code, warehouse) if item_code in stock_items and warehouse else 0.0,
		net_rate_per_stock_uom=net_rate,
		valuation_rate=valuation.get((item_code, warehouse)) or None,
	)


def _write_row(row, change: LineChange, line, new, so_row, reserved: dict) -> None:
	source = new or line
	row.action = change.action.value
	row.item_name = source.get("item_name")
	row.uom, row.conversion_factor = source.get("uom"), source.get("conversion_factor")
	row.warehouse = source.get("warehouse")
	row.sales_order_item = line.sales_order_item if line else None
	row.qty_before, row.rate_before = change.qty_before, change.rate_before
	row.discount_before = change.discount_before
	row.amount_before = flt(line.amount) if line else 0.0
	row.rate_after, row.discount_after = change.rate_after, change.discount_after
	row.amount_after = flt(new.get("amount")) if new else 0.0
	row.delivered_qty, row.picked_qty = change.delivered_qty, change.picked_qty
	row.billed_amount = flt(so_row.get("billed_amt"))
	row.reserved_qty = flt(reserved.get(so_row.get("name"))) if so_row else 0.0
	row.free_stock_qty = change.free_stock_qty if change.is_stock_item else 0.0
	row.new_shortage_qty = change.new_shortage
	row.valuation_rate = change.valuation_rate or 0.0
	net = change.net_rate_per_stock_uom
	row.margin_percentage = (
		(net - flt(change.valuation_rate)) / net * 100 if net and change.valuation_rate else 0.0
	)


def _valuation_rates(after: CustomerOrder) -> dict[tuple[str, str], float]:
	"""Cost per stock UOM (company currency): the Bin's valuation, else the item's."""
	result = {}
	for line in after.items:
		key = (line.item_code, line.warehouse)
		if key in result:
			continue
		result[key] = flt(
			frappe.db.get_value(
				"Bin", {"item_code": line.item_code, "warehouse": line.warehouse}, "valuation_rate"
			)
		) or flt(frappe.db.get_value("Item", line.item_code, "valuation_rate"))
	return result


def free_to_reserve(item_code: str, warehouse: str) -> float:
	"""Actual quantity less open reservations, as the reservation reads it (without its locks: an estimate
	for the assessment; the apply reserves under the locks)."""
	actual = flt(frappe.db.get_value("Bin", {"item_code": item_code, "warehouse": warehouse}, "actual_qty"))
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
	).run()
	return actual - flt(reserved[0][0] if reserved else 0)


def _delivery_date_met(request, changes: list[LineChange], rows: dict) -> bool:
	"""A new date is met when no line is (or becomes) short, or the earliest open supply of each short
	line (Purchase Order, else Material Request) arrives by then."""
	if not request.new_delivery_date:
		return True
	from order_mgmt.fulfilment.shortage import expected_availability

	new_date = getdate(request.new_delivery_date)
	order = frappe.get_doc("Customer Order", request.customer_order)
	short_lines = {line.item_code: line for line in order.items if flt(line.shortage_qty) > EPSILON}
	warehouses = {row.item_code: row.warehouse for row in request.items if row.warehouse}
	for change in changes:
		if change.new_shortage > EPSILON:
			short_lines.setdefault(change.item_code, None)
	for item_code, line in short_lines.items():
		expected, _document = expected_availability(
			item_code, line.warehouse if line else warehouses.get(item_code)
		)
		if not expected or getdate(expected) > new_date:
			return False
	return True


# --- submit and review -----------------------------------------------------------------------------


def before_submit(request) -> None:
	request.status = PENDING if request.review_route else APPLIED
	request.current_stage = route_of(request)[0] if request.review_route else None


def on_submit(request) -> None:
	if not request.review_route:
		apply(request)
	else:
		request.add_comment(
			"Info",
			_("Waiting for {0} review: {1}").format(_(request.current_stage), request.tier_reasons or ""),
		)


def route_of(request) -> list[str]:
	return [stage.strip() for stage in (request.review_route or "").split(",") if stage.strip()]


def before_cancel(request) -> None:
	if request.status == APPLIED:
		frappe.throw(
			_("Change {0} is already applied to the order: ask for another change to undo it").format(
				request.name
			),
			ChangeRequestError,
		)
	request.status = CANCELLED
	request.current_stage = None


@frappe.whitelist(methods=["POST"])
def decide(name: str, decision: str, comment: str | None = None) -> dict:
	"""Approve or reject the stage a change request waits for; the last approval applies the change."""
	if decision not in ("Approved", "Rejected"):
		frappe.throw(_("Unknown decision {0}").format(decision), ChangeRequestError)
	request = frappe.get_doc("Order Change Request", name, for_update=True)
	request.check_permission("read")
	if request.docstatus != 1 or request.status != PENDING or not request.current_stage:
		frappe.throw(
			_("Change {0} is {1}: there is nothing to decide").format(name, _(request.status)),
			ChangeRequestError,
		)
	stage = request.current_stage
	user = frappe.session.user
	check_may_decide(request, stage, user)
	if decision == "Rejected" and not (comment or "").strip():
		frappe.throw(_("Give a reason to reject change {0}").format(name), ChangeRequestError)
	from order_mgmt.review.actions import atomic

	with atomic("change_decision"):  # the decision is recorded only with its consequence
		return _record_decision(request, stage, user, decision, (comment or "").strip())


def _record_decision(request, stage: str, user: str, decision: str, comment: str) -> dict:
	row = request.append(
		"decisions",
		{
			"stage": stage,
			"reviewer": user,
			"reviewer_name": get_fullname(user),
			"decision": decision,
			"comment": comment,
			"decided_on": now_datetime(),
		},
	)
	row.db_insert()
	if decision == "Rejected":
		request.db_set({"status": REJECTED, "current_stage": None})
		request.add_comment("Info", _("{0} review rejected the change: {1}").format(_(stage), comment))
		return {"status": REJECTED}
	approved = [d.stage for d in request.decisions if d.decision == "Approved"]
	following = next_stage(route_of(request), approved)
	if following:
		request.db_set("current_stage", following)
		return {"status": PENDING, "current_stage": following}
	apply(request)
	return {"status": APPLIED}


def check_may_decide(request, stage: str, user: str) -> None:
	if user in (request.requested_by, request.owner):
		frappe.throw(
			_("{0} asked for change {1} and cannot also approve it (four-eyes)").format(user, request.name),
			ChangeFourEyesError,
			title=_("Four-Eyes"),
		)
	role = frappe.db.get_value("Order Review Stage", stage, "role")
	roles = set(frappe.get_roles(user))
	if not (roles & OVERRIDING_ROLES or (role and role in roles)):
		frappe.throw(
			_("Only a {0} decides the {1} review of a change").format(_(role or "Order Manager"), _(stage)),
			frappe.PermissionError,
		)


# --- apply -------------------------------------------------------------------------------------------


def apply(request) -> None:
	"""Apply the change to ERPNext's Sales Order and to the Customer Order, all or nothing."""
	from order_mgmt.erpnext_bridge.sales_order_update import (
		SalesOrderUpdateError,
		refuse_open_pick_list,
		update_sales_order,
	)
	from order_mgmt.review.actions import atomic, credit_approver

	# The Sales Order's row first, as Pick Lists take it (then the order, then the Bins): a change and a
	# Pick List of the same order queue in that one place instead of deadlocking.
	sales_order = frappe.db.get_value("Customer Order", request.customer_order, "sales_order")
	if sales_order:
		frappe.db.get_value("Sales Order", sales_order, "name", for_update=True)
		refuse_open_pick_list(sales_order)
	order = frappe.get_doc("Customer Order", request.customer_order, for_update=True)
	refuse_stale_view(request, order.name, sales_order)
	reviewed_total = flt(request.grand_total_after)
	# Assessed again with the order as it is now (under its lock): what was reviewed must still hold.
	current = frappe.get_doc(request.as_dict())
	current.flags.sources = None
	assess(current, changeable_order(order.name))
	if abs(flt(current.grand_total_after) - reviewed_total) > 0.01:
		frappe.throw(
			_(
				"Order {0} changed since change {1} was assessed (new total {2} instead of {3}): ask for the change again"
			).format(order.name, request.name, flt(current.grand_total_after), reviewed_total),
			ChangeMovedOnError,
		)
	approved = {d.stage for d in request.decisions if d.decision == "Approved"}
	unreviewed = [stage for stage in route_of(current) if stage not in approved]
	if unreviewed:
		frappe.throw(
			_(
				"Change {0} now needs {1} review too (the order or its stock changed since it was assessed): ask for the change again"
			).format(request.name, ", ".join(_(stage) for stage in unreviewed)),
			ChangeMovedOnError,
		)
	lines = _lines_for_update_items(current, order)
	finance = next(
		(d.reviewer for d in request.decisions if d.decision == "Approved" and d.stage == "Finance"), None
	)
	try:
		with atomic("apply_change"):
			so, reserved = update_sales_order(
				order.sales_order,
				lines,
				order.name,
				credit_approver=finance or credit_approver(order),
				delivery_date=request.new_delivery_date,
				shipping_address_name=request.new_shipping_address_name,
				payment_terms_template=current.new_payment_terms_template,
			)
			_rewrite_order(order, so, reserved, request)
	except frappe.ValidationError as error:
		if isinstance(error, ChangeRequestError | SalesOrderUpdateError) or is_busy_error(error):
			raise  # the app's own refusal (an open Pick List), or "database busy": said as it is
		frappe.clear_last_message()
		frappe.throw(
			_("ERPNext refused the change of Sales Order {0}: {1}").format(
				order.sales_order, frappe.utils.strip_html(str(error))
			),
			ChangeRefusedError,
			title=_("Change Refused"),
		)
	request.db_set(
		{
			"status": APPLIED,
			"current_stage": None,
			"applied_on": now_datetime(),
			"applied_by": frappe.session.user,
		}
	)
	order.add_comment(
		"Info",
		_("Change {0} applied: grand total {1} → {2}").format(
			request.name, flt(request.grand_total_before), flt(request.grand_total_after)
		),
	)
	notify_customer(request, order)


def refuse_stale_view(request, order_name: str, sales_order: str | None) -> None:
	"""This transaction may have read the order before another change of it committed (MariaDB's repeatable
	read keeps the snapshot of its first read; only its locking reads see the commit): then everything it
	assessed, and the lines it would hand to Update Items, are the order as it was. Refused, to be asked
	again, when a locked row is newer than the snapshot's."""
	for doctype, name in (("Customer Order", order_name), ("Sales Order", sales_order)):
		if name and changed_since_snapshot(doctype, [name]):
			frappe.throw(
				_(
					"Order {0} was changed by someone else while change {1} waited for it: ask for the change again"
				).format(order_name, request.name),
				ChangeMovedOnError,
				title=_("Order Changed Meanwhile"),
			)


def notify_customer(request, order: CustomerOrder) -> bool:
	"""Email the customer the change notice of an applied change (never stops the change: utils.email_customer)."""
	from order_mgmt.utils import customer_email, email_customer

	email = customer_email(order.customer, order.contact_person)
	if not email:
		return False
	lines = [
		_("Your order {0} was changed as you asked ({1}).").format(order.name, request.name),
		_("Grand total: {0} → {1}").format(
			frappe.utils.fmt_money(request.grand_total_before, currency=request.currency),
			frappe.utils.fmt_money(request.grand_total_after, currency=request.currency),
		),
	]
	for row in request.items:
		lines.append(
			_("Row {0}: {1} {2}, quantity {3} → {4}, rate {5} → {6}").format(
				row.idx,
				_(row.action),
				row.item_code,
				flt(row.qty_before),
				flt(row.qty),
				flt(row.rate_before),
				flt(row.rate_after),
			)
		)
	if request.new_delivery_date:
		lines.append(_("New delivery date: {0}").format(frappe.utils.formatdate(request.new_delivery_date)))
	if request.new_payment_terms_template:
		lines.append(_("New payment terms: {0}").format(request.new_payment_terms_template))
	return email_customer(
		request,
		email,
		_("Change to your order {0}").format(order.name),
		lines,
		_("Change notice email to {0} not sent: no outgoing Email Account is set up"),
	)


def is_busy_error(error: Exception) -> bool:
	from order_mgmt.review.actions import DatabaseBusyError

	return isinstance(error, DatabaseBusyError)


def _lines_for_update_items(request, order: CustomerOrder) -> list[dict]:
	from order_mgmt.erpnext_bridge.sales_order_update import line_for_update_items

	so = frappe.get_doc("Sales Order", order.sales_order)
	so_rows = {row.name: row for row in so.items}
	changed = {row.order_item: row for row in request.items if row.order_item}
	lines = []
	for line in order.items:
		so_row = so_rows.get(line.sales_order_item)
		if not so_row:
			continue
		row = changed.get(line.name)
		if row and row.action == Action.REMOVE.value:
			continue
		qty = flt(row.qty) if row else flt(so_row.qty)
		rate = flt(row.rate_after) if row else flt(so_row.rate)
		lines.append(line_for_update_items(so_row, qty, rate, request.new_delivery_date))
	for row in request.items:
		if row.order_item:
			continue
		lines.append(
			{
				"item_code": row.item_code,
				"qty": flt(row.qty),
				"rate": flt(row.rate_after),
				"uom": row.uom,
				"conversion_factor": flt(row.conversion_factor) or 1,
				"delivery_date": str(request.new_delivery_date or order.delivery_date),
				"warehouse": row.warehouse,
			}
		)
	return lines


ORDER_LINE_FIELDS = (
	"item_code",
	"item_name",
	"qty",
	"uom",
	"conversion_factor",
	"stock_uom",
	"stock_qty",
	"price_list_rate",
	"discount_percentage",
	"rate",
	"amount",
	"warehouse",
	"delivery_date",
)


def _rewrite_order(order: CustomerOrder, so, reserved: dict, request) -> None:
	"""The Customer Order's lines, taxes and totals become the Sales Order's (its current state)."""
	from order_mgmt.accounting.payments import sync_payment_status
	from order_mgmt.fulfilment.shortage import record_shortages
	from order_mgmt.orders.tracking import sync_from_sales_order

	before = frappe.get_doc("Customer Order", order.name)  # for the Version of this rewrite
	by_so_row = {line.sales_order_item: line for line in order.items if line.sales_order_item}
	kept = set()
	for so_row in so.items:
		values = {fieldname: so_row.get(fieldname) for fieldname in ORDER_LINE_FIELDS}
		values["idx"] = so_row.idx
		line = by_so_row.get(so_row.name)
		if line:
			kept.add(line.name)
			if any(line.get(k) != v for k, v in values.items()):
				line.db_set(values, update_modified=False)
		else:
			line = order.append("items", {**values, "sales_order_item": so_row.name})
			line.idx = so_row.idx
			line.db_insert()
			kept.add(line.name)
	for line in list(order.items):
		if line.name not in kept:
			frappe.db.delete("Customer Order Item", {"name": line.name, "parent": order.name})
	frappe.db.delete("Sales Taxes and Charges", {"parent": order.name, "parenttype": "Customer Order"})
	order.set("taxes", [])
	for tax in so.taxes:
		order.append("taxes", {fieldname: tax.get(fieldname) for fieldname in TAX_FIELDS}).db_insert()
	header = {
		"total_qty": flt(so.total_qty),
		"net_total": flt(so.net_total),
		"total_taxes_and_charges": flt(so.total_taxes_and_charges),
		"grand_total": flt(so.grand_total),
		"base_grand_total": flt(so.base_grand_total),
		"delivery_date": so.delivery_date,
	}
	if request.new_shipping_address_name:
		header["shipping_address_name"] = so.shipping_address_name
		header["shipping_address"] = so.shipping_address
	if request.new_payment_terms_template:
		header["payment_terms_template"] = so.payment_terms_template
	with server_owned.writing(order):
		order.db_set(header)
	order.reload()
	record_version(before, order, request)
	record_shortages(order, so, reserved)
	sync_from_sales_order(so)
	sync_payment_status(order.name)


def record_version(before: CustomerOrder, after: CustomerOrder, request) -> str | None:
	"""A Version of the Customer Order with Frappe's own diff (fields, rows changed, added, removed), as a
	save would record it, pointing at the change request (the form's history says "via OCR-...")."""
	after.flags.updater_reference = {
		"doctype": request.doctype,
		"docname": request.name,
		"label": _("via {0}").format(request.name),
	}
	version = frappe.new_doc("Version")
	if not version.update_version_info(before, after):
		return None
	version.insert(ignore_permissions=True)
	return version.name


def keep_change_requests_as_history(doc, method=None) -> None:
	"""Sales Order / Customer Order on_cancel (hooks, after the controller's): the order's submitted change
	requests link to it as its history, which Frappe's link check would otherwise take for a reason not
	to cancel."""
	doc.ignore_linked_doctypes = (*(doc.get("ignore_linked_doctypes") or ()), "Order Change Request")


def refuse_closed_order(request) -> None:
	"""Order Change Request `check_if_latest` (before Frappe's link check, which would only say "cannot link
	cancelled document"): a request inserted, or a draft saved or submitted again, is refused naming the
	order's state once its order can no longer be changed (cancelled, delivered)."""
	if request.get("_action") in ("save", "submit"):
		changeable_order(request.customer_order)


def on_order_cancel(order, method=None) -> None:
	"""Customer Order on_cancel (hooks): a change still waiting for review is cancelled with the order; applied
	ones stay as its history; drafts are marked Cancelled (submitting one is refused: `refuse_closed_order`)."""
	keep_change_requests_as_history(order)
	for name in frappe.get_all(
		"Order Change Request", filters={"customer_order": order.name, "docstatus": 0}, pluck="name"
	):
		frappe.db.set_value("Order Change Request", name, "status", CANCELLED, update_modified=False)
		frappe.get_doc("Order Change Request", name).add_comment(
			"Info", _("Order {0} was cancelled: this draft can no longer be submitted").format(order.name)
		)
	for name in frappe.get_all(
		"Order Change Request",
		filters={"customer_order": order.name, "docstatus": 1, "status": PENDING},
		pluck="name",
	):
		request = frappe.get_doc("Order Change Request", name)
		request.flags.ignore_permissions = True  # the order's cancellation was permitted
		with server_owned.writing(request):
			request.cancel()
		request.add_comment("Info", _("Cancelled with order {0}").format(order.name))


def changes_of_order(order_name: str) -> list[dict]:
	"""Every change request of an order, newest first (the order's history)."""
	return frappe.get_all(
		"Order Change Request",
		filters={"customer_order": order_name, "docstatus": ("<", 2)},
		fields=[
			"name",
			"status",
			"tier",
			"grand_total_before",
			"grand_total_after",
			"applied_on",
			"creation",
		],
		order_by="creation desc",
	)


def pending_changes(order_name: str) -> int:
	return cint(frappe.db.count("Order Change Request", {"customer_order": order_name, "status": PENDING}))
