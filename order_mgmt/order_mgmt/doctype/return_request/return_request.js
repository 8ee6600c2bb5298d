// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

// Quantities, rates and amounts are computed on the server on save (order_mgmt.returns.validation),
// so this script only fills the lines from the order's deliveries, filters links and takes the
// review decisions of the "Return Request Review" workflow through
// order_mgmt.returns.review.review_return, which records them with a comment.

// Workflow actions that are review decisions: Approve, and Reject (which needs a comment).
const RR_REVIEW_ACTIONS = { Approve: "Approve", Reject: "Reject" };

frappe.ui.form.on("Return Request", {
	setup(frm) {
		frm.set_query("customer_order", () => ({
			filters: Object.assign({ docstatus: 1 }, frm.doc.customer ? { customer: frm.doc.customer } : {}),
		}));
		frm.set_query("delivery_note", () => ({
			filters: { docstatus: 1, is_return: 0, customer: frm.doc.customer || "" },
		}));
		frm.set_query("delivery_note", "items", () => ({
			filters: { docstatus: 1, is_return: 0, customer: frm.doc.customer || "" },
		}));
		frm.set_query("reason", "items", () => ({ filters: { enabled: 1 } }));
	},

	refresh(frm) {
		if (frm.doc.docstatus === 0 && frm.doc.customer_order) {
			frm.add_custom_button(__("Get Delivered Items"), () => rr_get_delivered_items(frm));
		}
		if (frm.doc.customer_order) {
			frm.add_custom_button(
				__("Customer Order"),
				() => frappe.set_route("Form", "Customer Order", frm.doc.customer_order),
				__("View")
			);
		}
		rr_show_review_intro(frm);
	},

	customer_order(frm) {
		if (!frm.doc.customer_order) return;
		return frappe.db
			.get_value("Customer Order", frm.doc.customer_order, ["customer", "company"])
			.then(({ message }) => {
				if (!message) return;
				if (message.customer && frm.doc.customer !== message.customer) {
					frm.set_value("customer", message.customer);
				}
				if (message.company) frm.set_value("company", message.company);
			});
	},

	before_workflow_action(frm) {
		const action = RR_REVIEW_ACTIONS[frm.selected_workflow_action];
		if (!action) return;
		// As on the Customer Order form: Frappe froze the page and, once the returned promise
		// resolves, would call apply_workflow, which carries no comment. Take the decision over:
		// unfreeze, ask for the comment and call review_return. The promise never settles, so
		// Frappe's call is never made.
		frappe.dom.unfreeze();
		frm.selected_workflow_action = null;
		rr_prompt_review(frm, action);
		return new Promise(() => {});
	},
});

frappe.ui.form.on("Return Request Item", {
	qty(frm, cdt, cdn) {
		const row = locals[cdt][cdn];
		frappe.model.set_value(cdt, cdn, "amount", flt(row.qty) * flt(row.rate));
	},
});

// --- Get Delivered Items ----------------------------------------------------------------------

function rr_get_delivered_items(frm) {
	return frappe
		.call({
			method: "order_mgmt.returns.deliveries.get_returnable_lines",
			args: {
				customer_order: frm.doc.customer_order,
				return_request: frm.is_new() ? null : frm.doc.name,
			},
			freeze: true,
		})
		.then((r) => {
			const lines = (r.message || []).filter(
				(line) =>
					flt(line.returnable_qty) > 0 &&
					(!frm.doc.delivery_note || line.delivery_note === frm.doc.delivery_note)
			);
			if (!lines.length) {
				frappe.msgprint(__("Nothing delivered on this order can still be returned"));
				return;
			}
			frm.clear_table("items");
			lines.forEach((line) => {
				const row = frm.add_child("items");
				Object.assign(row, {
					item_code: line.item_code,
					item_name: line.item_name,
					delivery_note: line.delivery_note,
					delivery_note_item: line.delivery_note_item,
					sales_order_item: line.sales_order_item,
					delivered_qty: line.delivered_qty,
					already_returned_qty: line.already_returned_qty,
					qty: line.returnable_qty,
					uom: line.uom,
					rate: line.rate,
					amount: flt(line.returnable_qty) * flt(line.rate),
				});
			});
			frm.refresh_field("items");
			frappe.show_alert({
				message: __("{0} delivered lines added: set the quantity, reason and condition of each", [
					lines.length,
				]),
				indicator: "blue",
			});
		});
}

// --- Review -----------------------------------------------------------------------------------

function rr_show_review_intro(frm) {
	if (frm.doc.docstatus !== 1 || frm.doc.workflow_state !== "Under Review") return;
	const approvals = (frm.doc.reviews || []).filter((row) => row.decision === "Approved");
	if (approvals.length) {
		frm.set_intro(
			__("Approved by {0}: waiting for a second approval by another reviewer", [
				approvals.map((row) => row.reviewer).join(", "),
			]),
			"orange"
		);
	}
}

function rr_prompt_review(frm, action) {
	const reject = action === "Reject";
	frappe.prompt(
		[
			{
				fieldname: "comment",
				fieldtype: "Small Text",
				label: __("Comment"),
				reqd: reject ? 1 : 0,
				description: reject ? __("Tell the customer why the return is rejected") : "",
			},
		],
		(values) =>
			frappe
				.call({
					method: "order_mgmt.returns.review.review_return",
					args: { name: frm.doc.name, decision: action, comment: values.comment },
					freeze: true,
				})
				.then((r) => {
					const result = r.message || {};
					if (result.workflow_state === "Under Review") {
						frappe.show_alert({
							message: __("Approval recorded: {0} of {1} approvals", [
								result.approvals,
								result.approvals_needed,
							]),
							indicator: "orange",
						});
					}
					return frm.reload_doc();
				}),
		reject ? __("Reject Return Request") : __("Approve Return Request"),
		reject ? __("Reject") : __("Approve")
	);
}
