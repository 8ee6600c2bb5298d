# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document

from order_mgmt import server_owned
from order_mgmt.erpnext_bridge.sales_order import price_order, priced_as_saved
from order_mgmt.erpnext_bridge.stock_reservation import lock_stock_of_order
from order_mgmt.fulfilment import promising
from order_mgmt.orders import cancellation, intake
from order_mgmt.orders import status as order_status
from order_mgmt.review import facts, workflow


class CustomerOrder(intake.CheckedAtTheBoundary, Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from erpnext.accounts.doctype.sales_taxes_and_charges.sales_taxes_and_charges import (
			SalesTaxesandCharges,
		)
		from frappe.types import DF

		from order_mgmt.order_mgmt.doctype.customer_order_cancellation_decision.customer_order_cancellation_decision import (
			CustomerOrderCancellationDecision,
		)
		from order_mgmt.order_mgmt.doctype.customer_order_hold_reason.customer_order_hold_reason import (
			CustomerOrderHoldReason,
		)
		from order_mgmt.order_mgmt.doctype.customer_order_item.customer_order_item import CustomerOrderItem

		amended_from: DF.Link | None
		base_grand_total: DF.Currency
		advance_at_cancellation: DF.Currency
		advance_settlement: DF.Literal["", "Refund", "Keep as Credit"]
		cancellation_category: DF.Link | None
		cancellation_decisions: DF.Table[CustomerOrderCancellationDecision]
		cancellation_reason: DF.SmallText | None
		cancellation_requested: DF.Check
		channel: DF.Literal["Desk", "Portal", "Phone", "Email", "Import", "API"]
		company: DF.Link
		contact_person: DF.Link | None
		conversion_rate: DF.Float
		currency: DF.Link | None
		customer: DF.Link
		customer_name: DF.Data | None
		credit_exposure: DF.Currency
		decision_facts: DF.Code | None
		credit_limit: DF.Currency
		current_review_stage: DF.Link | None
		customer_po: DF.Data | None
		delivery_date: DF.Date
		delivery_method: DF.Literal["Courier", "Pickup", "Freight"]
		duplicate_key: DF.Data | None
		feedback_comment: DF.SmallText | None
		feedback_on: DF.Datetime | None
		feedback_rating: DF.Int
		following_review_stage: DF.Link | None
		grand_total: DF.Currency
		has_shortage: DF.Check
		hold_reasons: DF.Table[CustomerOrderHoldReason]
		items: DF.Table[CustomerOrderItem]
		naming_series: DF.Literal["CO-.YYYY.-.#####"]
		net_total: DF.Currency
		notes: DF.SmallText | None
		order_date: DF.Date
		outstanding_amount: DF.Currency
		order_type: DF.Literal["Standard", "Pre-sale", "Bulk", "Custom"]
		paid_amount: DF.Currency
		payment_status: DF.Literal["", "Unpaid", "Partly Paid", "Paid"]
		payment_terms_template: DF.Link | None
		per_billed: DF.Percent
		per_delivered: DF.Percent
		price_list: DF.Link | None
		portal_request_key: DF.Data | None
		priority: DF.Literal["", "Normal", "High", "Urgent"]
		review_comment: DF.SmallText | None
		review_route: DF.Data | None
		review_decision: DF.Literal[
			"", "Auto-approved", "Held for Review", "Approved", "Rejected", "Returned for Changes"
		]
		reviewed_by: DF.Link | None
		reviewed_on: DF.Datetime | None
		refund_payment_entry: DF.Link | None
		sales_order: DF.Link | None
		shipping_address: DF.SmallText | None
		shipping_address_name: DF.Link | None
		status: DF.Literal[
			"Draft",
			"Pending Review",
			"Returned for Changes",
			"Approved",
			"Rejected",
			"On Hold",
			"Cancelled",
			"To Deliver",
			"Partly Delivered",
			"Delivered",
			"Completed",
		]
		taxes: DF.Table[SalesTaxesandCharges]
		taxes_and_charges: DF.Link | None
		total_qty: DF.Float
		total_taxes_and_charges: DF.Currency
		workflow_state: DF.Link | None
	# end: auto-generated types

	server_owned_fields = (
		"sales_order",
		"status",
		"workflow_state",
		"review_decision",
		"reviewed_by",
		"reviewed_on",
		"review_comment",
		"review_route",
		"current_review_stage",
		"following_review_stage",
		"credit_limit",
		"credit_exposure",
		"decision_facts",
		"hold_reasons",
		"duplicate_key",
		"has_shortage",
		"paid_amount",
		"outstanding_amount",
		"payment_status",
		"per_delivered",
		"per_billed",
		"cancellation_reason",
		"cancellation_category",
		"cancellation_requested",
		"cancellation_decisions",
		"advance_settlement",
		"advance_at_cancellation",
		"refund_payment_entry",
		"portal_request_key",
		"feedback_rating",
		"feedback_comment",
		"feedback_on",
	)
	"""Written by the app only (order_mgmt.server_owned): whatever a client sends for them is discarded."""

	def check_if_latest(self):
		"""Take this app's locks (customer, then the Bins of the order's stock) before Frappe locks the
		order's own rows, which also locks index gaps of shared child tables (Sales Taxes and Charges)
		that a concurrent Sales Order insert needs: concurrent submits and approvals of orders for one
		customer or the same stock then queue instead of deadlocking."""
		server_owned.check_docstatus(self)
		if self.docstatus in (1, 2) and self.customer:
			intake.lock_customer(self.customer)
			self.flags.customer_locked = self.customer  # intake.validate_not_duplicate needs no second lock
			lock_stock_of_order(self)
		super().check_if_latest()

	def validate_workflow(self):
		"""An order the app's intake inserts submitted (server_owned.insert_submitted) is checked as the
		submit of its saved draft: for a new document Frappe allows only the workflow's first state."""
		if not (self.is_new() and self.flags.get(server_owned.SUBMITTED_INSERT_FLAG)):
			return super().validate_workflow()
		draft = self.as_dict()
		draft.pop("__islocal", None)
		# what Frappe gives a new document: the workflow's first state
		first_state = frappe.get_cached_doc("Workflow", self.meta.get_workflow()).states[0].state
		draft.update({"docstatus": 0, "workflow_state": first_state})
		self._doc_before_save = frappe.get_doc(draft)
		try:
			return super().validate_workflow()
		finally:
			self._doc_before_save = None

	def before_validate(self):
		server_owned.enforce(self)

	def validate(self):
		intake.coerce_input(self)
		intake.validate_customer(self)
		intake.validate_company(self)
		intake.validate_has_items(self)
		intake.validate_date_window(self)
		intake.validate_items(self)
		intake.validate_dates(self)
		intake.validate_uoms(self)
		self.set_prices_and_totals()
		intake.sanitize_free_text(self)
		intake.validate_warehouses(self)
		intake.validate_whole_number_quantities(self)
		intake.validate_minimum_rates(self)
		intake.set_default_priority(self)
		intake.set_duplicate_key(self)
		self.set_draft_status()
		self.set_review_route()

	def set_prices_and_totals(self):
		"""Prices, taxes and totals always come from ERPNext, whatever the client sent; on submit, an
		order that carries exactly its saved draft's prices, computed today from data unchanged since,
		keeps them (erpnext_bridge.sales_order.priced_as_saved)."""
		if not priced_as_saved(self):
			price_order(self)

	def set_draft_status(self):
		if self.docstatus == 0:
			self.status = order_status.DRAFT

	def set_review_route(self):
		"""Which review stages the order needs, kept current while it is a draft (the workflow's
		transition conditions read it) and decided again on submit, from the lines as submitted."""
		if self.docstatus == 0:
			facts.compute_route(self)
		elif getattr(self, "_action", None) == "submit":
			workflow.set_route_on_submit(self)

	def before_submit(self):
		intake.validate_not_duplicate(self)
		workflow.before_submit(self)

	def on_submit(self):
		workflow.on_submit(self)

	def before_update_after_submit(self):
		server_owned.enforce(self)
		intake.sanitize_free_text(self)
		workflow.before_update_after_submit(self)

	def on_update_after_submit(self):
		workflow.on_update_after_submit(self)

	def before_cancel(self):
		server_owned.enforce(self)
		cancellation.validate_cancellation(self)
		intake.sanitize_free_text(self)
		self.status = order_status.CANCELLED
		cancellation.set_cancelled_workflow_state(self)

	def on_cancel(self):
		cancellation.cancel_sales_order(self)
		cancellation.close_pending_reviews(self)
		promising.release_promises(self.name)

	def onload(self):
		from order_mgmt.fulfilment.shipping import shipments_of_order

		self.set_onload("shipments", shipments_of_order(self.sales_order))
		if self.docstatus == 1:
			from order_mgmt.fulfilment.risk_sweep import open_risk

			self.set_onload("order_risk", open_risk(self.name))
		if self.docstatus == 1 and self.sales_order:
			from order_mgmt.accounting.invoicing import can_invoice

			self.set_onload("can_invoice", can_invoice(self))
		self.set_onload("cancellation", cancellation.form_info(self))

	def get_indicator_for_status(self) -> tuple[str, str]:
		return _(self.status), order_status.INDICATOR_COLOURS.get(self.status, "gray")


def on_doctype_update():
	"""The portal's order list (portal/orders.py order_list) reads one customer's orders newest first:
	this index serves it in that order, without sorting all of the customer's orders."""
	import frappe

	frappe.db.add_index(
		"Customer Order", ["customer", "order_date", "creation"], index_name="customer_order_date_creation"
	)
