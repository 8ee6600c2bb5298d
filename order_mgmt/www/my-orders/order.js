// The order page's "Cancel Order" form: order_mgmt.portal.ordering.cancel_order cancels an order that
// is still in review, with the customer's reason, and refuses one that is approved.
frappe.ready(function () {
	const form = document.getElementById("portal-cancel-form");
	if (!form) return;
	const translations = document.getElementById("portal-order-messages");
	frappe._messages = Object.assign(
		{},
		frappe._messages || {},
		translations ? JSON.parse(translations.textContent) : {}
	);
	const errors = form.querySelector(".portal-cancel-errors");
	const button = form.querySelector("button[type=submit]");

	function show_error(text) {
		errors.textContent = text || "";
		errors.hidden = !text;
	}

	function server_message(data) {
		try {
			const messages = JSON.parse(data._server_messages || "[]").map((m) => JSON.parse(m).message);
			const text = messages.join("\n").replace(/<br\s*\/?>/gi, "\n");
			return new DOMParser().parseFromString(text, "text/html").body.textContent.trim();
		} catch (e) {
			return "";
		}
	}

	form.addEventListener("submit", async function (event) {
		event.preventDefault();
		const reason = form.querySelector("[name=reason]").value.trim();
		if (!reason) {
			show_error(__("Tell us why you cancel the order."));
			return;
		}
		button.disabled = true;
		show_error("");
		const response = await fetch("/api/method/order_mgmt.portal.ordering.cancel_order", {
			method: "POST",
			headers: {
				Accept: "application/json",
				"Content-Type": "application/json",
				"X-Frappe-CSRF-Token": frappe.csrf_token,
			},
			body: JSON.stringify({ name: form.dataset.order, reason: reason }),
		});
		let data = {};
		try {
			data = await response.json();
		} catch (e) {
			data = {};
		}
		if (response.ok) {
			window.location.reload();
			return;
		}
		show_error(server_message(data) || __("Something went wrong. Please try again."));
		button.disabled = false;
	});
});
