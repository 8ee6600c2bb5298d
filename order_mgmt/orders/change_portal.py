"""A customer's change request from the portal ("Request a change" on an approved order in /my-orders).

The portal page posts the lines as the customer wants them; the request goes through the same steps as
one entered at the desk (orders/change_request.py): priced by ERPNext, assessed, tiered, applied at once
when minor, else reviewed. Only an order of the user's own customers is accepted, and only the fields a
customer may change (quantities, new lines, delivery date, shipping address, the reason): rates and
discounts are the company's.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import flt

from order_mgmt.orders import change_request
from order_mgmt.portal.orders import get_order

MAX_LINES = 200


class PortalChangeError(frappe.ValidationError):
	pass


@frappe.whitelist(methods=["POST"])
def request_change(
	name: str,
	reason: str,
	lines: str | list | None = None,
	new_delivery_date: str | None = None,
	new_shipping_address_name: str | None = None,
) -> dict:
	"""Submit an Order Change Request for one of the user's orders. `lines`: [{order_item, qty}] for lines
	changed (qty 0 removes it) and [{item_code, qty}] for new ones."""
	user = frappe.session.user
	order = get_order(name, user)  # not found unless it is an order of the user's customers
	change_request.changeable_order(order.name)
	reason = reason.strip() if isinstance(reason, str) else ""
	if not reason:
		frappe.throw(_("Tell us why the order should change"), PortalChangeError, title=_("Reason Required"))
	rows = _portal_rows(lines)
	request = frappe.get_doc(
		{
			"doctype": "Order Change Request",
			"customer_order": order.name,
			"reason": reason[:1000],
			"channel": "Portal",
			"new_delivery_date": new_delivery_date or None,
			"new_shipping_address_name": new_shipping_address_name or None,
			"items": rows,
		}
	)
	request.flags.ignore_permissions = True  # after the checks above: the customer has no desk permission
	request.insert()
	request.submit()
	return {"name": request.name, "status": request.status, "tier": request.tier}


def _portal_rows(lines) -> list[dict]:
	if isinstance(lines, str):
		try:
			lines = json.loads(lines or "[]")
		except ValueError:
			frappe.throw(_("The changed lines could not be read"), PortalChangeError)
	if not isinstance(lines, list) or len(lines) > MAX_LINES:
		frappe.throw(_("The changed lines could not be read"), PortalChangeError)
	rows = []
	for line in lines:
		if not isinstance(line, dict):
			frappe.throw(_("The changed lines could not be read"), PortalChangeError)
		order_item, item_code = line.get("order_item"), line.get("item_code")
		if not isinstance(order_item, str | type(None)) or not isinstance(item_code, str | type(None)):
			frappe.throw(_("The changed lines could not be read"), PortalChangeError)
		row = {"qty": flt(line.get("qty"))}
		if order_item:
			row["order_item"] = order_item
		else:
			row["item_code"] = item_code
		rows.append(row)
	return rows


def change_request_context(order) -> frappe._dict:
	"""For the order page: whether the customer may ask for a change now, the lines they may change
	(with their row ids) and the order's change requests so far (status and tier only)."""
	from frappe.utils import format_date

	from order_mgmt.orders.change_request import CHANGEABLE_ORDER_STATUSES

	allowed = order.docstatus == 1 and bool(order.sales_order) and order.status in CHANGEABLE_ORDER_STATUSES
	lines = (
		frappe.get_all(
			"Customer Order Item",
			filters={"parenttype": "Customer Order", "parent": order.name},
			fields=["name", "item_code", "item_name", "qty", "uom"],
			order_by="idx",
		)
		if allowed
		else []
	)
	requests = frappe.get_all(
		"Order Change Request",
		filters={"customer_order": order.name, "docstatus": ("!=", 2)},
		fields=["name", "creation", "status", "tier"],
		order_by="creation desc",
	)
	return frappe._dict(
		can_request_change=allowed,
		change_lines=[
			frappe._dict(
				order_item=line.name,
				item_code=line.item_code,
				item_name=frappe.utils.strip_html(line.item_name or ""),
				qty=flt(line.qty),
				uom=_(line.uom) if line.uom else "",
			)
			for line in lines
		],
		change_requests=[
			frappe._dict(
				name=r.name,
				date=format_date(r.creation),
				status=_(r.status) if r.status else "",
				tier=_(r.tier) if r.tier else "",
			)
			for r in requests
		],
	)
