"""/my-orders: the portal user's Customer Orders."""

import frappe
from frappe import _

from order_mgmt.portal import require_login
from order_mgmt.portal.orders import order_list

no_cache = 1
sitemap = 0


def get_context(context):
	require_login()
	context.no_cache = 1
	context.show_sidebar = True
	context.title = _("My Orders")
	context.update(order_list(frappe.form_dict.get("page")))
