// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

// The filters the Order Management reports share. A report's script includes this file with
// Frappe's include directive (expanded server-side by frappe.desk.query_report.get_script, so no
// asset build is needed) and lists the filters it applies, in order:
//   filters: order_mgmt.report_filters(["company", "period", "customer", "channel"], [view filter])
// "period" stands for From Date and To Date (the last three months by default).

frappe.provide("order_mgmt");

order_mgmt.report_filter_fields = function () {
	return {
		company: {
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
			default: frappe.defaults.get_user_default("Company"),
			reqd: 1,
		},
		from_date: {
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.add_months(frappe.datetime.get_today(), -3),
			reqd: 1,
		},
		to_date: {
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
			reqd: 1,
		},
		customer: { fieldname: "customer", label: __("Customer"), fieldtype: "Link", options: "Customer" },
		customer_group: {
			fieldname: "customer_group",
			label: __("Customer Group"),
			fieldtype: "Link",
			options: "Customer Group",
		},
		item_group: { fieldname: "item_group", label: __("Item Group"), fieldtype: "Link", options: "Item Group" },
		territory: { fieldname: "territory", label: __("Territory"), fieldtype: "Link", options: "Territory" },
		channel: {
			fieldname: "channel",
			label: __("Channel"),
			fieldtype: "Select",
			options: ["", "Desk", "Portal", "Phone", "Email", "Import", "API"],
		},
		order_type: {
			fieldname: "order_type",
			label: __("Order Type"),
			fieldtype: "Select",
			options: ["", "Standard", "Pre-sale", "Bulk", "Custom"],
		},
	};
};

order_mgmt.report_filters = function (names, extra) {
	const fields = order_mgmt.report_filter_fields();
	const result = [];
	for (const name of names) {
		if (name === "period") {
			result.push(fields.from_date, fields.to_date);
		} else {
			result.push(fields[name]);
		}
	}
	return result.concat(extra || []);
};

// A Select filter named `fieldname` over [value, label] pairs, the first the default.
order_mgmt.report_select = function (fieldname, label, options) {
	return {
		fieldname: fieldname,
		label: label,
		fieldtype: "Select",
		options: options.map(([value, text]) => ({ value: value, label: text })),
		default: options[0][0],
	};
};
