"""Connections on ERPNext forms that lead back to this app's documents."""

from frappe import _


def sales_order_dashboard(data: dict) -> dict:
	data.setdefault("internal_links", {})["Customer Order"] = "customer_order"
	data.setdefault("transactions", []).append({"label": _("Order Management"), "items": ["Customer Order"]})
	return data


def customer_dashboard(data: dict) -> dict:
	data.setdefault("non_standard_fieldnames", {})
	data.setdefault("transactions", []).append({"label": _("Order Management"), "items": ["Customer Order"]})
	return data
