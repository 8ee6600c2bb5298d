// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

// Prices, taxes and totals are computed on the server (order_mgmt.erpnext_bridge.sales_order): on save,
// and while a draft is edited by one debounced call of order_mgmt.orders.live_pricing.price_draft, which
// runs the save's own pricing without saving. This script fills in what that call returns, sets
// defaults, filters links, shows where the review stands (a draft: the stages it will need) and asks
// for the comment that review actions of the "Customer Order Review" workflow carry.

// Workflow actions left to Frappe's own apply_workflow call: they submit the form as it is.
// Every other action goes through order_mgmt.review.workflow.take_action with a comment.
const CO_PLAIN_WORKFLOW_ACTIONS = ["Submit", "Submit for Review"];
// order_mgmt.review.workflow.COMMENT_REQUIRED, and a cancellation needs its reason.
const CO_COMMENT_REQUIRED_ACTIONS = ["Reject", "Return for Changes", "Cancel"];

// Header fields defaulted from the customer (erpnext.accounts.party.get_party_details).
const CO_PARTY_DEFAULT_FIELDS = [
	"currency",
	"price_list",
	"payment_terms_template",
	"taxes_and_charges",
	"shipping_address_name",
	"contact_person",
];
// These belong to one customer: they are replaced whenever the customer changes.
const CO_CUSTOMER_OWNED_FIELDS = ["shipping_address_name", "contact_person"];

frappe.ui.form.on("Customer Order", {
	setup(frm) {
		frm.set_query("item_code", "items", () => ({
			filters: { is_sales_item: 1, disabled: 0, has_variants: 0 },
		}));
		frm.set_query("warehouse", "items", () => ({
			filters: { company: frm.doc.company || "", is_group: 0, disabled: 0 },
		}));
		frm.set_query("taxes_and_charges", () => ({
			filters: { company: frm.doc.company || "", disabled: 0 },
		}));
		frm.set_query("price_list", () => ({ filters: { selling: 1, enabled: 1 } }));
		frm.set_query("shipping_address_name", () => co_customer_link_query(frm, "address_query"));
		frm.set_query("contact_person", () => co_customer_link_query(frm, "contact_query"));
		// Connections: "Return Request +" only once something was delivered (the server refuses a
		// return of an order with nothing delivered: order_mgmt.returns.validation).
		frm.can_make_methods = {
			"Return Request": () => frm.doc.docstatus === 1 && flt(frm.doc.per_delivered) > 0,
		};
	},

	onload(frm) {
		if (frm.is_new() && !frm.doc.company) {
			const company = frappe.defaults.get_user_default("Company");
			if (company) frm.set_value("company", company);
		}
	},

	refresh(frm) {
		frappe.dynamic_link = { doc: frm.doc, fieldname: "customer", doctype: "Customer" };
		frm._co_header_delivery_date = frm.doc.delivery_date;

		co_move_dashboard_below(frm);
		co_show_status_intro(frm);
		co_show_shipments(frm);
		co_show_stock_check(frm);
		co_show_risk(frm);

		if (frm.doc.sales_order) {
			frm.add_custom_button(
				__("Sales Order"),
				() => frappe.set_route("Form", "Sales Order", frm.doc.sales_order),
				__("View")
			);
		}
		if (
			frm.doc.docstatus === 1 &&
			["To Deliver", "Partly Delivered"].includes(frm.doc.status) &&
			frappe.model.can_create("Pick List")
		) {
			frm.add_custom_button(__("Pick List"), () => frappe.listview_settings["Customer Order"].create_pick_list([frm.doc.name]), __("Create"));
			frm.add_custom_button(__("Delivery Note"), () => co_deliver_order(frm), __("Create"));
		}
		co_add_billing_buttons(frm);
		if (
			frm.doc.docstatus === 1 &&
			["Approved", "To Deliver", "Partly Delivered"].includes(frm.doc.status) &&
			frappe.model.can_create("Order Change Request")
		) {
			frm.add_custom_button(
				__("Change Request"),
				() => frappe.new_doc("Order Change Request", { customer_order: frm.doc.name }),
				__("Create")
			);
		}
	},

	before_workflow_action(frm) {
		const action = frm.selected_workflow_action;
		if (!action || CO_PLAIN_WORKFLOW_ACTIONS.includes(action)) return;

		// Frappe froze the page before this event and, once the returned promise resolves, calls
		// apply_workflow, which cannot carry a comment (the server reloads the order from the
		// database), and unfreezes only after that call. Take the action over instead: unfreeze,
		// ask for the comment and call take_action. The promise returned never settles, so
		// Frappe's call is never made (workflow.js has no catch: a rejected promise would end up
		// in the console as an "Uncaught (in promise)" error).
		frappe.dom.unfreeze();
		frm.selected_workflow_action = null;
		co_prompt_workflow_action(frm, action);
		return new Promise(() => {});
	},

	customer(frm) {
		return co_set_customer_defaults(frm, true);
	},

	company(frm) {
		return co_drop_other_company_values(frm).then(() => co_set_customer_defaults(frm, false));
	},

	shipping_address_name(frm) {
		const address = frm.doc.shipping_address_name;
		if (!address) {
			return frm.set_value("shipping_address", "");
		}
		return frappe
			.xcall("frappe.contacts.doctype.address.address.get_address_display", {
				address_dict: address,
			})
			.then((display) => {
				if (frm.doc.shipping_address_name === address) {
					return frm.set_value("shipping_address", display || "");
				}
			});
	},

	delivery_date(frm) {
		// Rows without a date, or still carrying the previous header date, follow the header.
		const previous = frm._co_header_delivery_date;
		const date = frm.doc.delivery_date;
		frm._co_header_delivery_date = date;
		if (!date) return;
		let changed = false;
		(frm.doc.items || []).forEach((row) => {
			if (!row.delivery_date || (previous && row.delivery_date === previous)) {
				row.delivery_date = date;
				changed = true;
			}
		});
		if (changed) frm.refresh_field("items");
	},

	validate(frm) {
		if (!frm.doc.delivery_date) return;
		(frm.doc.items || []).forEach((row) => {
			if (!row.delivery_date) row.delivery_date = frm.doc.delivery_date;
		});
	},
});

frappe.ui.form.on("Customer Order Item", {
	items_add(frm, cdt, cdn) {
		const row = locals[cdt][cdn];
		if (!row.delivery_date && frm.doc.delivery_date) {
			frappe.model.set_value(cdt, cdn, "delivery_date", frm.doc.delivery_date);
		}
	},
});

// --- Defaults ---------------------------------------------------------------------------------

function co_customer_link_query(frm, query_name) {
	frappe.dynamic_link = { doc: frm.doc, fieldname: "customer", doctype: "Customer" };
	if (typeof erpnext !== "undefined" && erpnext.queries && erpnext.queries[query_name]) {
		return erpnext.queries[query_name](frm.doc);
	}
	const doctype = query_name === "address_query" ? "address" : "contact";
	return {
		query: `frappe.contacts.doctype.${doctype}.${doctype}.${query_name}`,
		filters: { link_doctype: "Customer", link_name: frm.doc.customer || "" },
	};
}

function co_autofilled(frm) {
	// What this script last filled in, per field: such a value may be replaced on the next change.
	if (!frm._co_autofilled || frm._co_autofilled.name !== frm.doc.name) {
		frm._co_autofilled = { name: frm.doc.name, values: {} };
	}
	return frm._co_autofilled.values;
}

function co_set_customer_defaults(frm, customer_changed) {
	if (frm.doc.docstatus !== 0) return;
	const customer = frm.doc.customer;
	const filled = co_autofilled(frm);

	if (!customer) {
		const values = {};
		CO_CUSTOMER_OWNED_FIELDS.forEach((field) => {
			if (frm.doc[field]) values[field] = "";
			delete filled[field];
		});
		return frm.set_value(values);
	}

	return Promise.all([
		frappe.xcall("erpnext.accounts.party.get_party_details", {
			party: customer,
			party_type: "Customer",
			company: frm.doc.company,
			posting_date: frm.doc.order_date,
			doctype: frm.doctype,
		}),
		frappe.db.get_value("Customer", customer, "is_vip_customer").then((r) => r.message || {}),
	]).then(([details, customer_flags]) => {
		if (frm.doc.customer !== customer) return; // changed again while we were asking

		const offered = {};
		CO_PARTY_DEFAULT_FIELDS.forEach((field) => {
			// The order's price_list is ERPNext's selling_price_list (named so that Frappe's global
			// default price list does not shadow the customer's own).
			const source = field === "price_list" ? "selling_price_list" : field;
			offered[field] = (details && details[source]) || "";
		});
		offered.priority = cint(customer_flags.is_vip_customer) ? "High" : "";

		const values = {};
		Object.keys(offered).forEach((field) => {
			const current = frm.doc[field] || "";
			const replaceable =
				!current ||
				current === filled[field] ||
				(customer_changed && CO_CUSTOMER_OWNED_FIELDS.includes(field));
			if (!replaceable) return;
			filled[field] = offered[field];
			if (offered[field] !== current) values[field] = offered[field];
		});
		return frm.set_value(values);
	});
}

function co_drop_other_company_values(frm) {
	// A tax template or warehouse of another company would be refused on save.
	const company = frm.doc.company;
	if (!company || frm.doc.docstatus !== 0) return Promise.resolve();
	const checks = [];

	if (frm.doc.taxes_and_charges) {
		const template = frm.doc.taxes_and_charges;
		checks.push(
			frappe.db
				.get_value("Sales Taxes and Charges Template", template, "company")
				.then((r) => {
					const owner = (r.message || {}).company;
					if (owner && owner !== company && frm.doc.taxes_and_charges === template) {
						return frm.set_value("taxes_and_charges", "");
					}
				})
		);
	}

	const warehouses = [
		...new Set((frm.doc.items || []).map((row) => row.warehouse).filter(Boolean)),
	];
	if (warehouses.length) {
		checks.push(
			frappe.db
				.get_list("Warehouse", {
					filters: { name: ["in", warehouses] },
					fields: ["name", "company"],
					limit: warehouses.length,
				})
				.then((rows) => {
					const other = new Set(
						rows.filter((w) => w.company !== company).map((w) => w.name)
					);
					(frm.doc.items || []).forEach((row) => {
						if (other.has(row.warehouse)) {
							frappe.model.set_value(row.doctype, row.name, "warehouse", "");
						}
					});
				})
		);
	}

	return Promise.all(checks);
}


// As ERPNext's forms: header, items, taxes and totals first; the dashboard (stock check, shipments,
// connections) below them. The status banner stays on top (it is the layout's message area).
function co_move_dashboard_below(frm) {
	const dashboard = frm.dashboard && frm.dashboard.parent;
	const page = frm.layout && frm.layout.wrapper.find(".form-page").first();
	if (!dashboard || !page || !dashboard.length) return;
	if (!page.children().last().is(dashboard)) {
		dashboard.addClass("co-dashboard-below").appendTo(page);
	}
}

// --- Status intro -----------------------------------------------------------------------------

function co_show_status_intro(frm) {
	const doc = frm.doc;
	if (doc.docstatus !== 1) return;
	const esc = frappe.utils.escape_html;
	const stage = doc.current_review_stage;
	const reasons = co_hold_reasons_html(frm);
	const parts = [];
	let colour = "orange";

	if (doc.status === "Pending Review") {
		parts.push(
			stage
				? __("Waiting for the {0} review", [esc(__(stage))])
				: __("This order is waiting for review.")
		);
		const route = co_review_route_html(doc);
		if (route) parts.push(__("Review route: {0}", [route]));
		if (reasons) parts.push(__("Held for review because:") + reasons);
	} else if (doc.status === "On Hold") {
		colour = "yellow";
		parts.push(
			stage
				? __("On hold in the {0} review", [esc(__(stage))])
				: __("This order is on hold.")
		);
		if (reasons) parts.push(__("Held for review because:") + reasons);
	} else if (doc.status === "Returned for Changes") {
		parts.push(
			doc.review_comment
				? __("Returned for changes: {0}", [co_multiline(doc.review_comment)])
				: __("This order was returned for changes.")
		);
		parts.push(__("Cancel it and amend the cancelled order to make the changes."));
	} else if (doc.status === "Rejected") {
		colour = "red";
		parts.push(
			doc.review_comment
				? __("Rejected: {0}", [co_multiline(doc.review_comment)])
				: __("This order was rejected.")
		);
	}

	if (parts.length) {
		frm.dashboard.set_headline_alert(
			parts.map((part) => `<div>${part}</div>`).join(""),
			colour
		);
	}
}

function co_multiline(text) {
	return frappe.utils.escape_html(text).replace(/\n/g, "<br>");
}

function co_review_route_html(doc) {
	// review_route is "Sales, Finance, Warehouse" (order_mgmt.review.facts.route_of); the stage
	// the order waits for is shown in bold.
	const esc = frappe.utils.escape_html;
	const stages = (doc.review_route || "")
		.split(",")
		.map((stage) => stage.trim())
		.filter(Boolean);
	return stages
		.map((stage) => {
			const label = esc(__(stage));
			return stage === doc.current_review_stage ? `<b>${label}</b>` : label;
		})
		.join(" &rarr; ");
}

function co_hold_reasons_html(frm) {
	// hold_reasons is at permlevel 1: users who may not see it get it empty from the server.
	const esc = frappe.utils.escape_html;
	const items = (frm.doc.hold_reasons || [])
		.filter((row) => row.message)
		.map((row) => {
			const stage = row.stage
				? ` <span class="text-muted">(${esc(__(row.stage))})</span>`
				: "";
			return `<li>${co_multiline(row.message)}${stage}</li>`;
		});
	return items.length ? `<ul>${items.join("")}</ul>` : "";
}

// --- Workflow actions with a comment ----------------------------------------------------------

function co_check_saved(frm) {
	if (frm.is_dirty()) {
		frappe.msgprint(__("Save your changes to {0} first.", [frm.doc.name]));
		return false;
	}
	return true;
}

function co_can_cancel(frm) {
	// Mirrors order_mgmt.orders.status.can_cancel_with_sales_order: once anything is delivered or
	// billed the server refuses to cancel, so say so before asking for a reason (the server
	// still has the last word).
	return !flt(frm.doc.per_delivered) && !flt(frm.doc.per_billed);
}

function co_prompt_workflow_action(frm, action) {
	if (!co_check_saved(frm)) return;
	const name = frm.doc.name;
	if (action === "Cancel" && !co_can_cancel(frm)) {
		frappe.msgprint({
			title: __("Cannot Cancel"),
			indicator: "red",
			message: __(
				"{0} is already {1}% delivered and {2}% billed. Return or credit those documents first.",
				[name, flt(frm.doc.per_delivered), flt(frm.doc.per_billed)]
			),
		});
		return;
	}
	// A cancellation asks for its Cancellation Reason (and a paid advance's refund or credit): its own dialog.
	if (action === "Cancel") return co_cancel_dialog(frm);

	const required = CO_COMMENT_REQUIRED_ACTIONS.includes(action);
	const field = {
		fieldname: "comment",
		fieldtype: "Small Text",
		label: required ? __("Reason") : __("Comment"),
		reqd: required ? 1 : 0,
	};
	if (action === "Return for Changes") {
		field.label = __("Changes Needed");
	} else if (action === "Cancel" && frm.doc.status === "Returned for Changes") {
		// The reviewer's comment is why a returned order is cancelled (to be amended).
		field.default = frm.doc.review_comment || "";
	}
	const titles = {
		Approve: __("Approve {0}", [name]),
		Reject: __("Reject {0}", [name]),
		"Return for Changes": __("Return {0} for Changes", [name]),
		Hold: __("Hold {0}", [name]),
		Release: __("Release {0}", [name]),
		Cancel: __("Cancel {0}", [name]),
	};

	const fields = [field];
	const reasons = action === "Cancel" ? "" : co_review_dialog_reasons_html(frm);
	if (reasons) {
		// The banner with the hold reasons is behind the dialog: repeat them where the decision is made.
		fields.unshift({ fieldname: "reasons", fieldtype: "HTML", options: reasons });
	}
	const dialog = frappe.prompt(
		fields,
		({ comment }) => co_take_workflow_action(frm, action, (comment || "").trim()),
		titles[action] || __("{0}: {1}", [__(action), name]),
		__(action)
	);
	dialog.$wrapper.addClass("review-dialog").attr("data-action", action);
}

function co_review_dialog_reasons_html(frm) {
	// The checks that held the order with their measured values (hold_reasons, permlevel 1: empty for
	// users who may not read it), those of the stage being decided first. Stable selectors for tests:
	// .review-dialog-reasons > ul > li.review-dialog-reason[data-stage][data-rule].
	const esc = frappe.utils.escape_html;
	const stage = frm.doc.current_review_stage || "";
	const rows = (frm.doc.hold_reasons || []).filter((row) => row.message);
	if (!rows.length) return "";
	const item = (row) =>
		`<li class="review-dialog-reason" data-stage="${esc(row.stage || "")}" data-rule="${esc(
			row.rule || ""
		)}">${co_multiline(row.message)}${
			row.stage && row.stage !== stage
				? ` <span class="text-muted">(${esc(__(row.stage))})</span>`
				: ""
		}</li>`;
	const mine = rows.filter((row) => !stage || row.stage === stage || !row.stage);
	const others = rows.filter((row) => stage && row.stage && row.stage !== stage);
	let html = "";
	if (mine.length) {
		html += `<p class="review-dialog-reasons-title"><b>${
			stage
				? __("Held for the {0} review because:", [esc(__(stage))])
				: __("Held for review because:")
		}</b></p><ul class="review-dialog-reasons-stage">${mine.map(item).join("")}</ul>`;
	}
	if (others.length) {
		html += `<p class="text-muted">${__("Checks for other stages:")}</p><ul class="review-dialog-reasons-other">${others
			.map(item)
			.join("")}</ul>`;
	}
	return `<div class="review-dialog-reasons">${html}</div>`;
}

function co_take_workflow_action(frm, action, comment) {
	const name = frm.doc.name;
	frappe.call({
		method: "order_mgmt.review.workflow.take_action",
		type: "POST",
		args: {
			name,
			action,
			comment: comment || null,
			// the state the user acted on: if someone decided meanwhile, nothing happens
			expected_state: frm.doc.workflow_state || null,
		},
		freeze: true,
		freeze_message: __("{0}: {1}", [__(action), name]),
		callback: (r) => {
			const result = r.message || {};
			frappe.show_alert({
				message:
					result.sales_order && action === "Approve" && result.workflow_state === "Approved"
						? __("{0} approved: Sales Order {1} created", [name, result.sales_order])
						: __("{0} is now {1}", [name, __(result.workflow_state || "")]),
				indicator: "green",
			});
			Promise.resolve(frm.reload_doc()).then(() =>
				frm.script_manager.trigger("after_workflow_action")
			);
		},
		// e.g. already decided by someone else, or the four-eyes principle: show where it stands
		error: () => frm.reload_doc(),
	});
}

// Delivery Notes of the order with carrier and tracking number (order_mgmt.fulfilment.shipping).
function co_show_shipments(frm) {
	const shipments = (frm.doc.__onload && frm.doc.__onload.shipments) || [];
	if (!shipments.length) return;
	const esc = frappe.utils.escape_html;
	const rows = shipments
		.map(
			(s) => `<tr><td><a href="/app/delivery-note/${encodeURIComponent(s.name)}">${esc(s.name)}</a></td>
				<td>${esc(s.carrier || "")}</td><td>${esc(s.tracking_number || "")}</td>
				<td>${esc(frappe.datetime.str_to_user(s.shipped_on || s.posting_date) || "")}</td></tr>`
		)
		.join("");
	frm.dashboard.add_section(
		`<table class="table table-bordered small"><thead><tr><th>${__("Delivery Note")}</th><th>${__(
			"Carrier"
		)}</th><th>${__("Tracking Number")}</th><th>${__("Shipped On")}</th></tr></thead><tbody>${rows}</tbody></table>`,
		__("Shipments")
	);
}

// --- Stock check and shortage decisions (order_mgmt.fulfilment.stock_check / .shortage) ----------

const CO_SHORTAGE_ACTIONS = ["Backorder", "Ship Partially", "Substitute", "Cancel Line"];
const CO_FINAL_SHORTAGE_ACTIONS = ["Substitute", "Cancel Line"];

function co_show_stock_check(frm) {
	if (frm.is_new() || !(frm.doc.items || []).length || frm.doc.docstatus === 2) return;
	const seq = (frm._co_stock_seq = (frm._co_stock_seq || 0) + 1);
	frappe
		.xcall("order_mgmt.fulfilment.stock_check.stock_check", { order: frm.doc.name })
		.then((lines) => {
			if (seq !== frm._co_stock_seq) return; // a later refresh asked again
			if (!lines || !lines.length || frm.doc.name !== frm.docname) return;
			const esc = frappe.utils.escape_html;
			const fmt = (value) => format_number(value, null, 2);
			const can_decide = frm.doc.docstatus === 1 && frm.doc.sales_order;
			const rows = lines
				.map((line) => {
					const short = flt(line.shortage_qty) > 0;
					let decision = line.shortage_action ? esc(__(line.shortage_action)) : "";
					if (line.substitute_item) decision += ` &rarr; ${esc(line.substitute_item)}`;
					if (line.expected_date) {
						decision += ` <span class="text-muted">(${__("expected {0}", [
							esc(frappe.datetime.str_to_user(line.expected_date)),
						])})</span>`;
					}
					const button =
						can_decide && short && !CO_FINAL_SHORTAGE_ACTIONS.includes(line.shortage_action)
							? ` <button class="btn btn-xs btn-default co-decide-shortage" data-line="${esc(
									line.name
							  )}">${__("Decide")}</button>`
							: "";
					return `<tr class="${short ? "text-danger" : ""}"><td>${line.idx}</td><td>${esc(
						line.item_code
					)}</td><td>${esc(line.warehouse || "")}</td><td class="text-right">${fmt(
						line.stock_qty
					)}</td><td class="text-right">${fmt(line.available_qty)}</td><td class="text-right">${fmt(
						line.reserved_for_order
					)}</td><td class="text-right">${fmt(line.projected_qty)}</td><td class="text-right">${
						short ? fmt(line.shortage_qty) : ""
					}</td><td>${decision}${button}</td></tr>`;
				})
				.join("");
			const head = [
				"#",
				__("Item"),
				__("Warehouse"),
				__("Qty (Stock UOM)"),
				__("Available"),
				__("Reserved for this Order"),
				__("Projected"),
				__("Shortage Qty (Stock UOM)"),
				__("Shortage Decision"),
			]
				.map((label) => `<th>${label}</th>`)
				.join("");
			const section = frm.dashboard.add_section(
				`<table class="table table-bordered small co-stock-check"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`,
				__("Stock")
			);
			$(section)
				.find(".co-decide-shortage")
				.on("click", (event) => {
					const line = lines.find((l) => l.name === $(event.currentTarget).attr("data-line"));
					if (line) co_decide_shortage(frm, line);
				});
		});
}

function co_decide_shortage(frm, line) {
	frappe
		.xcall("order_mgmt.fulfilment.shortage.alternatives", { item_code: line.item_code })
		.then((alternatives) => {
			const dialog = new frappe.ui.Dialog({
				title: __("Shortage of {0} in row #{1}", [line.item_code, line.idx]),
				fields: [
					{
						fieldtype: "HTML",
						options: `<p>${__("{0} of {1} cannot be reserved.", [
							format_number(line.shortage_qty, null, 2),
							frappe.utils.escape_html(line.item_code),
						])}</p>`,
					},
					{
						fieldname: "action",
						fieldtype: "Select",
						label: __("Shortage Decision"),
						reqd: 1,
						options: CO_SHORTAGE_ACTIONS.filter(
							(action) => action !== "Substitute" || alternatives.length
						).map((action) => ({ value: action, label: __(action) })),
					},
					{
						fieldname: "substitute_item",
						fieldtype: "Select",
						label: __("Substitute Item"),
						options: alternatives,
						depends_on: "eval: doc.action === 'Substitute'",
						mandatory_depends_on: "eval: doc.action === 'Substitute'",
					},
					{
						fieldname: "expected_date",
						fieldtype: "Date",
						label: __("Expected Availability"),
						default: line.expected_date,
						depends_on: "eval: doc.action === 'Backorder'",
					},
				],
				primary_action_label: __("Record Decision"),
				primary_action(values) {
					dialog.hide();
					frappe
						.call({
							method: "order_mgmt.fulfilment.shortage.decide_shortage",
							type: "POST",
							args: { order: frm.doc.name, line: line.name, ...values },
							freeze: true,
						})
						.then(() => frm.reload_doc());
				},
			});
			dialog.show();
		});
}

// --- Invoices and payments (order_mgmt.accounting) --------------------------------------------

function co_add_billing_buttons(frm) {
	const doc = frm.doc;
	if (doc.docstatus !== 1 || !doc.sales_order || doc.status === "Cancelled") return;
	// can_invoice (set on load by the server): delivered goods not yet billed, or a prepaid order.
	const can_invoice = doc.__onload && doc.__onload.can_invoice;
	if (can_invoice && flt(doc.per_billed) < 100 && frappe.model.can_create("Sales Invoice")) {
		frm.add_custom_button(
			__("Sales Invoice"),
			() =>
				frappe
					.call({
						method: "order_mgmt.accounting.invoicing.create_sales_invoice",
						type: "POST",
						args: { order: doc.name },
						freeze: true,
						freeze_message: __("Creating Sales Invoice"),
					})
					.then((r) => r.message && frappe.set_route("Form", "Sales Invoice", r.message)),
			__("Create")
		);
	}
	if (flt(doc.outstanding_amount) > 0 && frappe.model.can_create("Payment Entry")) {
		frm.add_custom_button(__("Payment"), () => co_register_payment(frm), __("Create"));
	}
}

function co_register_payment(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Register Payment for {0}", [frm.doc.name]),
		fields: [
			{
				fieldname: "amount",
				fieldtype: "Currency",
				label: __("Amount"),
				options: frm.doc.currency,
				reqd: 1,
				default: frm.doc.outstanding_amount,
			},
			{ fieldname: "mode_of_payment", fieldtype: "Link", options: "Mode of Payment", label: __("Mode of Payment"), reqd: 1 },
			{ fieldname: "reference_no", fieldtype: "Data", label: __("Reference No") },
			{ fieldname: "reference_date", fieldtype: "Date", label: __("Reference Date"), default: frappe.datetime.get_today() },
		],
		primary_action_label: __("Submit Payment"),
		primary_action(values) {
			dialog.hide();
			frappe
				.call({
					method: "order_mgmt.accounting.payments.register_payment",
					type: "POST",
					args: { order: frm.doc.name, ...values },
					freeze: true,
				})
				.then((r) => {
					frappe.show_alert({ message: __("Payment {0} submitted", [(r.message || []).join(", ")]), indicator: "green" });
					frm.reload_doc();
				});
		},
	});
	dialog.show();
}

function co_deliver_order(frm) {
	frappe
		.call({
			method: "order_mgmt.fulfilment.picking.deliver_order",
			type: "POST",
			args: { order: frm.doc.name },
			freeze: true,
			freeze_message: __("Creating Delivery Note"),
		})
		.then((r) => r.message && frappe.set_route("Form", "Delivery Note", r.message));
}

// --- Live pricing (order_mgmt.orders.live_pricing) --------------------------------------------

const CO_PRICING_DEBOUNCE_MS = 300;
// What the form sends: what a clerk chooses. The server reads nothing else (prices are its own).
const CO_PRICING_HEADER_FIELDS = [
	"customer",
	"company",
	"currency",
	"price_list",
	"taxes_and_charges",
	"payment_terms_template",
	"order_date",
	"delivery_date",
	"customer_po",
	"order_type",
	"channel",
	"shipping_address_name",
	"contact_person",
];
// Changes that reprice the draft.
const CO_PRICING_HEADER_TRIGGERS = ["customer", "price_list", "taxes_and_charges", "company", "order_date"];
// What the call fills in on a line, the taxes table and the totals (as the save stores them).
const CO_PRICED_ROW_FIELDS = [
	"item_name",
	"uom",
	"stock_uom",
	"conversion_factor",
	"stock_qty",
	"price_list_rate",
	"discount_percentage",
	"rate",
	"amount",
	"warehouse",
	"pricing_rules",
];
const CO_TOTAL_FIELDS = ["total_qty", "net_total", "total_taxes_and_charges", "grand_total", "base_grand_total"];
// Stock per line from the last pricing call, by row name (shown next to the item in the grid).
const co_line_stock = {};

frappe.ui.form.on("Customer Order", {
	setup(frm) {
		frm.set_query("uom", "items", (doc, cdt, cdn) => ({
			query: "order_mgmt.orders.live_pricing.item_uom_query",
			filters: { item_code: locals[cdt][cdn].item_code || "" },
		}));
		co_set_availability_formatter();
	},

	refresh(frm) {
		// Whatever a pricing call still in flight would return is older than what was just loaded.
		co_cancel_pricing(frm);
		frm._co_rows = {};
		co_show_route_preview(frm);
	},

	validate(frm) {
		// The save prices the order itself.
		co_cancel_pricing(frm);
	},

	...Object.fromEntries(CO_PRICING_HEADER_TRIGGERS.map((field) => [field, co_schedule_pricing])),
});

frappe.ui.form.on("Customer Order Item", {
	item_code(frm, cdt, cdn) {
		if (frm._co_applying_pricing) return;
		const row = locals[cdt][cdn];
		co_row_state(frm, row).manual = null; // a new item: its own price, UOM and warehouse
		// As on ERPNext's Sales Order, the previous item's UOM, prices and discount go (set directly:
		// no change events, which would mark a manual rate); pricing fills the new item's own.
		Object.assign(row, { uom: null, conversion_factor: 1, price_list_rate: 0, rate: 0, discount_percentage: 0 });
		delete co_line_stock[cdn];
		if (row.item_code && !flt(row.qty)) frappe.model.set_value(cdt, cdn, "qty", 1);
		co_schedule_pricing(frm);
	},
	uom(frm, cdt, cdn) {
		if (frm._co_applying_pricing) return;
		co_row_state(frm, locals[cdt][cdn]).manual = null; // the price of the new UOM
		co_schedule_pricing(frm);
	},
	rate(frm, cdt, cdn) {
		if (frm._co_applying_pricing) return;
		co_row_state(frm, locals[cdt][cdn]).manual = "rate";
		co_schedule_pricing(frm);
	},
	discount_percentage(frm, cdt, cdn) {
		if (frm._co_applying_pricing) return;
		co_row_state(frm, locals[cdt][cdn]).manual = "discount";
		co_schedule_pricing(frm);
	},
	qty: co_schedule_pricing,
	warehouse: co_schedule_pricing,
	items_remove: co_schedule_pricing,
});

function co_may_price(frm) {
	if (frm.doc.docstatus !== 0) return false;
	return frm.is_new() ? frappe.model.can_create(frm.doctype) : frappe.model.can_write(frm.doctype);
}

function co_cancel_pricing(frm) {
	clearTimeout(frm._co_pricing_timer);
	frm._co_pricing_seq = (frm._co_pricing_seq || 0) + 1;
}

function co_schedule_pricing(frm) {
	// One call per pause in typing; a change made meanwhile makes the answer of an earlier call stale.
	if (frm._co_applying_pricing || !co_may_price(frm)) return;
	co_cancel_pricing(frm);
	frm._co_pricing_timer = setTimeout(() => co_run_pricing(frm), CO_PRICING_DEBOUNCE_MS);
}

function co_row_state(frm, row) {
	// Whether the clerk set the line's rate or discount (kept, as the save keeps it) or the price list
	// does (sent empty, so the line follows the price list, UOM and pricing rules). A line loaded from
	// the database is read as the save reads it: a discount drives the rate, else a rate of its own.
	frm._co_rows = frm._co_rows || {};
	if (!frm._co_rows[row.name]) {
		let manual = null;
		if (flt(row.discount_percentage)) manual = "discount";
		else if (flt(row.rate) && flt(row.rate) !== flt(row.price_list_rate)) manual = "rate";
		frm._co_rows[row.name] = { manual };
	}
	return frm._co_rows[row.name];
}

function co_pricing_payload(frm) {
	const doc = frm.doc;
	const payload = { name: doc.name, __islocal: doc.__islocal ? 1 : 0 };
	CO_PRICING_HEADER_FIELDS.forEach((field) => (payload[field] = doc[field]));
	payload.items = (doc.items || []).map((row) => {
		const manual = co_row_state(frm, row).manual;
		return {
			name: row.name,
			item_code: row.item_code,
			qty: row.qty,
			uom: row.uom,
			warehouse: row.warehouse,
			delivery_date: row.delivery_date,
			rate: manual === "rate" ? row.rate : 0,
			discount_percentage: manual === "discount" ? row.discount_percentage : 0,
			pricing_rules: row.pricing_rules,
		};
	});
	return payload;
}

function co_run_pricing(frm) {
	if (!co_may_price(frm)) return;
	const seq = frm._co_pricing_seq;
	const name = frm.doc.name;
	return frappe
		.xcall("order_mgmt.orders.live_pricing.price_draft", { doc: co_pricing_payload(frm) })
		.then((result) => {
			if (seq !== frm._co_pricing_seq || frm.doc.name !== name || frm.doc.docstatus !== 0) return;
			return co_apply_pricing(frm, result || {});
		});
}

function co_apply_pricing(frm, result) {
	// Values set here must not start another call: the guard flag is up until every trigger has run.
	frm._co_applying_pricing = true;
	const tasks = [];
	(result.items || []).forEach((priced) => {
		const row = (frm.doc.items || []).find((r) => r.name === priced.name);
		if (!row) return;
		co_line_stock[row.name] = { ...priced.stock, stock_uom: priced.stock_uom };
		const values = {};
		CO_PRICED_ROW_FIELDS.forEach((field) => {
			const value = priced[field];
			if (value !== undefined && value !== null && row[field] !== value) values[field] = value;
		});
		if (Object.keys(values).length) {
			tasks.push(frappe.model.set_value(row.doctype, row.name, values));
		}
	});

	const header = {};
	if (result.totals) {
		CO_TOTAL_FIELDS.forEach((field) => {
			if (field in result.totals && flt(frm.doc[field]) !== flt(result.totals[field])) {
				header[field] = result.totals[field];
			}
		});
	}
	const priced_header = result.header || {};
	["currency", "conversion_rate"].forEach((field) => {
		if (priced_header[field] && frm.doc[field] !== priced_header[field]) header[field] = priced_header[field];
	});
	// The template the save would choose (the customer's rule or the company default) when none is set.
	if (!frm.doc.taxes_and_charges && priced_header.taxes_and_charges) {
		header.taxes_and_charges = priced_header.taxes_and_charges;
	}
	if (Object.keys(header).length) tasks.push(frm.set_value(header));
	if (result.taxes) co_set_taxes(frm, result.taxes);

	return Promise.all(tasks).finally(() => {
		frm._co_applying_pricing = false;
		frm.refresh_field("items");
		co_show_pricing_message(frm, result.message);
	});
}

function co_set_taxes(frm, taxes) {
	const fields = ["charge_type", "account_head", "rate", "tax_amount", "total"];
	const signature = (rows) => JSON.stringify(rows.map((row) => fields.map((f) => row[f] ?? null)));
	if (signature(frm.doc.taxes || []) === signature(taxes)) return;
	frm.clear_table("taxes");
	taxes.forEach((tax) => frm.add_child("taxes", tax));
	frm.refresh_field("taxes");
}

function co_set_form_message(frm, marker, html, colour) {
	// One block of ours per marker among the form's messages (Frappe's show_message appends blocks).
	frm.layout.message.find(`.${marker}`).closest(".form-message").remove();
	if (!frm.layout.message.find(".form-message").length) frm.layout.show_message();
	if (html) frm.dashboard.set_headline_alert(`<div class="${marker}">${html}</div>`, colour);
}

function co_show_pricing_message(frm, message) {
	// What the save would refuse, shown quietly while the clerk types (the save still says it loudly).
	co_set_form_message(frm, "co-pricing-message", message || "", "orange");
}

function co_set_availability_formatter() {
	// The item of each line with its stock in the line's warehouse: green when the lines so far are
	// covered by the projected quantity, red when not (the review's stock rule measures the same).
	const fields = frappe.meta.docfield_map["Customer Order Item"];
	const df = fields && fields.item_code;
	if (!df || df._co_formatter) return;
	df._co_formatter = true;
	df.formatter = (value, docfield, options, doc) => {
		if (!value) return "";
		const esc = frappe.utils.escape_html;
		const link = `<a href="/app/item/${encodeURIComponent(value)}" data-doctype="Item" data-name="${esc(
			value
		)}">${esc(value)}</a>`;
		const stock = doc && co_line_stock[doc.name];
		if (!stock || !stock.is_stock_item) return link;
		const fmt = (qty) => format_number(qty, null, 2);
		const title = __("Actual {0}, available {1}, projected {2} in {3}", [
			fmt(stock.actual_qty),
			fmt(stock.available_qty),
			fmt(stock.projected_qty),
			stock.warehouse || "",
		]);
		// The delivery promise (fulfilment/promising.py): when the line ships, and what it rests on.
		const promise = stock.promise
			? `<span class="small ml-2 co-line-promise ${stock.meets_request ? "text-muted" : "text-danger"}" title="${esc(
					(stock.promise_explanation || []).join("\n")
			  )}">${esc(stock.promise)}</span>`
			: "";
		return `<span class="indicator ${stock.short ? "red" : "green"} co-line-stock" title="${esc(
			title
		)}">${link}<span class="text-muted small ml-2">${esc(
			__("{0} available", [`${fmt(stock.available_qty)} ${stock.stock_uom || ""}`.trim()])
		)}</span>${promise}</span>`;
	};
}

// --- Review route preview (order_mgmt.orders.live_pricing.route_preview) ------------------------

function co_show_route_preview(frm) {
	if (frm.is_new() || frm.doc.docstatus !== 0) return;
	const name = frm.doc.name;
	const seq = (frm._co_preview_seq = (frm._co_preview_seq || 0) + 1);
	frappe.xcall("order_mgmt.orders.live_pricing.route_preview", { name }).then((preview) => {
		// a refresh after this call asked again: only the latest answer is shown
		if (seq !== frm._co_preview_seq || frm.doc.name !== name || frm.doc.docstatus !== 0) return;
		if (!preview || !preview.draft) return;
		const esc = frappe.utils.escape_html;
		if (!preview.route.length) {
			co_set_form_message(
				frm,
				"co-route-preview",
				__("No review needed: this order will be approved automatically when submitted."),
				"green"
			);
			return;
		}
		const stages = preview.route.map((stage) => `<b>${esc(__(stage))}</b>`).join(" &rarr; ");
		const reasons = preview.reasons
			.map(
				(reason) =>
					`<li>${co_multiline(reason.message || "")} <span class="text-muted">(${esc(
						__(reason.stage || "")
					)})</span></li>`
			)
			.join("");
		co_set_form_message(
			frm,
			"co-route-preview",
			`<div>${__("When submitted, this order will need review: {0}", [stages])}</div>` +
				(reasons ? `<div>${__("Because:")}<ul>${reasons}</ul></div>` : "") +
				`<div class="text-muted small">${__("As saved; changes count once you save them.")}</div>`,
			"blue"
		);
	});
}

// Scan to add (issue 16): ERPNext's BarcodeScanner, as on the Sales Order — a scanned Item Barcode adds
// the item (in the barcode's UOM) or one more of it to its line; live pricing then prices the line.
frappe.ui.form.on("Customer Order", {
	scan_barcode(frm) {
		if (frm.doc.docstatus !== 0 || !frm.doc.scan_barcode) return;
		new erpnext.utils.BarcodeScanner({ frm, items_table_name: "items" }).process_scan();
	},
});

// --- At risk (fulfilment/risk_sweep.py): why the promise may be missed, who acts, re-check -------

function co_show_risk(frm) {
	const risk = frm.doc.__onload && frm.doc.__onload.order_risk;
	if (!risk) return;
	const esc = frappe.utils.escape_html;
	const colour = { High: "red", Medium: "orange", Low: "yellow" }[risk.grade] || "orange";
	const reasons = (risk.reasons || "").split("\n").filter(Boolean);
	frm.dashboard.add_comment(
		`<div class="co-order-risk"><b>${esc(__("At risk ({0})", [__(risk.grade)]))}</b>: ${reasons
			.map(esc)
			.join("; ")} <span class="text-muted">— ${esc(__("Responsible: {0}", [risk.responsible || ""]))}</span></div>`,
		colour,
		true
	);
	if ((risk.reason_codes || "").split(",").includes("payment_due") && frappe.model.can_create("Payment Entry")) {
		frm.add_custom_button(__("Send Payment Reminder"), () =>
			frappe
				.xcall("order_mgmt.fulfilment.risk_sweep.send_payment_reminder", { order: frm.doc.name })
				.then((sent) => {
					frappe.show_alert({ message: sent ? __("Payment reminder sent") : __("Not sent: see the comment"), indicator: sent ? "green" : "orange" });
					frm.reload_doc();
				})
		);
	}
	if (frm.perm[0] && frm.perm[0].write) {
		frm.add_custom_button(__("Re-check Delivery"), () =>
			frappe
				.xcall("order_mgmt.fulfilment.risk_sweep.recheck_order", { order: frm.doc.name })
				.then(() => frm.reload_doc())
		);
	}
}

// --- Cancel: reason, paid advance, approval above the threshold (order_mgmt.orders.cancellation) ---

frappe.ui.form.on("Customer Order", {
	refresh(frm) {
		co_show_cancellation_request(frm);
		co_add_cancel_button(frm);
	},
});

function co_cancellation_info(frm) {
	return (frm.doc.__onload && frm.doc.__onload.cancellation) || {};
}

function co_add_cancel_button(frm) {
	// Order Managers cancel through the workflow's Cancel (which opens the same dialog); anyone else who
	// may cancel an approved order gets this button: at once below the threshold, as a request above it.
	const info = co_cancellation_info(frm);
	if (frm.doc.docstatus !== 1 || !frm.doc.sales_order || !info.can_cancel || info.pending) return;
	if (frappe.user.has_role("Order Manager")) return;
	const label = info.needs_approval && !info.is_manager ? __("Request Cancellation") : __("Cancel Order");
	frm.add_custom_button(label, () => {
		if (!co_can_cancel(frm)) return co_prompt_workflow_action(frm, "Cancel"); // says why not
		co_cancel_dialog(frm);
	});
}

function co_cancel_dialog(frm) {
	if (!co_check_saved(frm)) return;
	const info = co_cancellation_info(frm);
	const name = frm.doc.name;
	const request = !!(info.needs_approval && !info.is_manager);
	const advance = flt(info.advance);
	const fields = [];
	if (request) {
		fields.push({
			fieldname: "approval_note",
			fieldtype: "HTML",
			options: `<p class="text-muted">${__(
				"The grand total is at least {0}: an Order Manager approves this cancellation.",
				[format_currency(info.threshold, frm.doc.currency)]
			)}</p>`,
		});
	}
	fields.push(
		{
			fieldname: "cancellation_reason",
			fieldtype: "Link",
			options: "Cancellation Reason",
			label: __("Cancellation Reason"),
			reqd: 1,
			get_query: () => ({ filters: { enabled: 1 } }),
		},
		{
			fieldname: "comment",
			fieldtype: "Small Text",
			label: __("Comment"),
			// The reviewer's comment is why a returned order is cancelled (to be amended).
			default: frm.doc.status === "Returned for Changes" ? frm.doc.review_comment || "" : "",
		}
	);
	if (advance > 0) {
		fields.push({
			fieldname: "advance_settlement",
			fieldtype: "Select",
			label: __("Paid Advance"),
			reqd: 1,
			default: "Keep as Credit",
			options: [
				{ value: "Refund", label: __("Refund") },
				{ value: "Keep as Credit", label: __("Keep as Credit") },
			],
			description: __(
				"{0} was paid in advance. Refund: a Payment Entry pays it back to the customer. Keep as Credit: it stays on the customer's account for their next invoices.",
				[format_currency(advance, frm.doc.currency)]
			),
		});
	}
	const dialog = new frappe.ui.Dialog({
		title: request ? __("Request Cancellation of {0}", [name]) : __("Cancel {0}", [name]),
		fields,
		primary_action_label: request ? __("Request Cancellation") : __("Cancel Order"),
		primary_action(values) {
			dialog.hide();
			const comment = (values.comment || "").trim();
			const args = request
				? {
						name,
						cancellation_reason: values.cancellation_reason,
						comment: comment || null,
						advance_settlement: values.advance_settlement || null,
				  }
				: {
						name,
						reason: comment || values.cancellation_reason,
						category: values.cancellation_reason,
						advance_settlement: values.advance_settlement || null,
				  };
			frappe
				.call({
					method: request
						? "order_mgmt.orders.cancellation.request_cancellation"
						: "order_mgmt.orders.cancellation.cancel_order",
					type: "POST",
					args,
					freeze: true,
					freeze_message: request ? __("Requesting the cancellation") : __("Cancelling {0}", [name]),
				})
				.then((r) => {
					const result = r.message || {};
					frappe.show_alert({
						message: request
							? __("Cancellation of {0} requested: an Order Manager decides it", [name])
							: result.refund_payment_entry
							? __("{0} cancelled: the advance is refunded with {1}", [name, result.refund_payment_entry])
							: __("{0} cancelled", [name]),
						indicator: "green",
					});
					frm.reload_doc();
				});
		},
	});
	dialog.$wrapper.addClass("cancel-dialog").attr("data-request", request ? 1 : 0);
	dialog.show();
	return dialog;
}

function co_show_cancellation_request(frm) {
	const info = co_cancellation_info(frm);
	const row = info.pending;
	if (!row) return co_set_form_message(frm, "co-cancellation-request", "", "orange");
	const esc = frappe.utils.escape_html;
	let html = __("Cancellation requested by {0} on {1}: {2}", [
		esc(frappe.user.full_name(row.requested_by)),
		esc(frappe.datetime.str_to_user(row.requested_on)),
		`<b>${esc(__(row.cancellation_reason || ""))}</b>`,
	]);
	if (row.request_comment) html += ` — ${co_multiline(row.request_comment)}`;
	if (row.advance_settlement) html += `<div>${esc(__("Paid Advance"))}: ${esc(__(row.advance_settlement))}</div>`;
	html += `<div class="text-muted small">${esc(
		info.can_decide
			? __("Approve or reject it (Cancellation menu).")
			: __("Waiting for an Order Manager's decision.")
	)}</div>`;
	co_set_form_message(frm, "co-cancellation-request", html, "orange");
	if (!info.can_decide) return;
	frm.add_custom_button(__("Approve Cancellation"), () => co_decide_cancellation(frm, "approve"), __("Cancellation"));
	frm.add_custom_button(__("Reject Cancellation"), () => co_decide_cancellation(frm, "reject"), __("Cancellation"));
}

function co_decide_cancellation(frm, decision) {
	if (!co_check_saved(frm)) return;
	const name = frm.doc.name;
	const approve = decision === "approve";
	const dialog = frappe.prompt(
		[
			{
				fieldname: "comment",
				fieldtype: "Small Text",
				label: approve ? __("Comment") : __("Reason"),
				reqd: approve ? 0 : 1,
			},
		],
		({ comment }) =>
			frappe
				.call({
					method: approve
						? "order_mgmt.orders.cancellation.approve_cancellation"
						: "order_mgmt.orders.cancellation.reject_cancellation",
					type: "POST",
					args: { name, comment: (comment || "").trim() || null },
					freeze: true,
				})
				.then(() => {
					frappe.show_alert({
						message: approve
							? __("Cancellation of {0} approved: the order is cancelled", [name])
							: __("Cancellation of {0} rejected", [name]),
						indicator: approve ? "green" : "orange",
					});
					frm.reload_doc();
				}, () => frm.reload_doc()),
		approve ? __("Approve Cancellation of {0}", [name]) : __("Reject Cancellation of {0}", [name]),
		approve ? __("Approve Cancellation") : __("Reject Cancellation")
	);
	dialog.$wrapper.addClass("cancel-decision-dialog").attr("data-decision", decision);
}
