# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class OrderReviewStage(Document):
	def validate(self):
		self.validate_workflow_state()

	def validate_workflow_state(self):
		workflow = frappe.get_meta("Customer Order").get_workflow()
		if not workflow or not self.workflow_state:
			return
		states = frappe.get_all("Workflow Document State", filters={"parent": workflow}, pluck="state")
		if self.workflow_state not in states:
			frappe.msgprint(
				_(
					"Workflow {0} has no state {1} yet: add it, with Approve, Reject and Return for Changes transitions, before orders are routed to this stage"
				).format(workflow, self.workflow_state),
				indicator="orange",
				alert=True,
			)
