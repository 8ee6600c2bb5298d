"""Access to Order Management Settings (a Single DocType, cached by Frappe)."""

from __future__ import annotations

import frappe


def get_settings():
	return frappe.get_cached_doc("Order Management Settings")
