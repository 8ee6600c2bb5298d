"""/my-orders/new (website_route_rules): the portal user's new-order form; ?from=<order> pre-fills it
with a past order's lines ("Order again"), ?template=<Order Template> with a template's, and
?edit=<order> with an order still in review, which submitting changes (ordering.change_order). new.js searches items, prices the cart and places the
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
	form = frappe.form_dict
	context.update(new_order_context(form.get("from"), template=form.get("template"), edit=form.get("edit")))
	context.title = _("Change Order {0}").format(context.edit_order) if context.edit_order else _("New Order")
	context.parents = [{"route": "my-orders", "title": _("My Orders")}]
	context.js_messages = js_messages(Path(__file__).with_suffix(".js"))
