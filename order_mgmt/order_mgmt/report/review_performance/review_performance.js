// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

{% include "order_mgmt/public/js/report_filters.js" %}

frappe.query_reports["Review Performance"] = {
	filters: order_mgmt.report_filters(
		["company", "period", "customer", "customer_group", "item_group", "territory", "channel", "order_type"],
		[
			order_mgmt.report_select("view", __("View"), [
				["Week", __("Week")],
				["Stage", __("Stage")],
				["Reviewer", __("Reviewer")],
				["Hold Rule", __("Hold Rule")],
			]),
		]
	),
};
