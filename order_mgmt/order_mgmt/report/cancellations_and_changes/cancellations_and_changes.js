// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

{% include "order_mgmt/public/js/report_filters.js" %}

frappe.query_reports["Cancellations and Changes"] = {
	filters: order_mgmt.report_filters(
		["company", "period", "customer", "customer_group", "item_group", "territory", "channel", "order_type"],
		[
			order_mgmt.report_select("group_by", __("Group By"), [
				["Month", __("Month")],
				["Customer", __("Customer")],
				["Item Group", __("Item Group")],
				["Cancellation Reason", __("Cancellation Reason")],
				["Stage", __("Stage")],
			]),
		]
	),
};
