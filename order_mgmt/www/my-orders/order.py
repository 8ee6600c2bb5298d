"""/my-orders/<name> (website_route_rules): one of the portal user's Customer Orders."""

import frappe
from frappe import _

from order_mgmt.portal import require_login
from order_mgmt.portal.orders import order_detail

no_cache = 1
sitemap = 0


def get_context(context):
	require_login()
	context.no_cache = 1
	context.show_sidebar = True
	context.update(order_detail(frappe.form_dict.get("name")))
	context.title = context.order.name
	context.parents = [{"route": "my-orders", "title": _("My Orders")}]
