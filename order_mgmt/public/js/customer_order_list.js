// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

// List view (and form header) indicator of Customer Order.
// Colours mirror order_mgmt.orders.status.INDICATOR_COLOURS.

frappe.listview_settings["Customer Order"] = {
	add_fields: ["status", "priority", "sales_order"],
	has_indicator_for_draft: true,
	has_indicator_for_cancelled: true,

	colours: {
		Draft: "red",
		"Pending Review": "orange",
		"Returned for Changes": "orange",
		Approved: "blue",
		Rejected: "red",
		"On Hold": "yellow",
		Cancelled: "gray",
		"To Deliver": "purple",
		"Partly Delivered": "cyan",
		Delivered: "green",
		Completed: "green",
	},

	get_indicator(doc) {
		let status = doc.status;
		if (cint(doc.docstatus) === 0) status = "Draft";
		else if (cint(doc.docstatus) === 2) status = "Cancelled";
		if (!status) return;
		const colour = frappe.listview_settings["Customer Order"].colours[status] || "gray";
		return [__(status), colour, "status,=," + status];
	},

	formatters: {
		priority(value) {
			if (!value) return "";
			const colour = { Urgent: "red", High: "orange" }[value];
			const label = frappe.utils.escape_html(__(value));
			if (!colour) return label;
			return `<span class="indicator-pill ${colour} ellipsis"><span class="ellipsis">${label}</span></span>`;
		},
	},
};
