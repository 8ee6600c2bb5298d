# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from __future__ import annotations

from frappe.model.document import Document

from order_mgmt import server_owned
from order_mgmt.orders import intake
from order_mgmt.returns import review, settlement, validation
from order_mgmt.returns.deliveries import delivered_lines


class ReturnRequest(intake.CheckedAtTheBoundary, Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from order_mgmt.order_mgmt.doctype.return_request_item.return_request_item import ReturnRequestItem
		from order_mgmt.order_mgmt.doctype.return_request_review.return_request_review import (
			ReturnRequestReview,
		)

		amended_from: DF.Link | None
		company: DF.Link | None
		credit_note: DF.Link | None
		currency: DF.Link | None
		customer: DF.Link
		customer_name: DF.Data | None
		customer_order: DF.Link
		delivery_note: DF.Link | None
		items: DF.Table[ReturnRequestItem]
		naming_series: DF.Literal["RR-.YYYY.-.#####"]
		notes: DF.SmallText | None
		posting_date: DF.Date
		refund_payment_entry: DF.Link | None
		replacement_order: DF.Link | None
		resolution_type: DF.Literal["Refund", "Exchange", "Store Credit"]
		return_delivery_note: DF.Link | None
		reviews: DF.Table[ReturnRequestReview]
		sales_invoice: DF.Link | None
		status: DF.Literal[
			"Draft",
			"Submitted",
			"Under Review",
			"Approved",
			"Rejected",
			"Goods Received",
			"Refunded",
			"Replaced",
			"Credited",
			"Closed",
			"Cancelled",
		]
		total_amount: DF.Currency
		total_qty: DF.Float
		workflow_state: DF.Link | None
	# end: auto-generated types

	server_owned_fields = (
		"status",
		"workflow_state",
		"reviews",
		"sales_invoice",
		"return_delivery_note",
		"credit_note",
		"refund_payment_entry",
		"replacement_order",
	)
	"""Written by the app only (order_mgmt.server_owned): whatever a client sends for them is discarded."""

	def check_if_latest(self):
		server_owned.check_docstatus(self)
		super().check_if_latest()

	def before_validate(self):
		server_owned.enforce(self)

	def validate(self):
		intake.coerce_input(self)
		intake.sanitize_free_text(self)
		order = validation.validate_customer_order(self)
		validation.validate_posting_date(self)
		submitting = self.docstatus == 1
		if submitting:
			validation.lock_order(self)
		delivered = delivered_lines(self.customer_order, exclude_request=self.name, for_update=submitting)
		validation.validate_delivered(self, delivered)
		validation.set_order_details(self, order)
		validation.match_lines(self, delivered)
		validation.set_line_details(self, delivered)
		validation.validate_lines(self, delivered)
		validation.set_totals(self)
		review.set_status(self)

	def before_submit(self):
		review.before_submit(self)

	def before_update_after_submit(self):
		server_owned.enforce(self)
		intake.sanitize_free_text(self)
		review.before_update_after_submit(self)

	def on_update_after_submit(self):
		settlement.on_state_change(self)

	def on_submit(self):
		settlement.notify_customer(self, self.workflow_state)

	def before_cancel(self):
		server_owned.enforce(self)
		intake.sanitize_free_text(self)
		review.before_cancel(self)
