// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

const IMPORT_METHOD = "order_mgmt.orders.bulk_import";

frappe.ui.form.on("Customer Order Import", {
	setup(frm) {
		frappe.realtime.on("customer_order_import_done", (data) => {
			if (data && data.name === frm.doc.name) frm.reload_doc();
		});
	},

	refresh(frm) {
		frm.add_custom_button(__("Download Template (CSV)"), () => download_template("csv"));
		frm.add_custom_button(__("Download Template (Excel)"), () => download_template("xlsx"));
		if (!frm.is_new() && frm.doc.import_file) {
			if (!["Queued", "In Progress"].includes(frm.doc.status)) {
				frm.add_custom_button(__("Preview"), () => call(frm, "preview"));
			}
			// also on an import left In Progress by a worker that died: the server refuses a running one
			frm.add_custom_button(__("Start Import"), () => call(frm, "start_import")).addClass(
				"btn-primary"
			);
		}
		render_log(frm, "preview_html", frm.doc.preview_log, __("Preview"));
		render_log(frm, "result_html", frm.doc.result_log, __("Result"));
	},
});

function download_template(file_type) {
	window.open(
		`/api/method/${IMPORT_METHOD}.download_template?file_type=${encodeURIComponent(file_type)}`
	);
}

function call(frm, method) {
	(frm.is_dirty() ? frm.save() : Promise.resolve()).then(() =>
		frappe
			.call({ method: `${IMPORT_METHOD}.${method}`, args: { name: frm.doc.name }, freeze: true })
			.then((r) => {
				if (r.message && r.message.queued) {
					frappe.show_alert({ message: __("Running in the background"), indicator: "blue" });
				}
				frm.reload_doc();
			})
	);
}

function render_log(frm, fieldname, log, title) {
	const wrapper = frm.get_field(fieldname).$wrapper;
	wrapper.empty();
	if (!log) return;
	const summary = JSON.parse(log);
	const esc = frappe.utils.escape_html;
	const parts = [`<h5>${esc(title)}</h5>`];
	const counts = [
		[__("Orders"), summary.orders],
		[__("Rows"), summary.rows],
		[__("Valid"), (summary.valid || []).length],
		[__("Created"), (summary.created || []).length],
		[__("Already Imported"), (summary.existing || []).length],
		[__("Refused"), (summary.refused || []).length],
	];
	parts.push(
		`<p>${counts
			.filter(([, value]) => value)
			.map(([label, value]) => `${esc(label)}: <b>${cint(value)}</b>`)
			.join(" · ")}</p>`
	);
	const orders = [...(summary.created || []), ...(summary.existing || [])];
	if (orders.length) {
		parts.push(`<table class="table table-bordered table-sm"><tr><th>${esc(__("External Reference"))}</th>
			<th>${esc(__("Customer Order"))}</th></tr>`);
		orders.slice(0, 500).forEach((row) => {
			const link = `/app/customer-order/${encodeURIComponent(row.order)}`;
			parts.push(`<tr><td>${esc(row.reference)}</td><td><a href="${link}">${esc(row.order)}</a></td></tr>`);
		});
		parts.push("</table>");
	}
	if ((summary.refused || []).length) {
		parts.push(`<table class="table table-bordered table-sm"><tr><th>${esc(__("External Reference"))}</th>
			<th>${esc(__("Row"))}</th><th>${esc(__("Column"))}</th><th>${esc(__("Error"))}</th></tr>`);
		summary.refused.slice(0, 500).forEach((order) => {
			order.errors.forEach((error) => {
				parts.push(`<tr><td>${esc(order.reference || "")}</td><td>${cint(error.row)}</td>
					<td>${esc(error.column || "")}</td><td>${esc(error.message || "")}</td></tr>`);
			});
		});
		parts.push("</table>");
	}
	wrapper.html(parts.join(""));
}
