"""Access to Order Management Settings (a Single DocType, cached by Frappe)."""

from __future__ import annotations

import frappe

from order_mgmt.review.engine import Thresholds


def get_settings():
	return frappe.get_cached_doc("Order Management Settings")


def review_thresholds() -> Thresholds:
	settings = get_settings()
	return Thresholds(
		check_credit=bool(settings.check_credit_limit),
		check_stock=bool(settings.check_stock),
		check_margin=bool(settings.check_margin),
		check_new_customer=bool(settings.review_new_customers),
		max_discount_without_review=float(settings.max_discount_without_review or 0),
		max_order_value_without_review=float(settings.max_order_value_without_review or 0),
	)
