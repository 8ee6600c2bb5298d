"""/my-orders/new (website_route_rules): the portal user's new-order form; ?from=<order> pre-fills it
with a past order's lines ("Order again"). new.js searches items, prices the cart and places the
order through order_mgmt.portal.ordering, which decides everything on the server."""

from pathlib import Path

import frappe
from frappe import _

from order_mgmt.portal import js_messages, require_login
from order_mgmt.portal.ordering import new_order_context

no_cache = 1
sitemap = 0


def get_context(context):
	require_login()
	context.no_cache = 1
	context.show_sidebar = True
	context.update(new_order_context(frappe.form_dict.get("from")))
	context.title = _("New Order")
	context.parents = [{"route": "my-orders", "title": _("My Orders")}]
	context.js_messages = js_messages(Path(__file__).with_suffix(".js"))
