// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

// List view (and form header) indicator of Return Request.
// Colours mirror order_mgmt.returns.status.INDICATOR_COLOURS.

frappe.listview_settings["Return Request"] = {
	add_fields: ["status", "workflow_state", "resolution_type", "total_amount"],
	has_indicator_for_draft: true,
	has_indicator_for_cancelled: true,

	colours: {
		Draft: "red",
		Submitted: "blue",
		"Under Review": "orange",
		Approved: "cyan",
		Rejected: "red",
		"Goods Received": "purple",
		Refunded: "green",
		Replaced: "green",
		Credited: "green",
		Closed: "gray",
		Cancelled: "gray",
	},

	get_indicator(doc) {
		let status = doc.status;
		if (cint(doc.docstatus) === 0) status = "Draft";
		else if (cint(doc.docstatus) === 2) status = "Cancelled";
		if (!status) return;
		const colour = frappe.listview_settings["Return Request"].colours[status] || "gray";
		return [__(status), colour, "status,=," + status];
	},
};
