# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from order_mgmt import server_owned


class OrderReviewLockedError(frappe.ValidationError):
	pass


def review_name(customer_order: str, stage: str) -> str:
	"""`<order>-<STAGE>-<n>`, n one more than the order's highest for that stage (a decision locks the
	order's row, so two reviews of one order and stage are not named at once)."""
	prefix = f"{customer_order}-{(stage or 'REVIEW').upper().replace(' ', '-')}-"
	taken = frappe.get_all("Order Review", filters={"name": ("like", f"{prefix}%")}, pluck="name")
	counters = [int(name[len(prefix) :]) for name in taken if name[len(prefix) :].isdigit()]
	return f"{prefix}{max(counters, default=0) + 1}"


class OrderReview(Document):
	"""One stage's review of a Customer Order: pending until decided, then never edited again."""

	def autoname(self):
		"""Readable: the order, the stage and a counter, e.g. CO-2026-00010-SALES-1."""
		self.name = review_name(self.customer_order, self.stage)

	def before_validate(self):
		server_owned.refuse_unless_app_write(self)  # written only by order_mgmt.review.workflow

	def validate(self):
		self.validate_not_decided_before()

	def validate_not_decided_before(self):
		before = self.get_doc_before_save()
		if before and before.decision != "Pending":
			frappe.throw(
				_("Order Review {0} was decided ({1}) and can no longer be changed").format(
					self.name, _(before.decision)
				),
				OrderReviewLockedError,
			)

	def on_trash(self):
		if self.decision != "Pending" and not frappe.flags.in_uninstall:
			frappe.throw(_("A decided Order Review is part of the audit trail and cannot be deleted"))
