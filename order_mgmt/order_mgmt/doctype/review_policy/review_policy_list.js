// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

frappe.listview_settings["Review Policy"] = {
	get_indicator(doc) {
		const colour = { Draft: "orange", Published: "green", Superseded: "gray" }[doc.status];
		return [__(doc.status), colour, "status,=," + doc.status];
	},
	onload(listview) {
		if (!frappe.model.can_create("Review Policy")) return;
		listview.page.add_inner_button(__("New Draft from Live Rules"), () =>
			frappe.call({
				method: "order_mgmt.review.policy.new_draft_from_live_rules",
				freeze: true,
				callback: (r) => r.message && frappe.set_route("Form", "Review Policy", r.message),
			})
		);
	},
};
