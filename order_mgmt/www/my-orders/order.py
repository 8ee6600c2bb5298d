"""/my-orders/<name> (website_route_rules): one of the portal user's Customer Orders, with "Order
Again" and, while the order is still in review, "Cancel Order" (order.js)."""

from pathlib import Path

import frappe
from frappe import _

from order_mgmt.portal import js_messages, require_login
from order_mgmt.portal.ordering import can_cancel
from order_mgmt.portal.orders import order_detail

no_cache = 1
sitemap = 0


def get_context(context):
	require_login()
	context.no_cache = 1
	context.show_sidebar = True
	context.update(order_detail(frappe.form_dict.get("name")))
	context.can_cancel = can_cancel(context.order.name)
	context.title = context.order.name
	context.parents = [{"route": "my-orders", "title": _("My Orders")}]
	context.js_messages = js_messages(Path(__file__).with_suffix(".js"))
