"""Order templates (订单模板): named carts a customer orders from again and again.

An Order Template belongs to one customer (its `customer`) and lists items with a quantity and UOM;
it has no prices: ordering from it pre-fills the new-order page, which prices the cart today on the
server like any other cart (portal/ordering.py). Items no longer sold are listed as unavailable, as
"Order again" does.

Desk users with the app's roles keep templates for a customer in the desk (the DocType's role
permissions). Portal users (Website Users with the role Customer) read only their own customers'
templates — `template_query` and `template_has_permission` (hooks) restrict them everywhere
Frappe lists or opens a template, /api/resource included — and save or delete them only through
`save_template` / `delete_template` here, which check the customer first. Another customer's
template looks exactly like one that does not exist.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder import DocType
from frappe.query_builder.functions import Count
from frappe.rate_limiter import rate_limit
from frappe.utils import escape_html, flt, format_datetime

from order_mgmt.portal import not_found, plain
from order_mgmt.portal.customers import customers_of_user

DOCTYPE = "Order Template"
ITEM_DOCTYPE = "Order Template Item"
MAX_NAME_LENGTH = 140
SAVE_LIMIT = 30
SAVE_WINDOW = 60
RATE_LIMIT_KEY = "_portal_rate_limit_user"


class TemplateError(frappe.ValidationError):
	"""A template that cannot be saved (the message names the row or field)."""


# --- the DocType's rules (desk and portal) --------------------------------------------------------


def validate_template(doc) -> None:
	"""A name unique among the customer's templates, at least one line, quantities above zero, and
	each line's UOM (the item's sales UOM when none is given)."""
	doc.template_name = (doc.template_name or "").strip()
	if not doc.template_name:
		frappe.throw(_("Give the template a name"), TemplateError)
	if not doc.items:
		frappe.throw(_("Add at least one item to the template"), TemplateError)
	for row in doc.items:
		if flt(row.qty) <= 0:
			frappe.throw(
				_("Row {0}: Quantity must be a number greater than zero").format(row.idx), TemplateError
			)
		if not row.uom and row.item_code:
			row.uom = frappe.db.get_value("Item", row.item_code, "sales_uom") or frappe.db.get_value(
				"Item", row.item_code, "stock_uom"
			)
	template = DocType(DOCTYPE)
	clash = (
		frappe.qb.from_(template)
		.select(template.name)
		.where(
			(template.customer == doc.customer)
			& (template.template_name == doc.template_name)
			& (template.name != (doc.name or ""))
		)
		.limit(1)
		.run()
	)
	if clash:
		frappe.throw(
			_("{0} already has a template named {1}").format(
				escape_html(doc.customer), frappe.bold(escape_html(doc.template_name))
			),
			TemplateError,
		)


# --- who sees which templates (hooks) -------------------------------------------------------------


def is_portal_user(user: str | None) -> bool:
	user = user or frappe.session.user
	return user == "Guest" or frappe.db.get_value("User", user, "user_type", cache=True) == "Website User"


def template_query(user: str | None = None) -> str:
	"""permission_query_conditions: portal users list their own customers' templates only."""
	if not is_portal_user(user):
		return ""
	customers = customers_of_user(user)
	if not customers:
		return "1=0"
	listed = ", ".join(frappe.db.escape(customer) for customer in customers)
	return f"`tab{DOCTYPE}`.`customer` in ({listed})"


def template_item_query(user: str | None = None) -> str:
	"""Template lines listed on their own (frappe.client.get_list with a parent): the same rule."""
	if not is_portal_user(user):
		return ""
	condition = template_query(user)
	if condition == "1=0":
		return condition
	return f"`tab{ITEM_DOCTYPE}`.`parent` in (select `name` from `tab{DOCTYPE}` where {condition})"


def template_has_permission(doc, ptype: str | None = None, user: str | None = None) -> bool | None:
	"""has_permission: a portal user may read a template of their own customers, nothing else (they
	save and delete through this module's methods); desk users are left to their role permissions."""
	if not is_portal_user(user):
		return None
	return ptype in ("read", "print") and doc.customer in customers_of_user(user)


# --- the portal -----------------------------------------------------------------------------------


def get_template(name, user: str | None = None) -> frappe._dict:
	"""The template's header if it belongs to one of the user's customers, else PermissionError (the
	same for a template that does not exist)."""
	customers = customers_of_user(user)
	row = (
		frappe.db.get_value(DOCTYPE, name, ["name", "template_name", "customer"], as_dict=True)
		if isinstance(name, str) and name and customers
		else None
	)
	if not row or row.customer not in customers:
		not_found(DOCTYPE, name)
	return row


def templates_of(user: str | None = None) -> list[frappe._dict]:
	"""The user's customers' templates, last changed first, with their number of lines."""
	customers = customers_of_user(user)
	if not customers:
		return []
	template, line = DocType(DOCTYPE), DocType(ITEM_DOCTYPE)
	rows = (
		frappe.qb.from_(template)
		.left_join(line)
		.on((line.parent == template.name) & (line.parenttype == DOCTYPE))
		.select(
			template.name,
			template.template_name,
			template.customer,
			template.modified,
			Count(line.name).as_("lines"),
		)
		.where(template.customer.isin(customers))
		.groupby(template.name, template.template_name, template.customer, template.modified)
		.orderby(template.modified, order=frappe.qb.desc)
		.run(as_dict=True)
	)
	for row in rows:
		row.template_name = plain(row.template_name)
		row.modified = format_datetime(row.modified)
		row.several_customers = len(customers) > 1
	return rows


def template_lines(name, user: str | None = None) -> frappe._dict:
	"""A template's lines as a new cart: items still sellable (in their current sales UOM) and those
	that are not, listed as unavailable. No prices: the page prices the cart today."""
	from order_mgmt.portal.ordering import cart_lines, convert_qty

	template = get_template(name, user)
	rows = frappe.get_all(
		ITEM_DOCTYPE,
		filters={"parenttype": DOCTYPE, "parent": template.name},
		fields=["item_code", "item_name", "qty", "uom"],
		order_by="idx",
	)
	lines, unavailable = cart_lines(rows, lambda row, item: convert_qty(item, row.qty, row.uom))
	return frappe._dict(
		template=template.name,
		template_name=plain(template.template_name),
		customer=template.customer,
		lines=lines,
		unavailable=unavailable,
	)


@frappe.whitelist(methods=["POST"])
def save_template(template_name: str, cart, customer: str | None = None) -> dict:
	"""Save the cart's items and quantities as the customer's template `template_name` (a template of
	that name is replaced). Only item codes and quantities are read from the cart."""
	frappe.form_dict[RATE_LIMIT_KEY] = frappe.session.user
	return _save_template(template_name, cart, customer)


@rate_limit(key=RATE_LIMIT_KEY, limit=SAVE_LIMIT, seconds=SAVE_WINDOW, ip_based=False)
def _save_template(template_name: str, cart, customer: str | None = None) -> dict:
	from order_mgmt.portal.ordering import PortalOrderError, check_cart, parse_cart, refuse, resolve_customer

	customer = resolve_customer(customer)
	title = template_name.strip() if isinstance(template_name, str) else ""
	if not title:
		frappe.response["portal_errors"] = [
			{"row": None, "field": "template_name", "message": _("Give the template a name")}
		]
		frappe.throw(_("Give the template a name"), PortalOrderError)
	if len(title) > MAX_NAME_LENGTH:
		frappe.throw(
			_("A template name can be at most {0} characters").format(MAX_NAME_LENGTH), PortalOrderError
		)
	data = parse_cart(cart)
	doc, problems = check_cart(customer, {"items": data["items"]}, lines_only=True)
	if problems:
		refuse(problems)
	lines = [
		{"item_code": line["item_code"], "qty": line["qty"], "uom": line["uom"]} for line in doc["items"]
	]
	existing = frappe.db.get_value(DOCTYPE, {"customer": customer, "template_name": title}, "name")
	if existing:
		template = frappe.get_doc(DOCTYPE, existing)
		template.set("items", lines)
	else:
		template = frappe.get_doc(
			{"doctype": DOCTYPE, "template_name": title, "customer": customer, "items": lines}
		)
	template.flags.ignore_permissions = True  # after the customer check: portal users only read
	template.save()
	return {
		"name": template.name,
		"template_name": plain(template.template_name),
		"replaced": bool(existing),
		"route": f"/my-orders/new?template={template.name}",
	}


@frappe.whitelist(methods=["POST"])
def delete_template(name: str) -> dict:
	"""Delete one of the user's customers' templates."""
	template = get_template(name)
	frappe.delete_doc(DOCTYPE, template.name, ignore_permissions=True)
	return {"name": template.name, "deleted": True}
