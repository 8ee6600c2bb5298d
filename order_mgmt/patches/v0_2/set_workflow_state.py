"""Orders made before the review workflow get a workflow state matching their status."""

import frappe

STATE_OF_STATUS = {
	"Draft": "Draft",
	"Pending Review": "On Hold",  # no route recorded yet: an Order Manager releases or rejects it
	"On Hold": "On Hold",
	"Rejected": "Rejected",
	"Cancelled": "Cancelled",
}


def execute():
	for status, state in STATE_OF_STATUS.items():
		frappe.db.set_value(
			"Customer Order", {"status": status, "workflow_state": ("is", "not set")}, "workflow_state", state
		)
	frappe.db.set_value(
		"Customer Order",
		{"workflow_state": ("is", "not set"), "docstatus": 1},
		"workflow_state",
		"Approved",
	)
