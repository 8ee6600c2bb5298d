"""/my-orders/templates (website_route_rules): the portal user's order templates, to order from or
delete (order_mgmt.portal.templates); they are saved from the new-order page."""

from pathlib import Path

from frappe import _

from order_mgmt.portal import js_messages, require_login
from order_mgmt.portal.customers import customers_of_user
from order_mgmt.portal.templates import templates_of

no_cache = 1
sitemap = 0


def get_context(context):
	require_login()
	context.no_cache = 1
	context.show_sidebar = True
	context.title = _("My Order Templates")
	context.parents = [{"route": "my-orders", "title": _("My Orders")}]
	context.linked = bool(customers_of_user())
	context.templates = templates_of() if context.linked else []
	context.js_messages = js_messages(Path(__file__).with_suffix(".js"))
