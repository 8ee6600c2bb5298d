"""/my-orders/<name> (website_route_rules): one of the portal user's Customer Orders — its status
timeline, lines, invoices and credit notes (PDF), what is owed and how to pay, shipments and returns —
with "Order Again", "Cancel Order" while the order is still in review and "Request a Change" once it
is approved (order.js)."""

from pathlib import Path

import frappe
from frappe import _

from order_mgmt.orders.change_portal import change_request_context
from order_mgmt.portal import js_messages, require_login
from order_mgmt.portal.documents import how_to_pay, order_documents
from order_mgmt.portal.ordering import can_cancel
from order_mgmt.portal.orders import get_order, order_detail
from order_mgmt.portal.timeline import order_timeline

no_cache = 1
sitemap = 0


def get_context(context):
	require_login()
	context.no_cache = 1
	context.show_sidebar = True
	context.update(order_detail(frappe.form_dict.get("name")))
	context.can_cancel = can_cancel(context.order.name)
	order = get_order(context.order.name)
	context.update(change_request_context(order))
	context.timeline = order_timeline(order.name)
	context.documents = order_documents(order)
	context.payment = how_to_pay(order, context.documents)
	context.title = context.order.name
	context.parents = [{"route": "my-orders", "title": _("My Orders")}]
	context.js_messages = js_messages(Path(__file__).with_suffix(".js"))
