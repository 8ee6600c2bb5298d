"""Install, migrate and uninstall hooks.

Global settings of Frappe and ERPNext that the app changes (README: "Global settings this app
changes") are applied once, on install (sites installed before a setting was introduced get it from
the patch that introduced it), never again by migrate: an admin's later choice stands. What they were
before is kept and put back on uninstall where that is safe. The app does not touch Accounts
Settings: the credit authority of a finance reviewer's approval covers only that order's Sales Order
(accounting/credit.py).
"""

from __future__ import annotations

import json

import frappe
from frappe.utils import cint

# (doctype, field, value): stock reservation — approved orders reserve their stock with ERPNext's
# Stock Reservation Entry, partially when short (erpnext_bridge/stock_reservation.py).
GLOBAL_SETTINGS = (
	("Stock Settings", "enable_stock_reservation", 1),
	("Stock Settings", "allow_partial_reservation", 1),
)
# What the settings were before the app changed them: {"Doctype|field": [previous, applied]}.
PREVIOUS_SETTINGS_KEY = "order_mgmt_previous_global_settings"


def _fixture_names(doctype: str) -> tuple[str, ...]:
	"""Names a fixture of hooks.py ships (its `name in [...]` filter)."""
	from order_mgmt import hooks

	for fixture in hooks.fixtures:
		if isinstance(fixture, dict) and fixture["dt"] == doctype:
			return tuple(fixture["filters"][0][2])
	return ()


CUSTOM_FIELDS = _fixture_names("Custom Field")
ROLES = _fixture_names("Role")


def after_install() -> None:
	ensure_settings_defaults()
	apply_global_settings()
	apply_portal_menu()


def after_sync() -> None:
	"""After install-app has imported the fixtures: the modes of payment get their accounts; the roles
	(fixtures) get their permissions on ERPNext's documents, and Pick List its print format."""
	ensure_mode_of_payment_accounts()
	apply_role_permissions_and_print_formats()


def apply_role_permissions_and_print_formats() -> None:
	"""Once per site (setup/role_permissions.py, setup/print_formats.py)."""
	from order_mgmt.setup.print_formats import apply_default_print_formats
	from order_mgmt.setup.role_permissions import apply_role_permissions

	apply_role_permissions()
	apply_default_print_formats()


def apply_portal_menu() -> None:
	"""Once per site (setup/portal_menu.py)."""
	from order_mgmt.setup.portal_menu import apply_portal_menu

	apply_portal_menu()


def ensure_mode_of_payment_accounts() -> None:
	from order_mgmt.accounting.modes_of_payment import ensure_accounts

	ensure_accounts()


def apply_global_settings() -> None:
	"""On install only: the global settings the app needs, remembering what they were."""
	if cint(frappe.db.get_single_value("Stock Settings", "allow_negative_stock")):
		# ERPNext refuses stock reservation together with negative stock: the admin chooses.
		print(
			"order_mgmt: Stock Settings allow negative stock, so stock reservation was left off; "
			"approved orders will not reserve stock until an admin enables it."
		)
		return
	kept = _previous_settings()
	for doctype, fieldname, value in GLOBAL_SETTINGS:
		current = frappe.db.get_single_value(doctype, fieldname)
		if cint(current) == value:
			continue
		kept.setdefault(f"{doctype}|{fieldname}", [current, value])
		frappe.db.set_single_value(doctype, fieldname, value)
	if kept:
		frappe.db.set_default(PREVIOUS_SETTINGS_KEY, json.dumps(kept))


def restore_global_settings() -> None:
	"""On uninstall: put back what the app changed, unless an admin changed it since (theirs stands) or
	it is not safe (ERPNext refuses to disable stock reservation while stock is reserved)."""
	for key, (previous, applied) in _previous_settings().items():
		doctype, fieldname = key.split("|")
		if cint(frappe.db.get_single_value(doctype, fieldname)) != cint(applied):
			continue
		if fieldname == "enable_stock_reservation" and frappe.db.exists(
			"Stock Reservation Entry", {"docstatus": 1, "status": ("!=", "Delivered")}
		):
			print(
				"order_mgmt: stock reservation stays enabled in Stock Settings: "
				"Stock Reservation Entries are still open."
			)
			continue
		frappe.db.set_single_value(doctype, fieldname, previous)
	frappe.defaults.clear_default(key=PREVIOUS_SETTINGS_KEY, parent="__default")


def _previous_settings() -> dict[str, list]:
	return json.loads(frappe.db.get_default(PREVIOUS_SETTINGS_KEY) or "{}")


def after_migrate() -> None:
	"""Never re-applies global settings (see the module docstring)."""
	ensure_settings_defaults()
	ensure_mode_of_payment_accounts()
	apply_role_permissions_and_print_formats()  # once: sites installed before they existed
	apply_portal_menu()  # once, likewise


def ensure_settings_defaults() -> None:
	"""Give every unset setting its default (Singles keep no defaults of their own in the database)."""
	meta = frappe.get_meta("Order Management Settings")
	stored = set(frappe.db.get_singles_dict("Order Management Settings"))
	missing = {
		df.fieldname: df.default
		for df in meta.fields
		if df.default is not None and df.fieldname not in stored
	}
	if missing:
		frappe.db.set_single_value("Order Management Settings", missing)
		frappe.clear_document_cache("Order Management Settings", "Order Management Settings")


def before_uninstall() -> None:
	"""Remove what fixtures added to ERPNext's own doctypes (Frappe drops the app's own doctypes) and
	put back the global settings the app changed."""
	restore_global_settings()
	from order_mgmt.setup.print_formats import remove_default_print_formats
	from order_mgmt.setup.role_permissions import remove_role_permissions

	remove_role_permissions()
	remove_default_print_formats()
	from order_mgmt.setup.portal_menu import remove_portal_menu

	remove_portal_menu()
	for name in CUSTOM_FIELDS:
		frappe.delete_doc("Custom Field", name, ignore_missing=True, force=True)
	for workflow in ("Customer Order Review", "Return Request Review"):
		if frappe.db.exists("Workflow", workflow):
			frappe.delete_doc("Workflow", workflow, ignore_missing=True, force=True)
	for role in ROLES:
		if frappe.db.exists("Role", role):
			frappe.delete_doc("Role", role, ignore_missing=True, force=True)
