# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from __future__ import annotations

from frappe.model.document import Document

from order_mgmt import server_owned
from order_mgmt.orders import change_request, intake


class OrderChangeRequest(intake.CheckedAtTheBoundary, Document):
	server_owned_fields = (
		"sales_order",
		"requested_by",
		"status",
		"tier",
		"current_stage",
		"delivery_date_before",
		"shipping_address_before",
		"payment_terms_before",
		"payment_schedule_before",
		"payment_schedule_after",
		"net_total_before",
		"taxes_before",
		"grand_total_before",
		"net_total_after",
		"taxes_after",
		"grand_total_after",
		"grand_total_difference",
		"new_shortage_qty",
		"extra_reservable_qty",
		"delivered_qty",
		"picked_qty",
		"credit_limit",
		"credit_exposure_after",
		"billed_amount",
		"review_route",
		"tier_reasons",
		"decisions",
		"applied_on",
		"applied_by",
	)
	"""Written by the app only (order_mgmt.server_owned): whatever a client sends for them is discarded."""

	def check_if_latest(self):
		server_owned.check_docstatus(self)
		super().check_if_latest()
		change_request.refuse_closed_order(self)

	def before_validate(self):
		server_owned.enforce(self)

	def validate(self):
		change_request.validate(self)

	def before_submit(self):
		change_request.before_submit(self)

	def on_submit(self):
		change_request.on_submit(self)

	def before_update_after_submit(self):
		server_owned.enforce(self)

	def before_cancel(self):
		server_owned.enforce(self)
		change_request.before_cancel(self)
