// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

{% include "order_mgmt/public/js/report_filters.js" %}

frappe.query_reports["Return Rate"] = {
	filters: order_mgmt.report_filters(
		["company", "period"],
		[
			order_mgmt.report_select("group_by", __("Group By"), [
				["Item", __("Item")],
				["Customer", __("Customer")],
				["Item Group", __("Item Group")],
				["Reason", __("Reason")],
			]),
		]
	),
};
