// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

// Prices, taxes and totals are computed on the server on save (order_mgmt.erpnext_bridge.sales_order),
// so this script only sets defaults, filters links and offers the review and cancellation actions.

const CO_REVIEW_OPEN = ["Pending Review", "On Hold"]; // order_mgmt.orders.status.REVIEW_OPEN
const CO_APPROVER_ROLES = ["Order Manager", "System Manager"]; // order_mgmt.review.actions.APPROVER_ROLES

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

		// The standard Cancel button would cancel without a reason (and offer to cancel the Sales
		// Order on its own first); send it through the same reason prompt as "Cancel Order".
		frm.savecancel = () => co_prompt_cancel(frm);
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

		co_show_status_intro(frm);

		if (frm.doc.docstatus === 1) {
			co_add_review_buttons(frm);
			if (frm.doc.status !== "Cancelled" && frm.has_perm("cancel")) {
				frm.add_custom_button(__("Cancel Order"), () => co_prompt_cancel(frm));
			}
		}

		if (frm.doc.sales_order) {
			frm.add_custom_button(
				__("Sales Order"),
				() => frappe.set_route("Form", "Sales Order", frm.doc.sales_order),
				__("View")
			);
		}
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

// --- Status intro -----------------------------------------------------------------------------

function co_show_status_intro(frm) {
	if (frm.doc.docstatus !== 1) return;
	const esc = frappe.utils.escape_html;

	if (frm.doc.status === "Pending Review") {
		const messages = (frm.doc.hold_reasons || []).map((row) => row.message).filter(Boolean);
		if (messages.length) {
			const items = messages.map((message) => `<li>${esc(message)}</li>`).join("");
			frm.dashboard.set_headline_alert(
				`<div>${__("Held for review because:")}</div><ul>${items}</ul>`,
				"orange"
			);
		} else {
			frm.dashboard.set_headline_alert(
				`<div>${__("This order is waiting for review.")}</div>`,
				"orange"
			);
		}
	} else if (frm.doc.status === "Rejected") {
		const text = frm.doc.review_comment
			? __("Rejected: {0}", [esc(frm.doc.review_comment)])
			: __("This order was rejected.");
		frm.dashboard.set_headline_alert(`<div>${text}</div>`, "red");
	}
}

// --- Review and cancellation ------------------------------------------------------------------

function co_add_review_buttons(frm) {
	if (!CO_REVIEW_OPEN.includes(frm.doc.status) || !frappe.user.has_role(CO_APPROVER_ROLES)) {
		return;
	}
	frm.add_custom_button(__("Approve"), () => co_prompt_approve(frm), __("Review"));
	frm.add_custom_button(__("Reject"), () => co_prompt_reject(frm), __("Review"));
}

function co_check_saved(frm) {
	if (frm.is_dirty()) {
		frappe.msgprint(__("Save your changes to {0} first.", [frm.doc.name]));
		return false;
	}
	return true;
}

function co_prompt_approve(frm) {
	if (!co_check_saved(frm)) return;
	frappe.prompt(
		[{ fieldname: "comment", fieldtype: "Small Text", label: __("Comment") }],
		({ comment }) => {
			frappe
				.call({
					method: "order_mgmt.review.actions.approve_order",
					type: "POST",
					args: { name: frm.doc.name, comment: comment || null },
					freeze: true,
					freeze_message: __("Approving {0}...", [frm.doc.name]),
					error: () => frm.reload_doc(),
				})
				.then((r) => {
					const sales_order = r.message && r.message.sales_order;
					frappe.show_alert({
						message: sales_order
							? __("{0} approved: Sales Order {1} created", [
									frm.doc.name,
									sales_order,
							  ])
							: __("{0} approved", [frm.doc.name]),
						indicator: "green",
					});
					frm.reload_doc();
				});
		},
		__("Approve {0}", [frm.doc.name]),
		__("Approve")
	);
}

function co_prompt_reject(frm) {
	if (!co_check_saved(frm)) return;
	frappe.prompt(
		[{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason"), reqd: 1 }],
		({ reason }) => {
			frappe
				.call({
					method: "order_mgmt.review.actions.reject_order",
					type: "POST",
					args: { name: frm.doc.name, reason },
					freeze: true,
					freeze_message: __("Rejecting {0}...", [frm.doc.name]),
					error: () => frm.reload_doc(),
				})
				.then(() => {
					frappe.show_alert({
						message: __("{0} rejected", [frm.doc.name]),
						indicator: "orange",
					});
					frm.reload_doc();
				});
		},
		__("Reject {0}", [frm.doc.name]),
		__("Reject")
	);
}

function co_prompt_cancel(frm) {
	if (!co_check_saved(frm)) return;
	frappe.prompt(
		[{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason"), reqd: 1 }],
		({ reason }) => {
			frappe
				.call({
					method: "order_mgmt.orders.cancellation.cancel_order",
					type: "POST",
					args: { name: frm.doc.name, reason },
					freeze: true,
					freeze_message: __("Cancelling {0}...", [frm.doc.name]),
				})
				.then(() => {
					frappe.show_alert({
						message: __("{0} cancelled", [frm.doc.name]),
						indicator: "green",
					});
					frm.reload_doc();
				});
		},
		__("Cancel {0}", [frm.doc.name]),
		__("Cancel Order")
	);
}
