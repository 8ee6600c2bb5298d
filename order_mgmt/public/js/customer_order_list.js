// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

// List view (and form header) indicator of Customer Order.
// Colours mirror order_mgmt.orders.status.INDICATOR_COLOURS.
// A pending order says which stage it waits for ("Sales Review"; the pill's title has the full
// "Pending Sales Review"). Labels stay short: Frappe cuts long ones in the list ("Returned for C…").

frappe.listview_settings["Customer Order"] = {
	add_fields: [
		"status",
		"priority",
		"sales_order",
		"has_shortage",
		"channel",
		"workflow_state",
		"current_review_stage",
		"cancellation_requested",
	],

	// The stage an order waits for: current_review_stage, else its workflow state ("Pending Sales Review").
	review_stage(doc) {
		if (doc.current_review_stage) return doc.current_review_stage;
		const match = /^Pending (.+) Review$/.exec(doc.workflow_state || "");
		return match ? match[1] : null;
	},

	// [short label shown in the pill, full label for its title], by status.
	labels(doc, status) {
		if (status === "Pending Review") {
			const stage = frappe.listview_settings["Customer Order"].review_stage(doc);
			if (stage) return [__("{0} Review", [__(stage)]), __("Pending {0} Review", [__(stage)])];
		}
		if (status === "Returned for Changes") return [__("Returned"), __(status)];
		return [__(status), __(status)];
	},

	// "Waiting for Me": the orders waiting for a stage the user's roles review.
	add_waiting_for_me(listview) {
		frappe.call({ method: "order_mgmt.review.permissions.get_my_review_stages" }).then((r) => {
			const stages = r.message || [];
			if (!stages.length) return;
			listview.page.add_inner_button(__("Waiting for Me"), () => {
				listview.filter_area
					.remove("current_review_stage")
					.then(() => listview.filter_area.add([["Customer Order", "current_review_stage", "in", stages]]));
			});
		});
	},

	// Pills keep Frappe's short label; their title carries the full one.
	refresh(listview) {
		const settings = frappe.listview_settings["Customer Order"];
		const rows = listview.$result.find(".list-row-container");
		(listview.data || []).forEach((doc, idx) => {
			const indicator = settings.get_indicator(doc);
			if (!indicator || !indicator[3]) return;
			// Rows are rendered in the order of listview.data; only the status pill has no dot.
			rows.eq(idx).find(".indicator-pill.no-indicator-dot").attr("title", indicator[3]);
		});
	},

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
		frappe.listview_settings["Customer Order"].add_waiting_for_me(listview);
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

	// [label, colour, filter, full label (title)]: Frappe uses the first three.
	get_indicator(doc) {
		const settings = frappe.listview_settings["Customer Order"];
		let status = doc.status;
		if (cint(doc.docstatus) === 0) status = "Draft";
		else if (cint(doc.docstatus) === 2) status = "Cancelled";
		if (!status) return;
		if (cint(doc.docstatus) === 1 && cint(doc.cancellation_requested)) {
			// Waiting for an Order Manager to approve or reject its cancellation.
			const label = __("Cancellation Requested");
			return [label, "red", "cancellation_requested,=,1", label];
		}
		if (cint(doc.has_shortage) && ["To Deliver", "Partly Delivered"].includes(status)) {
			// Approved but waiting for stock (or for the customer's decision on the shortage).
			return [__("Short"), "orange", "has_shortage,=,1", __("Short")];
		}
		const colour = settings.colours[status] || "gray";
		const [label, title] = settings.labels(doc, status);
		if (status === "Pending Review" && settings.review_stage(doc)) {
			const stage = settings.review_stage(doc);
			return [label, colour, "current_review_stage,=," + stage, title];
		}
		return [label, colour, "status,=," + status, title];
	},

	formatters: {
		// "Desk" as a channel is internal entry (zh: 后台录入), not Frappe's Desk: translated in context.
		channel(value) {
			return value ? frappe.utils.escape_html(__(value, null, "Customer Order")) : "";
		},
		priority(value) {
			if (!value) return "";
			const colour = { Urgent: "red", High: "orange" }[value];
			const label = frappe.utils.escape_html(__(value));
			if (!colour) return label;
			return `<span class="indicator-pill ${colour} ellipsis"><span class="ellipsis">${label}</span></span>`;
		},
	},
};
