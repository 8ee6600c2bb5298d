# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

THRESHOLD_CONDITIONS = ("Grand Total At Least", "Discount At Least")
MATCH_CONDITIONS = ("Order Type Is", "Channel Is", "Payment Terms Is")


class OrderReviewRule(Document):
	def validate(self):
		self.validate_threshold()
		self.validate_match_value()

	def validate_threshold(self):
		if self.condition in THRESHOLD_CONDITIONS and (self.threshold or 0) <= 0:
			frappe.throw(_("Condition {0} needs a threshold above zero").format(_(self.condition)))
		if self.condition == "Discount At Least" and self.threshold > 100:
			frappe.throw(_("A discount threshold cannot exceed 100%"))

	def validate_match_value(self):
		if self.condition in MATCH_CONDITIONS and not (self.match_value or "").strip():
			frappe.throw(_("Condition {0} needs a value to match").format(_(self.condition)))
