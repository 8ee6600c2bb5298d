"""/my-returns/<name> (website_route_rules): one of the portal user's Return Requests."""

import frappe
from frappe import _

from order_mgmt.portal import require_login
from order_mgmt.portal.returns import request_detail

no_cache = 1
sitemap = 0


def get_context(context):
	require_login()
	context.no_cache = 1
	context.show_sidebar = True
	context.update(request_detail(frappe.form_dict.get("name")))
	context.title = context.request.name
	context.parents = [{"route": "my-returns", "title": _("Return Requests")}]
