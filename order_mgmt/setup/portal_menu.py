"""The customer portal's menu (README: "Global settings this app changes").

Portal Settings' menu lists ERPNext's own portal pages for every user with the role Customer
(ERPNext's `standard_portal_menu_items`: Projects, Quotations, Orders, Invoices, Shipments, Issues,
Timesheets, Newsletter, Material Request); for the app's customers they say "Nothing to show", since
their orders, invoices and shipments are on the app's pages. The app's own entries (My Orders, Order
Templates, Return Requests) are `standard_portal_menu_items` of hooks.py, which Frappe adds to
Portal Settings on install and migrate, so that an admin can rename, reorder or disable them.

Once per site (on install, or on the first migrate of a site installed before), the app disables
ERPNext's entries above and puts its own first. An admin's later changes in Portal Settings stand:
nothing is re-applied. On uninstall the app's entries go, and the entries it disabled that are still
disabled are enabled again.
"""

from __future__ import annotations

import json

import frappe

HIDDEN_ROUTES = (
	"/project",
	"/quotations",
	"/orders",
	"/invoices",
	"/shipments",
	"/issues",
	"/timesheets",
	"/newsletters",
	"/material-requests",
)
"""ERPNext's portal pages that do not serve the app's customers."""
APPLIED_KEY = "order_mgmt_portal_menu"
"""Site default: {"disabled": [routes the app disabled]} once the menu was set up."""


def app_routes() -> list[str]:
	from order_mgmt import hooks

	return [item["route"] for item in hooks.standard_portal_menu_items]


def apply_portal_menu() -> None:
	"""Once per site: ERPNext's customer entries off, the app's entries first."""
	if frappe.db.get_default(APPLIED_KEY):
		return
	settings = frappe.get_single("Portal Settings")
	disabled = []
	for row in settings.menu:
		if row.route in HIDDEN_ROUTES and row.enabled:
			row.enabled = 0
			disabled.append(row.route)
	ours = app_routes()
	rows = sorted(
		settings.menu,
		key=lambda row: (ours.index(row.route) if row.route in ours else len(ours), row.idx),
	)
	for idx, row in enumerate(rows, start=1):
		row.idx = idx
	settings.menu = rows
	settings.flags.ignore_permissions = True
	settings.save()
	frappe.db.set_default(APPLIED_KEY, json.dumps({"disabled": disabled}))


def remove_portal_menu() -> None:
	"""On uninstall: the app's entries go; ERPNext's entries it disabled come back if still disabled."""
	record = json.loads(frappe.db.get_default(APPLIED_KEY) or "{}")
	settings = frappe.get_single("Portal Settings")
	ours = set(app_routes())
	settings.menu = [row for row in settings.menu if row.route not in ours]
	for row in settings.menu:
		if row.route in record.get("disabled", []) and not row.enabled:
			row.enabled = 1
	settings.flags.ignore_permissions = True
	settings.save()
	frappe.defaults.clear_default(key=APPLIED_KEY, parent="__default")
