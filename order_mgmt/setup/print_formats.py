"""Default print formats (README: "Global settings this app changes").

*Order Pick List* becomes Pick List's default print format once per site (on install, or on the first
migrate of a site installed before), only when the admin has set none; *Order Invoice* becomes Sales
Invoice's default while Order Management Settings' *Use Order Invoice as the Sales Invoice print
format* is on. Both are Property Setters (`default_print_format`), as the Customize Form sets them; the
app removes only a Property Setter that still names its own format.
"""

from __future__ import annotations

import frappe

PICK_LIST = ("Pick List", "Order Pick List")
SALES_INVOICE = ("Sales Invoice", "Order Invoice")
APPLIED_KEY = "order_mgmt_default_print_formats"
"""Site default, set once the Pick List default was decided (applied or left to the admin's)."""


def current_default(doctype: str) -> str | None:
	return frappe.db.get_value(
		"Property Setter",
		{"doc_type": doctype, "doctype_or_field": "DocType", "property": "default_print_format"},
		"value",
	)


def set_default(doctype: str, print_format: str) -> None:
	frappe.make_property_setter(
		{
			"doctype": doctype,
			"doctype_or_field": "DocType",
			"property": "default_print_format",
			"value": print_format,
			"property_type": "Data",
		},
		is_system_generated=False,
	)
	frappe.clear_cache(doctype=doctype)


def unset_default(doctype: str, print_format: str) -> None:
	"""Remove the default only where it is still the app's format (an admin's choice stands)."""
	if current_default(doctype) != print_format:
		return
	frappe.db.delete(
		"Property Setter",
		{"doc_type": doctype, "doctype_or_field": "DocType", "property": "default_print_format"},
	)
	frappe.clear_cache(doctype=doctype)


def apply_default_print_formats() -> None:
	if frappe.db.get_default(APPLIED_KEY):
		return
	doctype, print_format = PICK_LIST
	if not current_default(doctype) and frappe.db.exists("Print Format", print_format):
		set_default(doctype, print_format)
	frappe.db.set_default(APPLIED_KEY, "1")


def remove_default_print_formats() -> None:
	unset_default(*PICK_LIST)
	sync_invoice_print_format(False)
	frappe.defaults.clear_default(key=APPLIED_KEY, parent="__default")


PREVIOUS_INVOICE_KEY = "order_mgmt_previous_invoice_print_format"


def sync_invoice_print_format(use_order_invoice: bool) -> None:
	"""Order Management Settings' switch: on sets Order Invoice as the default, remembering the admin's
	default it replaces; off puts that back (or removes the default) where it is still Order Invoice."""
	doctype, print_format = SALES_INVOICE
	current = current_default(doctype)
	if use_order_invoice:
		if current != print_format:
			frappe.db.set_default(PREVIOUS_INVOICE_KEY, current or "")
			set_default(doctype, print_format)
		return
	previous = frappe.db.get_default(PREVIOUS_INVOICE_KEY)
	frappe.defaults.clear_default(key=PREVIOUS_INVOICE_KEY, parent="__default")
	if current != print_format:
		return
	if previous:
		set_default(doctype, previous)
	else:
		unset_default(doctype, print_format)
