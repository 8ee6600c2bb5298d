"""/my-returns/new?order=<name>: the return form for one of the portal user's orders (new.js posts
it to order_mgmt.portal.returns.create_return_request); without an order, a list of the user's orders
that have something to return, to choose from."""

from pathlib import Path

import frappe
from frappe import _

from order_mgmt.portal import js_messages, require_login
from order_mgmt.portal.returns import new_request_context, returnable_orders

no_cache = 1
sitemap = 0


def get_context(context):
	require_login()
	order = frappe.form_dict.get("order")
	context.no_cache = 1
	context.show_sidebar = True
	context.title = _("Request a Return")
	if not order:
		context.choose_order = True
		context.update(returnable_orders())
		context.parents = [{"route": "my-returns", "title": _("Return Requests")}]
		return
	context.update(new_request_context(order))
	context.parents = [
		{"route": "my-orders", "title": _("My Orders")},
		{"route": f"my-orders/{context.order.name}", "title": context.order.name},
	]
	context.js_messages = js_messages(Path(__file__).with_suffix(".js"))
