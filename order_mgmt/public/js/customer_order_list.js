// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

// List view (and form header) indicator of Customer Order.
// Colours mirror order_mgmt.orders.status.INDICATOR_COLOURS.

frappe.listview_settings["Customer Order"] = {
	add_fields: ["status", "priority", "sales_order", "has_shortage"],

	// One Pick List for approved orders, most urgent first (order_mgmt.fulfilment.picking). Also used
	// by the form's Create > Pick List: Frappe loads these settings with the DocType. Large batches
	// are built by a background job: Frappe shows its progress bar, and the user gets a
	// notification and the realtime event below when the Pick List is ready.
	create_pick_list(names) {
		return frappe
			.call({
				method: "order_mgmt.fulfilment.picking.create_pick_list",
				args: { order_names: names },
				freeze: true,
				freeze_message: __("Create Pick List"),
			})
			.then((r) => {
				const result = r.message || {};
				if (result.queued) {
					frappe.show_alert({
						message: __("Building the Pick List for {0} orders in the background", [result.orders]),
						indicator: "blue",
					});
					frappe.realtime.off("order_mgmt_pick_list_ready");
					frappe.realtime.on("order_mgmt_pick_list_ready", (data) => {
						frappe.realtime.off("order_mgmt_pick_list_ready");
						frappe.hide_progress();
						frappe.set_route("Form", "Pick List", data.pick_list);
					});
					return;
				}
				if (!result.pick_list) return;
				frappe.show_alert({ message: __("Pick List {0} created", [result.pick_list]), indicator: "green" });
				frappe.set_route("Form", "Pick List", result.pick_list);
			});
	},

	onload(listview) {
		if (frappe.model.can_create("Pick List")) {
			// Several approved orders picked as one batch, most urgent first.
			listview.page.add_actions_menu_item(__("Create Pick List"), () => {
				const names = listview.get_checked_items(true);
				if (names.length) frappe.listview_settings["Customer Order"].create_pick_list(names);
			});
		}
		if (frappe.model.can_create("Sales Invoice")) {
			// Each selected order invoiced on its own; refusals are listed, the others go through.
			listview.page.add_actions_menu_item(__("Create Sales Invoices"), () => {
				const names = listview.get_checked_items(true);
				if (!names.length) return;
				frappe
					.call({
						method: "order_mgmt.accounting.invoicing.create_sales_invoices",
						args: { order_names: names },
						freeze: true,
						freeze_message: __("Creating Sales Invoices"),
					})
					.then((r) => {
						const result = r.message || {};
						if (result.queued) {
							frappe.show_alert({
								message: __("Invoicing {0} orders in the background", [result.orders]),
								indicator: "blue",
							});
							return;
						}
						const failed = Object.entries(result.failed || {});
						const created = Object.keys(result.created || {}).length;
						const esc = frappe.utils.escape_html;
						frappe.msgprint({
							title: __("Sales Invoices"),
							indicator: failed.length ? "orange" : "green",
							message:
								`<p>${__("{0} created", [created])}</p>` +
								(failed.length
									? `<ul>${failed.map(([name, why]) => `<li><b>${esc(name)}</b>: ${esc(why)}</li>`).join("")}</ul>`
									: ""),
						});
						listview.refresh();
					});
			});
		}
	},
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
		if (cint(doc.has_shortage) && ["To Deliver", "Partly Delivered"].includes(status)) {
			// Approved but waiting for stock (or for the customer's decision on the shortage).
			return [__("Short"), "orange", "has_shortage,=,1"];
		}
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
