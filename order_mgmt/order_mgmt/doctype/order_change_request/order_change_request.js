// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

// The diff, impact, tier and route are computed on the server on save (order_mgmt.orders.change_request);
// this script fills the lines from the order, and takes the review decisions through
// order_mgmt.orders.change_request.decide (a rejection needs a comment).

frappe.ui.form.on("Order Change Request", {
	setup(frm) {
		frm.set_query("customer_order", () => ({
			filters: { docstatus: 1, status: ["in", ["Approved", "To Deliver", "Partly Delivered"]] },
		}));
		// A new line's warehouse: a stock warehouse of the order's company (checked again on the server).
		frm.set_query("warehouse", "items", () => ({
			filters: { company: frm.doc.company || "", is_group: 0, disabled: 0 },
		}));
		frm.set_query("new_shipping_address_name", () => ({
			query: "frappe.contacts.doctype.address.address.address_query",
			filters: { link_doctype: "Customer", link_name: frm.doc.customer || "" },
		}));
	},

	refresh(frm) {
		if (frm.doc.customer_order) {
			frm.add_custom_button(
				__("Customer Order"),
				() => frappe.set_route("Form", "Customer Order", frm.doc.customer_order),
				__("View")
			);
		}
		if (frm.doc.docstatus === 0 && frm.doc.customer_order) {
			frm.add_custom_button(__("Get Order Lines"), () => ocr_get_order_lines(frm));
		}
		if (frm.doc.tier_reasons) {
			frm.set_intro(frappe.utils.escape_html(frm.doc.tier_reasons).replace(/\n/g, "<br>"), "orange");
		}
		if (frm.doc.docstatus === 1 && frm.doc.status === "Pending Review") {
			frm.add_custom_button(__("Approve"), () => ocr_decide(frm, "Approved"), __("Review"));
			frm.add_custom_button(__("Reject"), () => ocr_decide(frm, "Rejected"), __("Review"));
		}
	},
});

function ocr_get_order_lines(frm) {
	frappe.model.with_doc("Customer Order", frm.doc.customer_order).then((order) => {
		frm.clear_table("items");
		(order.items || []).forEach((line) => {
			frm.add_child("items", { order_item: line.name, item_code: line.item_code, qty: line.qty });
		});
		frm.refresh_field("items");
	});
}

function ocr_decide(frm, decision) {
	frappe.prompt(
		[{ fieldname: "comment", fieldtype: "Small Text", label: __("Comment"), reqd: decision === "Rejected" }],
		(values) =>
			frappe
				.call({
					method: "order_mgmt.orders.change_request.decide",
					args: { name: frm.doc.name, decision, comment: values.comment },
					freeze: true,
				})
				.then(() => frm.reload_doc()),
		decision === "Approved" ? __("Approve") : __("Reject")
	);
}
