"""What the app's roles may do on ERPNext's documents of the orders they handle (README: "Global
settings this app changes").

Frappe ignores a DocType's standard permissions as soon as one Custom DocPerm exists for it, so the
grants are not shipped as Custom DocPerm fixtures (which would take every other role's access to Sales
Order, Delivery Note… away): they are added with frappe.permissions.add_permission, which first copies
the DocType's standard permissions, as the Role Permission Manager does. Applied once per site (on
install, or on the first migrate of a site installed before), never again: an admin's later change in
the Role Permission Manager stands. Uninstall removes the rows the app added, and the copied standard
rows too where nothing else was changed since.
"""

from __future__ import annotations

import json

import frappe
from frappe.permissions import add_permission, setup_custom_perms

READ = ("read", "print", "report", "email")
WORK = (*READ, "create", "write", "submit")

SALES_DOCUMENTS = ("Sales Order", "Pick List", "Delivery Note", "Sales Invoice", "Payment Entry")
SHIPMENT_DOCUMENTS = ("Sales Order", "Pick List", "Delivery Note")

# role -> {doctype: permissions}. Why each: README, "Global settings this app changes".
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
	# The orders' ERPNext documents, to answer for them; no change: sales staff neither ship nor bill.
	"Order Clerk": dict.fromkeys(SALES_DOCUMENTS, READ),
	"Sales Reviewer": dict.fromkeys(SALES_DOCUMENTS, READ),
	# Warehouse staff update stock and shipping: they pick and deliver (no cancel: a manager's call).
	"Warehouse Reviewer": {
		**dict.fromkeys(SALES_DOCUMENTS, READ),
		"Pick List": WORK,
		"Delivery Note": WORK,
	},
	# Finance handles payments and invoices (no cancel).
	"Finance Reviewer": {
		**dict.fromkeys(SALES_DOCUMENTS, READ),
		"Sales Invoice": WORK,
		"Payment Entry": WORK,
	},
	"Order Manager": dict.fromkeys(SALES_DOCUMENTS, READ),
	# Customer service views orders and shipments (not invoices or payments).
	"Customer Service": dict.fromkeys(SHIPMENT_DOCUMENTS, READ),
}

APPLIED_KEY = "order_mgmt_role_permissions"
"""Site default: {"doctypes_copied": [...], "rows": [Custom DocPerm names], "grants": ["role|doctype"]}."""


def _applied() -> dict | None:
	value = frappe.db.get_default(APPLIED_KEY)
	return json.loads(value) if value else None


def apply_role_permissions() -> None:
	"""Each grant once per site (see the module docstring): a grant added in a later version is applied
	on the next migrate; one an admin removed is not put back. Idempotent."""
	record = {"doctypes_copied": [], "rows": [], "grants": [], **(_applied() or {})}
	for role, grants in ROLE_PERMISSIONS.items():
		if not frappe.db.exists("Role", role):
			continue
		for doctype, ptypes in grants.items():
			if f"{role}|{doctype}" in record["grants"]:
				continue
			record["grants"].append(f"{role}|{doctype}")
			if setup_custom_perms(doctype):
				record["doctypes_copied"].append(doctype)
			name = frappe.db.get_value(
				"Custom DocPerm", {"parent": doctype, "role": role, "permlevel": 0, "if_owner": 0}
			)
			if not name:
				name = add_permission(doctype, role, 0, ptypes[0])
				record["rows"].append(name)
			frappe.db.set_value("Custom DocPerm", name, dict.fromkeys(ptypes, 1), update_modified=False)
			frappe.clear_cache(doctype=doctype)
	frappe.db.set_default(APPLIED_KEY, json.dumps(record))


def remove_role_permissions() -> None:
	"""On uninstall: the rows the app added; the standard rows it copied where nothing else changed."""
	record = _applied()
	if not record:
		return
	for name in record["rows"]:
		frappe.db.delete("Custom DocPerm", {"name": name})
	for doctype in set(record["doctypes_copied"]):
		if _same_as_standard(doctype):
			frappe.db.delete("Custom DocPerm", {"parent": doctype})
		frappe.clear_cache(doctype=doctype)
	frappe.defaults.clear_default(key=APPLIED_KEY, parent="__default")


PTYPES = ("read", "write", "create", "delete", "submit", "cancel", "amend", "report", "export", "print")


def _rows(doctype_of_perm: str, doctype: str) -> set[tuple]:
	fields = ["role", "permlevel", "if_owner", *PTYPES]
	return {
		tuple(row[f] for f in fields)
		for row in frappe.get_all(doctype_of_perm, filters={"parent": doctype}, fields=fields)
	}


def _same_as_standard(doctype: str) -> bool:
	return _rows("Custom DocPerm", doctype) == _rows("DocPerm", doctype)
