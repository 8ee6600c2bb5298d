// Copyright (c) 2026, order_mgmt contributors
// For license information, please see license.txt

frappe.ui.form.on("Review Policy", {
	setup(frm) {
		frappe.realtime.on("review_policy_replayed", (data) => {
			if (data && data.name === frm.doc.name) frm.reload_doc();
		});
	},

	refresh(frm) {
		frm.set_df_property("rules", "read_only", frm.doc.status !== "Draft");
		render_replay(frm);
		const may_publish = frm.doc.__onload && frm.doc.__onload.may_publish;
		if (frm.is_new()) {
			if (!(frm.doc.rules || []).length) {
				frm.add_custom_button(__("Fill from Live Rules"), () => fill_from_live_rules(frm));
			}
			return;
		}
		if (frm.doc.status === "Published" && frm.doc.__onload && frm.doc.__onload.live_rules_match === false) {
			frm.dashboard.set_headline_alert(
				__("The live Order Review Rules were edited since this policy was published"),
				"orange"
			);
		}
		if (frm.doc.status === "Draft" && may_publish && !frm.is_dirty()) {
			frm.add_custom_button(__("Publish"), () => publish(frm)).addClass("btn-primary");
		}
		if (frm.perm[0] && frm.perm[0].write && !frm.is_dirty()) {
			frm.add_custom_button(__("Replay"), () => replay(frm));
		}
		if (frm.perm[0] && frm.perm[0].create) {
			frm.add_custom_button(__("New Draft from Live Rules"), () => new_draft(), __("Create"));
		}
	},
});

function fill_from_live_rules(frm) {
	frappe
		.call("order_mgmt.review.policy.get_live_rule_rows")
		.then((r) => r.message || [])
		.then((rows) => {
			frm.clear_table("rules");
			rows.forEach((row) => frm.add_child("rules", row));
			frm.refresh_field("rules");
		});
}

function new_draft() {
	frappe.call({
		method: "order_mgmt.review.policy.new_draft_from_live_rules",
		freeze: true,
		callback: (r) => r.message && frappe.set_route("Form", "Review Policy", r.message),
	});
}

function publish(frm) {
	frappe.confirm(
		__(
			"Publish {0}? Its rules become the live Order Review Rules for every order submitted from now on.",
			[frappe.utils.escape_html(frm.doc.title)]
		),
		() =>
			frappe.call({
				method: "order_mgmt.review.policy.publish",
				args: { name: frm.doc.name },
				freeze: true,
				callback: (r) => {
					if (r.message) {
						frappe.show_alert({
							message: __("Published as version {0}", [r.message.version]),
							indicator: "green",
						});
					}
					frm.reload_doc();
				},
			})
	);
}

function replay(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Replay over Past Orders"),
		fields: [
			{
				fieldname: "orders",
				fieldtype: "Int",
				label: __("Last Orders"),
				default: 1000,
				description: __("Or give a period: at most this many of its orders, newest first"),
			},
			{ fieldname: "from_date", fieldtype: "Date", label: __("From Date") },
			{ fieldname: "to_date", fieldtype: "Date", label: __("To Date") },
		],
		primary_action_label: __("Replay"),
		primary_action(values) {
			dialog.hide();
			frappe.call({
				method: "order_mgmt.analytics.policy_replay.replay_review_policy",
				args: { name: frm.doc.name, ...values },
				freeze: true,
				freeze_message: __("Replaying…"),
				callback: (r) => {
					if (r.message && r.message.queued) {
						frappe.show_alert({
							message: __("Replaying {0} orders in the background", [r.message.orders]),
							indicator: "blue",
						});
					}
					frm.reload_doc();
				},
			});
		},
	});
	dialog.show();
}

function render_replay(frm) {
	const wrapper = frm.get_field("replay_html").$wrapper;
	const esc = frappe.utils.escape_html;
	if (!frm.doc.replay_result) {
		wrapper.html(
			frm.doc.replay_status
				? `<p class="text-muted">${esc(__(frm.doc.replay_status))}</p>`
				: `<p class="text-muted">${__("Not replayed yet")}</p>`
		);
		return;
	}
	const r = JSON.parse(frm.doc.replay_result);
	const signed = (n) => (n > 0 ? `+${n}` : `${n}`);
	const table = (head, rows) =>
		`<table class="table table-bordered table-sm"><thead><tr>${head
			.map((h) => `<th>${h}</th>`)
			.join("")}</tr></thead><tbody>${rows
			.map((row) => `<tr>${row.map((c) => `<td>${c}</td>`).join("")}</tr>`)
			.join("")}</tbody></table>`;
	let html = `<p>${__(
		"{0} orders over {1} weeks. Auto-approval rate: {2}% as it happened, {3}% under this policy. Held: {4} as it happened, {5} under this policy.",
		[r.orders, r.weeks, r.actual_auto_approval_rate, r.draft_auto_approval_rate, r.actual_held, r.draft_held]
	)}</p>`;
	if (r.rebuilt) {
		html += `<p class="text-muted">${__(
			"{0} of these orders had no facts frozen at their review (auto-approved, or reviewed before facts were frozen): their facts were rebuilt from the order.",
			[r.rebuilt]
		)}</p>`;
	}
	html += `<h5>${__("Per Stage")}</h5>`;
	html += table(
		[__("Stage"), __("Held as it happened"), __("Held under this policy"), __("Difference"), __("Per week as it happened"), __("Per week under this policy")],
		r.stages.map((s) => [esc(__(s.stage)), s.actual, s.draft, signed(s.difference), s.actual_per_week, s.draft_per_week])
	);
	html += `<h5>${__("Per Rule")}</h5>`;
	html += table(
		[__("Rule"), __("Held as it happened"), __("Held under this policy"), __("Difference"), __("Per week under this policy")],
		r.rules.map((s) => [esc(__(s.rule)), s.actual, s.draft, signed(s.difference), s.draft_per_week])
	);
	html += `<h5>${__("Orders That Change Outcome")} (${r.changed_total})</h5>`;
	html += table(
		[__("Customer Order"), __("Order Date"), __("As it happened"), __("Under this policy"), __("Rules")],
		r.changed.map((c) => [
			`<a href="/app/customer-order/${encodeURIComponent(c.order)}">${esc(c.order)}</a>`,
			esc(frappe.datetime.str_to_user(c.order_date)),
			esc(__(c.actual)),
			esc(__(c.draft)),
			esc((c.draft_rules.length ? c.draft_rules : c.actual_rules).join(", ")),
		])
	);
	if (r.changed_total > r.changed.length) {
		html += `<p class="text-muted">${__("The first {0} are listed.", [r.changed.length])}</p>`;
	}
	wrapper.html(html);
}
