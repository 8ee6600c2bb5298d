"""Install, migrate and uninstall hooks."""

from __future__ import annotations

import frappe


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
	ensure_credit_controller()
	enable_stock_reservation()


def after_sync() -> None:
	"""After install-app has imported the fixtures: the modes of payment get their accounts."""
	ensure_mode_of_payment_accounts()


def ensure_mode_of_payment_accounts() -> None:
	from order_mgmt.accounting.modes_of_payment import ensure_accounts

	ensure_accounts()


def enable_stock_reservation() -> None:
	"""Approved orders reserve stock with ERPNext's Stock Reservation Entry (partially when short)."""
	frappe.db.set_single_value(
		"Stock Settings", {"enable_stock_reservation": 1, "allow_partial_reservation": 1}
	)


def ensure_credit_controller() -> None:
	"""ERPNext refuses a Sales Order over the credit limit unless the submitting user has the credit
	controller role: Finance Reviewers approve such orders here, so they get that authority."""
	if not frappe.db.get_single_value("Accounts Settings", "credit_controller"):
		frappe.db.set_single_value("Accounts Settings", "credit_controller", "Finance Reviewer")


def after_migrate() -> None:
	ensure_settings_defaults()
	ensure_credit_controller()
	ensure_mode_of_payment_accounts()


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
	"""Remove what fixtures added to ERPNext's own doctypes (Frappe drops the app's own doctypes)."""
	for name in CUSTOM_FIELDS:
		frappe.delete_doc("Custom Field", name, ignore_missing=True, force=True)
	for workflow in ("Customer Order Review", "Return Request Review"):
		if frappe.db.exists("Workflow", workflow):
			frappe.delete_doc("Workflow", workflow, ignore_missing=True, force=True)
	for role in ROLES:
		if frappe.db.exists("Role", role):
			frappe.delete_doc("Role", role, ignore_missing=True, force=True)
