"""Ordering in the customer portal: the new-order page's item search, its server-side pricing, placing
the order, re-ordering a past order and cancelling an order still in review.

A portal order is an ordinary Customer Order (channel Portal): it is inserted and submitted through
the DocType, so every intake check (orders/intake.py), ERPNext's pricing (erpnext_bridge/sales_order.py
price_order: the customer's own price list and pricing rules) and the review routing apply exactly as
for a desk order; the shipped rule sends portal orders to Sales. The submit is the programmatic
equivalent of the desk's "Submit for Review" (review/workflow.py before_submit moves a Draft into the
state of the first stage of its route, or Approved when it needs none).

What the browser may choose is listed in CART_FIELDS and LINE_FIELDS; everything else it sends
(rates, discounts, totals, customer, company, channel, warehouse) is never read. The customer must be
one of the user's (portal/customers.py); only then is the order inserted with ignore_permissions
(portal users have no desk permission), as the portal user, who is its owner. It is submitted as the
app, like the portal's return requests (Frappe checks a workflow transition against the user's roles,
and "Submit for Review" belongs to desk roles); a comment on the order names the portal user.

Idempotency: the page makes one key per cart (a UUID); the order stores it in the server-owned field
`portal_request_key`. Under the customer row lock that intake takes for every submission
(intake.lock_customer), an order of the same customer with the same key is looked up first and
returned instead of creating a second one: a double click or a retried request places one order.

Templates (portal/templates.py, ?template=) pre-fill the cart like "Order again" (?from=). An order
still in review can be changed (?edit=, change_order): it is cancelled and amended, the desk's path
for an order returned for changes, so the amendment is priced, checked and reviewed again.

Placement is rate-limited per user (Frappe's rate_limit, PLACE_ORDER_LIMIT per PLACE_ORDER_WINDOW
seconds; pricing, PRICE_LIMIT). Problems come back as translated messages naming the row and field;
`place_order` also puts them in the response as `portal_errors` ({row, field, message}) so the page
shows each next to its line.
"""

from __future__ import annotations

import re

import frappe
from frappe import _
from frappe.query_builder import DocType
from frappe.query_builder.functions import Coalesce
from frappe.rate_limiter import rate_limit
from frappe.utils import add_days, cint, escape_html, flt, getdate, nowdate

from order_mgmt import server_owned
from order_mgmt.erpnext_bridge.sales_order import price_order
from order_mgmt.orders import intake
from order_mgmt.orders.live_pricing import CHECKS_BEFORE_PRICING
from order_mgmt.portal import not_found, plain
from order_mgmt.portal.customers import customers_of_user, money
from order_mgmt.portal.orders import get_order
from order_mgmt.returns.validation import number
from order_mgmt.review import notifications
from order_mgmt.review import workflow as review_workflow
from order_mgmt.utils import acting_as

CHANNEL = "Portal"
DOCTYPE = "Customer Order"

CART_FIELDS = ("delivery_date", "shipping_address_name", "customer_po", "notes")
"""The header fields a customer chooses; customer, company, channel and every figure are the server's."""
LINE_FIELDS = ("item_code", "qty")
"""What a cart line may say: the item and its quantity in the item's sales UOM."""

MAX_LINES = 200
SEARCH_LIMIT = 20
PLACE_ORDER_LIMIT = 20
PLACE_ORDER_WINDOW = 60
PRICE_LIMIT = 120
"""Pricing calls per user and window (the page prices as the cart changes)."""
RATE_LIMIT_KEY = "_portal_rate_limit_user"
"""The form_dict key the rate limiter reads its identity from: always set to the session user."""

REQUEST_KEY = re.compile(r"^[A-Za-z0-9-]{8,64}$")


class PortalOrderError(frappe.ValidationError):
	"""A portal cart that cannot be ordered (the messages name row and field)."""


class CancelNotAllowedError(PortalOrderError):
	"""The order is past review: the customer can no longer cancel it from the portal."""


class ChangeNotAllowedError(PortalOrderError):
	"""The order is past review: only a change request or a return remain."""


# --- who orders -----------------------------------------------------------------------------------


def resolve_customer(customer: str | None = None, user: str | None = None) -> str:
	"""The customer the user orders for: the one they chose, which must be theirs, or their only one."""
	customers = customers_of_user(user)
	if not customers:
		frappe.throw(
			_("Your account is not linked to a customer yet. Please contact us to have it linked."),
			frappe.PermissionError,
			title=_("Not Permitted"),
		)
	if customer:
		if not isinstance(customer, str) or customer not in customers:
			not_found("Customer", customer)
		return customer
	if len(customers) > 1:
		frappe.throw(_("Choose the customer you are ordering for"), PortalOrderError)
	return customers[0]


def order_company() -> str:
	"""The company portal orders are placed with: the global default company."""
	company = frappe.db.get_single_value(
		"Global Defaults", "default_company"
	) or frappe.defaults.get_global_default("company")
	if not company:
		frappe.throw(_("Online ordering is not set up yet. Please contact us."), PortalOrderError)
	return company


def customer_addresses(customer: str) -> list[frappe._dict]:
	"""The customer's enabled addresses, shipping addresses first."""
	address, link = DocType("Address"), DocType("Dynamic Link")
	rows = (
		frappe.qb.from_(address)
		.join(link)
		.on((link.parent == address.name) & (link.parenttype == "Address"))
		.select(
			address.name,
			address.address_title,
			address.address_line1,
			address.address_line2,
			address.city,
			address.pincode,
			address.country,
			address.is_shipping_address,
			address.address_type,
		)
		.distinct()
		.where(
			(link.link_doctype == "Customer")
			& (link.link_name == customer)
			& (Coalesce(address.disabled, 0) == 0)
		)
		.orderby(address.is_shipping_address, order=frappe.qb.desc)
		.orderby(address.name)
		.run(as_dict=True)
	)
	for row in rows:
		parts = [row.address_line1, row.address_line2, row.city, row.pincode, row.country]
		row.label = ", ".join(plain(part) for part in parts if part)
		row.title = plain(row.address_title)
	return rows


# --- sellable items -------------------------------------------------------------------------------


def sellable_items(item_codes: list[str] | None = None, txt: str | None = None) -> list[frappe._dict]:
	"""Enabled, non-template sales items not past their end of life (the conditions of
	intake.validate_items), with their sales UOM; by code, or searched by code and name."""
	item = DocType("Item")
	today = getdate(nowdate())
	query = (
		frappe.qb.from_(item)
		.select(item.name.as_("item_code"), item.item_name, item.image, item.sales_uom, item.stock_uom)
		.where(
			(item.disabled == 0)
			& (item.is_sales_item == 1)
			& (item.has_variants == 0)
			& (item.end_of_life.isnull() | (item.end_of_life > today))
		)
		.orderby(item.name)
	)
	if item_codes is not None:
		if not item_codes:
			return []
		query = query.where(item.name.isin(item_codes))
	else:
		if txt:
			pattern = f"%{txt}%"
			query = query.where(item.name.like(pattern) | item.item_name.like(pattern))
		query = query.limit(SEARCH_LIMIT)
	rows = query.run(as_dict=True)
	for row in rows:
		row.item_name = plain(row.item_name)
		row.uom = row.sales_uom or row.stock_uom
		row.image = row.image if (row.image or "").startswith(("/files/", "https://", "http://")) else None
		del row["sales_uom"]
	return rows


@frappe.whitelist()
def search_items(txt: str | None = None, customer: str | None = None) -> list[dict]:
	"""Sellable items whose code or name contains `txt` (the user must order for a customer)."""
	resolve_customer(customer)
	txt = txt.strip()[:100] if isinstance(txt, str) else ""
	return sellable_items(txt=txt)


# --- the cart -------------------------------------------------------------------------------------


def parse_cart(cart) -> dict:
	data = frappe.parse_json(cart) if isinstance(cart, str) else cart
	if not isinstance(data, dict):
		frappe.throw(_("The order could not be read"), PortalOrderError)
	lines = data.get("items")
	if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
		frappe.throw(_("The order could not be read"), PortalOrderError)
	if not lines:
		frappe.throw(_("Add at least one item to the order"), PortalOrderError)
	if len(lines) > MAX_LINES:
		frappe.throw(_("An order can have at most {0} lines").format(MAX_LINES), PortalOrderError)
	return data


def error(message: str, row: int | None = None, field: str | None = None) -> dict:
	return {"row": row, "field": field, "message": message}


def check_cart(customer: str, data: dict, lines_only: bool = False) -> tuple[dict, list[dict]]:
	"""The Customer Order to insert, built from the fields a customer chooses only, and the portal's
	own problems with it (every line at once, each naming its row and field); `lines_only`: the lines'
	problems only (a template has no header)."""
	problems = []
	lines = data["items"]
	codes = [line.get("item_code") for line in lines if isinstance(line.get("item_code"), str)]
	sellable = {row.item_code: row for row in sellable_items(item_codes=list(set(codes)))}
	items = []
	for idx, line in enumerate(lines, start=1):
		code = line.get("item_code")
		item = sellable.get(code) if isinstance(code, str) else None
		if not item:
			problems.append(
				error(
					_("Row {0}: Item {1} is not available to order").format(
						idx, frappe.bold(escape_html(str(code or "")))
					),
					idx,
					"item_code",
				)
			)
		qty = line.get("qty")
		try:
			qty = float(qty)
		except (TypeError, ValueError):
			qty = None
		if qty is None or qty != qty or qty <= 0 or qty > 1e9:
			problems.append(
				error(_("Row {0}: Quantity must be a number greater than zero").format(idx), idx, "qty")
			)
		items.append({"item_code": code if item else None, "qty": qty, "uom": item.uom if item else None})
	if lines_only:
		return {"items": items}, problems

	header = {fieldname: data.get(fieldname) for fieldname in CART_FIELDS}
	for fieldname in ("customer_po", "notes", "shipping_address_name", "delivery_date"):
		value = header.get(fieldname)
		if value is not None and not isinstance(value, str):
			header[fieldname] = None
		elif isinstance(value, str):
			header[fieldname] = value.strip() or None
	if header["customer_po"] and len(header["customer_po"]) > 140:
		problems.append(error(_("Customer PO Reference can be at most 140 characters"), None, "customer_po"))
	if not header["delivery_date"]:
		problems.append(error(_("Requested Delivery Date is required"), None, "delivery_date"))
	else:
		try:
			if getdate(header["delivery_date"]) < getdate(nowdate()):
				problems.append(
					error(_("Requested Delivery Date cannot be in the past"), None, "delivery_date")
				)
		except Exception:
			problems.append(error(_("Requested Delivery Date must be a date"), None, "delivery_date"))
			header["delivery_date"] = None
	address = header["shipping_address_name"]
	if address and address not in {row.name for row in customer_addresses(customer)}:
		problems.append(
			error(
				_("Shipping Address {0} is not one of your addresses").format(escape_html(address)),
				None,
				"shipping_address_name",
			)
		)
	doc = {
		"doctype": DOCTYPE,
		**header,
		"customer": customer,
		"company": order_company(),
		"channel": CHANNEL,
		"order_date": nowdate(),
		"items": items,
	}
	return doc, problems


def row_of(message: str, lines: int) -> int | None:
	"""The row a message of the intake checks names ("Row 3: ..."), longest label first."""
	text = frappe.utils.strip_html(message or "")
	for idx in range(lines, 0, -1):
		if text.startswith(_("Row {0}").format(idx)):
			return idx
	return None


def messages_since(seen: int) -> list[str]:
	"""The messages frappe.throw logged since `seen`, taken out of the response."""
	log = frappe.local.message_log
	messages = []
	for entry in log[seen:]:
		message = (frappe.parse_json(entry) if isinstance(entry, str) else entry).get("message")
		if message:
			messages.extend(part for part in str(message).split("<br>") if part.strip())
	del log[seen:]
	return messages


def refusal(error_value: Exception, seen: int, lines: int) -> list[dict]:
	messages = messages_since(seen) or [str(error_value)]
	return [error(message, row_of(message, lines)) for message in messages]


# --- pricing --------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def price_cart(cart, customer: str | None = None) -> dict:
	"""The lines, taxes and totals the cart would be ordered at, priced on the server exactly as a
	save prices a desk order; {"errors": [...]} instead when it could not be priced. Nothing is saved."""
	frappe.form_dict[RATE_LIMIT_KEY] = frappe.session.user
	return _price_cart(cart, customer)


@rate_limit(key=RATE_LIMIT_KEY, limit=PRICE_LIMIT, seconds=PLACE_ORDER_WINDOW, ip_based=False)
def _price_cart(cart, customer: str | None = None) -> dict:
	customer = resolve_customer(customer)
	data = parse_cart(cart)
	doc, problems = check_cart(customer, data)
	if problems:
		return {"errors": problems}
	seen = len(frappe.local.message_log)
	try:
		order = frappe.get_doc(doc)
		for step in CHECKS_BEFORE_PRICING:
			step(order)
		price_order(order)
		intake.validate_whole_number_quantities(order)
	except frappe.ValidationError as problem:
		return {"errors": refusal(problem, seen, len(doc["items"]))}
	return {"errors": [], **priced(order)}


def priced(order) -> dict:
	currency = order.currency
	ships = ship_dates(order)
	return {
		"currency": currency,
		"lines": [
			{
				"row": line.idx,
				"item_code": line.item_code,
				"item_name": plain(line.item_name),
				"qty": number(line.qty),
				"uom": line.uom,
				"uom_label": _(line.uom) if line.uom else "",
				"rate": money(line.rate, currency),
				"amount": money(line.amount, currency),
				"ships": ships.get(line.idx, ""),
			}
			for line in order.items
		],
		"taxes": [
			{"description": plain(tax.description), "amount": money(tax.tax_amount, currency)}
			for tax in order.taxes
		],
		"totals": {
			"net_total": money(order.net_total, currency),
			"total_taxes_and_charges": money(order.total_taxes_and_charges, currency),
			"grand_total": money(order.grand_total, currency),
		},
	}


def ship_dates(order) -> dict[int, str]:
	"""When each stock line can ship ("Ships 3 Dec: 20 on 1 Dec, 30 on 3 Dec"), promised by the same
	ledger as the desk (fulfilment/promising.py) — dates and quantities only: which stock or supply it
	rests on is the company's business."""
	from order_mgmt.fulfilment.promising import promise_rows

	rows = [
		{
			"idx": line.idx,
			"item_code": line.item_code,
			"warehouse": line.warehouse,
			"stock_qty": line.stock_qty,
			"delivery_date": line.delivery_date or order.delivery_date,
		}
		for line in order.items
		if line.item_code and line.warehouse
	]
	if not rows:
		return {}
	promised = promise_rows(order.company, rows)  # query-builder reads: no desk permission needed
	return {row["idx"]: row["promise"] for row in promised if row.get("promise")}


# --- placing the order ----------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def place_order(cart, request_key: str, customer: str | None = None) -> dict:
	"""Place the cart as a Customer Order of the user's customer, submitted into review; the same
	`request_key` for the same customer returns the order it already placed."""
	frappe.form_dict[RATE_LIMIT_KEY] = frappe.session.user  # the limit is per user, whatever was sent
	return _place_order(cart, request_key, customer)


@rate_limit(key=RATE_LIMIT_KEY, limit=PLACE_ORDER_LIMIT, seconds=PLACE_ORDER_WINDOW, ip_based=False)
def _place_order(cart, request_key: str, customer: str | None = None) -> dict:
	user = frappe.session.user
	customer = resolve_customer(customer, user)
	if not isinstance(request_key, str) or not REQUEST_KEY.match(request_key):
		frappe.throw(_("The order form is out of date. Please reload the page."), PortalOrderError)
	data = parse_cart(cart)

	intake.lock_customer(customer)  # the same lock every submission takes: one order per key
	existing = order_of_request(customer, request_key)
	if existing:
		return placed(existing, duplicate=True)

	doc, problems = check_cart(customer, data)
	if problems:
		refuse(problems)
	order = submit_cart_order(doc, request_key, "portal_place_order")
	order.add_comment("Info", _("Placed through the customer portal by {0}").format(user))
	return placed(order.name)


def submit_cart_order(doc: dict, request_key: str, savepoint: str, before=None, amended_from=None):
	"""Insert the cart's Customer Order and submit it into review, in one savepoint with `before` (the
	cancellation of the order it amends) first: a refusal undoes all of it and is raised by row."""
	frappe.db.savepoint(savepoint)
	seen = len(frappe.local.message_log)
	try:
		if before:
			before()
		order = frappe.get_doc(doc)
		order.amended_from = amended_from
		order.flags.ignore_permissions = True  # after the customer check: the user has no desk permission
		with server_owned.writing(order):
			order.portal_request_key = request_key
			order.insert()
		with acting_as("Administrator"):  # the workflow's "Submit for Review" belongs to desk roles
			order.submit()  # review.workflow.before_submit moves the Draft into its first stage
	except (frappe.ValidationError, frappe.DuplicateEntryError) as problem:
		frappe.db.rollback(save_point=savepoint)
		refuse(refusal(problem, seen, len(doc["items"])))
	except Exception:
		frappe.db.rollback(save_point=savepoint)
		raise
	return order


def order_of_request(customer: str, request_key: str) -> str | None:
	"""The order already placed with this key. A locking read (FOR UPDATE), taken under the customer
	lock: it sees the latest committed rows, where a plain read would see the transaction's snapshot,
	taken before the lock was granted (a concurrent double click would then place a second order)."""
	return frappe.db.get_value(
		DOCTYPE, {"customer": customer, "portal_request_key": request_key}, "name", for_update=True
	)


def placed(name: str, duplicate: bool = False) -> dict:
	status, workflow_state = frappe.db.get_value(DOCTYPE, name, ["status", "workflow_state"])
	return {
		"name": name,
		"status": status,
		"workflow_state": workflow_state,
		"route": f"/my-orders/{name}",
		"duplicate": duplicate,
	}


def refuse(problems: list[dict]) -> None:
	"""Raise the problems as one translated message, and keep them by row in the response."""
	frappe.response["portal_errors"] = problems
	frappe.throw(
		"<br>".join(problem["message"] for problem in problems),
		PortalOrderError,
		title=_("Order Not Placed"),
	)


# --- re-order -------------------------------------------------------------------------------------


def reorder_lines(order_name: str | None, user: str | None = None) -> frappe._dict:
	"""A past order's lines as a new cart: items still sellable (in their current sales UOM, the
	quantity converted from the line's stock quantity) and those that are not, listed as unavailable.
	Prices are not taken over: the page prices the cart today."""
	order = get_order(order_name, user)
	rows = frappe.get_all(
		"Customer Order Item",
		filters={"parenttype": DOCTYPE, "parent": order.name},
		fields=["item_code", "item_name", "qty", "uom", "stock_qty"],
		order_by="idx",
	)
	factors = conversion_factors(list({row.item_code for row in rows}))

	def quantity(row, item) -> float:
		qty = flt(row.qty)
		if row.uom != item.uom:
			factor = factors.get((row.item_code, item.uom)) or (1 if item.uom == item.stock_uom else 0)
			qty = flt(row.stock_qty) / factor if factor else qty
		return flt(qty, 6)

	lines, unavailable = cart_lines(rows, quantity)
	return frappe._dict(order=order.name, lines=lines, unavailable=unavailable)


def cart_lines(rows: list, quantity) -> tuple[list[frappe._dict], list[frappe._dict]]:
	"""Saved lines (an order's, a template's) as cart lines: the items still sellable, each with
	`quantity(row, item)` in its current sales UOM, and those that are not (code and name)."""
	sellable = {row.item_code: row for row in sellable_items(item_codes=list({r.item_code for r in rows}))}
	lines, unavailable = [], []
	for row in rows:
		item = sellable.get(row.item_code)
		if not item:
			unavailable.append(frappe._dict(item_code=row.item_code, item_name=plain(row.item_name)))
			continue
		lines.append(frappe._dict(item, qty=quantity(row, item)))
	return lines, unavailable


def convert_qty(item: frappe._dict, qty, uom: str | None) -> float:
	"""`qty` in `uom` as a quantity in the item's current sales UOM (`item` from sellable_items);
	unchanged when either conversion is unknown."""
	qty = flt(qty)
	if not uom or uom == item.uom:
		return flt(qty, 6)
	factors = conversion_factors([item.item_code])
	from_factor = 1 if uom == item.stock_uom else factors.get((item.item_code, uom))
	to_factor = 1 if item.uom == item.stock_uom else factors.get((item.item_code, item.uom))
	if not from_factor or not to_factor:
		return flt(qty, 6)
	return flt(qty * from_factor / to_factor, 6)


def conversion_factors(item_codes: list[str]) -> dict[tuple[str, str], float]:
	if not item_codes:
		return {}
	return {
		(row.parent, row.uom): flt(row.conversion_factor)
		for row in frappe.get_all(
			"UOM Conversion Detail",
			filters={"parenttype": "Item", "parent": ("in", item_codes)},
			fields=["parent", "uom", "conversion_factor"],
		)
	}


# --- the new-order page ---------------------------------------------------------------------------


def new_order_context(
	from_order: str | None = None,
	user: str | None = None,
	template: str | None = None,
	edit: str | None = None,
) -> frappe._dict:
	"""The new-order page: empty, or pre-filled from a past order (?from=), a template (?template=)
	or, to change it, an order still in review (?edit=)."""
	from order_mgmt.portal.templates import template_lines

	customers = customers_of_user(user)
	context = frappe._dict(
		linked=bool(customers),
		customers=customers,
		customer=None,
		addresses=[],
		lines=[],
		unavailable=[],
		from_order=None,
		from_template=None,
		edit_order=None,
		header=frappe._dict(),
		min_date=nowdate(),
		default_delivery_date=add_days(nowdate(), 1),
	)
	if not customers:
		return context
	if edit:
		change = change_context(edit, user)
		context.update(
			edit_order=change.order,
			customer=change.customer,
			lines=change.lines,
			unavailable=change.unavailable,
			header=change.header,
		)
	elif template:
		saved = template_lines(template, user)
		context.update(
			from_template=frappe._dict(name=saved.template, title=saved.template_name),
			customer=saved.customer,
			lines=saved.lines,
			unavailable=saved.unavailable,
		)
	elif from_order:
		again = reorder_lines(from_order, user)
		context.update(from_order=again.order, lines=again.lines, unavailable=again.unavailable)
	if context.customer:
		context.customers = [context.customer]  # the order or template decides whose cart it is
	context.addresses = customer_addresses(context.customers[0]) if len(context.customers) == 1 else []
	return context


@frappe.whitelist()
def addresses_of(customer: str | None = None) -> list[dict]:
	"""The chosen customer's addresses (the page asks when the user orders for several customers)."""
	return customer_addresses(resolve_customer(customer))


# --- cancel while in review -----------------------------------------------------------------------


def cancellable_states() -> set[str]:
	"""Not approved yet: waiting for a review stage, or returned to the customer for changes."""
	return set(review_workflow.stage_states().values()) | {review_workflow.RETURNED}


def can_cancel(order_name: str) -> bool:
	state, docstatus = frappe.db.get_value(DOCTYPE, order_name, ["workflow_state", "docstatus"]) or (
		None,
		None,
	)
	return cint(docstatus) == 1 and state in cancellable_states()


@frappe.whitelist(methods=["POST"])
def cancel_order(name: str, reason: str) -> dict:
	"""Cancel one of the user's orders that is not approved yet, with a reason, through the order's own
	cancellation (orders/cancellation.py runs in before_cancel); an approved order is refused."""
	user = frappe.session.user
	order = get_order(name, user)
	reason = reason.strip() if isinstance(reason, str) else ""
	if not reason:
		frappe.throw(
			_("Give a reason to cancel {0}").format(order.name),
			PortalOrderError,
			title=_("Reason Required"),
		)
	# The order row first, as a reviewer's action takes it: a concurrent decision waits or wins.
	state, docstatus = frappe.db.get_value(
		DOCTYPE, order.name, ["workflow_state", "docstatus"], for_update=True
	)
	if cint(docstatus) != 1 or state not in cancellable_states():
		frappe.throw(
			_(
				"Order {0} is {1} and can no longer be cancelled here. Please contact us to change it, or request a return once it is delivered."
			).format(order.name, _(state or "")),
			CancelNotAllowedError,
			title=_("Cannot Cancel"),
		)
	doc = frappe.get_doc(DOCTYPE, order.name)
	doc.flags.ignore_permissions = True  # after the checks above: the user has no desk permission
	with server_owned.writing(doc):
		doc.cancellation_reason = reason[:1000]
		doc.workflow_state = review_workflow.CANCELLED
		doc.cancel()
	notifications.close_stage_assignments(doc)
	doc.add_comment("Info", _("Cancelled through the customer portal by {0}").format(user))
	return {"name": doc.name, "status": doc.status, "route": f"/my-orders/{doc.name}"}


# --- change while in review -----------------------------------------------------------------------
#
# A submitted order's lines cannot be edited in place. A customer's change takes the desk's path for
# an order returned for changes (review/workflow.py): the order is cancelled (reason: changed by the
# customer) and amended — a new Customer Order with `amended_from` set, named after it (CO-…-1) —
# which is inserted and submitted like any portal order: priced on the server, checked by intake,
# routed again (review/facts.py sends an amendment back through every stage that had approved the
# original) and its review shows what changed. Both happen in one savepoint: a refused change leaves
# the original order as it was.


def change_context(order_name: str | None, user: str | None = None) -> frappe._dict:
	"""An order still in review as a cart to change: its lines (items no longer sold listed as
	unavailable) and header fields; an approved order is refused."""
	order = get_order(order_name, user)
	if not can_change(order.name):
		refuse_change(order.name)
	again = reorder_lines(order.name, user)
	header = frappe.db.get_value(
		DOCTYPE, order.name, ["delivery_date", "shipping_address_name", "customer_po", "notes"], as_dict=True
	)
	header.customer_po = plain(header.customer_po)
	header.notes = plain(header.notes)
	return frappe._dict(
		order=order.name,
		customer=order.customer,
		lines=again.lines,
		unavailable=again.unavailable,
		header=header,
	)


def can_change(order_name: str) -> bool:
	"""Still in review (not approved): the states a customer may cancel in."""
	return can_cancel(order_name)


def refuse_change(order_name: str) -> None:
	state = frappe.db.get_value(DOCTYPE, order_name, "workflow_state")
	frappe.throw(
		_(
			"Order {0} is {1} and can no longer be changed here. You can ask us for a change, or request a return once it is delivered."
		).format(order_name, _(state or "")),
		ChangeNotAllowedError,
		title=_("Cannot Change"),
	)


@frappe.whitelist(methods=["POST"])
def change_order(name: str, cart, request_key: str) -> dict:
	"""Replace one of the user's orders still in review by the cart (its amendment, submitted into
	review again); the same `request_key` returns the amendment it already made."""
	frappe.form_dict[RATE_LIMIT_KEY] = frappe.session.user
	return _change_order(name, cart, request_key)


@rate_limit(key=RATE_LIMIT_KEY, limit=PLACE_ORDER_LIMIT, seconds=PLACE_ORDER_WINDOW, ip_based=False)
def _change_order(name: str, cart, request_key: str) -> dict:
	user = frappe.session.user
	order = get_order(name, user)
	customer = order.customer
	if not isinstance(request_key, str) or not REQUEST_KEY.match(request_key):
		frappe.throw(_("The order form is out of date. Please reload the page."), PortalOrderError)
	data = parse_cart(cart)

	intake.lock_customer(customer)
	existing = order_of_request(customer, request_key)
	if existing:
		return {**placed(existing, duplicate=True), "replaces": order.name}
	# The order row, as a reviewer's decision takes it: a concurrent approval waits or wins.
	state, docstatus = frappe.db.get_value(
		DOCTYPE, order.name, ["workflow_state", "docstatus"], for_update=True
	)
	if cint(docstatus) != 1 or state not in cancellable_states():
		refuse_change(order.name)

	doc, problems = check_cart(customer, data)
	if problems:
		refuse(problems)
	original = frappe.get_doc(DOCTYPE, order.name)

	def cancel_original():
		original.flags.ignore_permissions = True  # after the checks above: no desk permission
		with server_owned.writing(original):
			original.cancellation_reason = _("Changed by the customer in the portal")
			original.workflow_state = review_workflow.CANCELLED
			original.cancel()

	amendment = submit_cart_order(
		doc, request_key, "portal_change_order", before=cancel_original, amended_from=original.name
	)
	notifications.close_stage_assignments(original)
	original.add_comment(
		"Info", _("Changed through the customer portal by {0}: now {1}").format(user, amendment.name)
	)
	amendment.add_comment("Info", _("Changed through the customer portal by {0}").format(user))
	return {**placed(amendment.name), "replaces": original.name}
