"""/my-orders: the portal user's Customer Orders, paginated (?page=) and filtered (?status=,
?from_date=, ?to_date=, ?q= on order number and PO reference; portal/orders.py order_list)."""

import frappe
from frappe import _

from order_mgmt.portal import require_login
from order_mgmt.portal.orders import FILTER_FIELDS, order_list

no_cache = 1
sitemap = 0


def get_context(context):
	require_login()
	context.no_cache = 1
	context.show_sidebar = True
	context.title = _("My Orders")
	form = frappe.form_dict
	context.update(order_list(form.get("page"), filters={f: form.get(f) for f in FILTER_FIELDS}))
