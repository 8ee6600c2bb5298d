// The order page's forms: "Cancel Order" (order_mgmt.portal.ordering.cancel_order: an order still in
// review, with the customer's reason) and "Request a Change" (order_mgmt.orders.change_portal.
// request_change: an approved order; quantities, a new date and the reason — prices are the company's).
frappe.ready(function () {
	const cancel_form = document.getElementById("portal-cancel-form");
	const change_form = document.getElementById("portal-change-form");
	if (!cancel_form && !change_form) return;
	const portal = window.order_mgmt_portal;
	portal.load_messages("portal-order-messages");

	function wire(form, build, method, done) {
		const errors = form.querySelector(".alert-danger");
		const button = form.querySelector("button[type=submit]");
		const show_error = (text) => {
			errors.textContent = text || "";
			errors.hidden = !text;
		};
		form.addEventListener("submit", async function (event) {
			event.preventDefault();
			const args = build(show_error);
			if (!args) return;
			button.disabled = true;
			show_error("");
			const { ok, data, messages } = await portal.send(`/api/method/${method}`, args);
			if (ok) {
				done(data.message || {});
				return;
			}
			show_error(messages.join("\n") || __("Something went wrong. Please try again."));
			button.disabled = false;
		});
	}

	if (cancel_form) {
		wire(
			cancel_form,
			(show_error) => {
				const reason = cancel_form.querySelector("[name=reason]").value.trim();
				if (!reason) {
					show_error(__("Tell us why you cancel the order."));
					return null;
				}
				return { name: cancel_form.dataset.order, reason };
			},
			"order_mgmt.portal.ordering.cancel_order",
			() => window.location.reload()
		);
	}

	if (change_form) {
		wire(
			change_form,
			(show_error) => {
				const reason = change_form.querySelector("[name=reason]").value.trim();
				const lines = [];
				change_form.querySelectorAll("input.change-qty").forEach((input) => {
					const qty = parseFloat(input.value);
					if (input.value !== "" && qty !== parseFloat(input.dataset.current)) {
						lines.push({ order_item: input.dataset.orderItem, qty: isNaN(qty) ? input.value : qty });
					}
				});
				const new_delivery_date = change_form.querySelector("[name=new_delivery_date]").value || null;
				if (!lines.length && !new_delivery_date) {
					show_error(__("Change a quantity or the date first."));
					return null;
				}
				if (!reason) {
					show_error(__("Tell us why the order should change"));
					return null;
				}
				return { name: change_form.dataset.order, reason, lines: JSON.stringify(lines), new_delivery_date };
			},
			"order_mgmt.orders.change_portal.request_change",
			(result) => {
				const box = change_form.querySelector(".portal-change-result");
				box.textContent = __("Change request {0} sent.", [result.name]);
				box.hidden = false;
				setTimeout(() => window.location.reload(), 1500);
			}
		);
	}
});
