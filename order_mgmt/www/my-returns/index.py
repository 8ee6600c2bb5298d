"""/my-returns: the portal user's Return Requests."""

import frappe
from frappe import _

from order_mgmt.portal import require_login
from order_mgmt.portal.returns import request_list

no_cache = 1
sitemap = 0


def get_context(context):
	require_login()
	context.no_cache = 1
	context.show_sidebar = True
	context.title = _("Return Requests")
	context.update(request_list(frappe.form_dict.get("page")))
