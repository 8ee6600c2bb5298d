// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

// List view (and form header) indicator of Order Review: its decision, or "Overdue" while a
// pending review is past its SLA (is_overdue is set by order_mgmt.review.sla and stays set
// after the decision, so it only counts while the review is pending).

frappe.listview_settings["Order Review"] = {
	add_fields: ["decision", "is_overdue", "stage"],

	colours: {
		Pending: "orange",
		Approved: "green",
		Rejected: "red",
		"Returned for Changes": "orange",
	},

	get_indicator(doc) {
		const decision = doc.decision;
		if (!decision) return;
		if (decision === "Pending" && cint(doc.is_overdue)) {
			return [__("Overdue"), "red", "decision,=,Pending|is_overdue,=,1"];
		}
		const colour = frappe.listview_settings["Order Review"].colours[decision] || "gray";
		return [__(decision), colour, "decision,=," + decision];
	},
};
