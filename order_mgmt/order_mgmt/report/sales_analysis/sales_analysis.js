// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

{% include "order_mgmt/public/js/report_filters.js" %}

frappe.query_reports["Sales Analysis"] = {
	filters: order_mgmt.report_filters(
		["company", "period", "customer", "customer_group", "item_group", "territory", "channel", "order_type"],
		[
			order_mgmt.report_select("group_by", __("Group By"), [
				["Customer", __("Customer")],
				["Item", __("Item")],
				["Item Group", __("Item Group")],
				["Territory", __("Territory")],
				["Month", __("Month")],
			]),
		]
	),
};
