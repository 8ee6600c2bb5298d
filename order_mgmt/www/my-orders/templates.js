// /my-orders/templates: delete one of the customer's order templates (order_mgmt.portal.templates
// delete_template, which checks the template is the customer's own).
frappe.ready(function () {
	const table = document.getElementById("portal-templates");
	if (!table) return;
	const translations = document.getElementById("portal-template-messages");
	frappe._messages = Object.assign(
		{},
		frappe._messages || {},
		translations ? JSON.parse(translations.textContent) : {}
	);
	const errors = document.getElementById("template-errors");

	function message_of(data) {
		try {
			const messages = JSON.parse(data._server_messages || "[]");
			return messages.map((m) => JSON.parse(m).message).join("\n");
		} catch (e) {
			return "";
		}
	}

	table.querySelectorAll(".portal-template-delete").forEach((button) => {
		button.addEventListener("click", async () => {
			if (!window.confirm(__("Delete template {0}?", [button.dataset.title]))) return;
			button.disabled = true;
			const response = await fetch("/api/method/order_mgmt.portal.templates.delete_template", {
				method: "POST",
				headers: {
					Accept: "application/json",
					"Content-Type": "application/json",
					"X-Frappe-CSRF-Token": frappe.csrf_token,
				},
				body: JSON.stringify({ name: button.dataset.name }),
			});
			if (response.ok) {
				button.closest("tr").remove();
				return;
			}
			let data = {};
			try {
				data = await response.json();
			} catch (e) {
				data = {};
			}
			const text = new DOMParser().parseFromString(message_of(data), "text/html").body.textContent;
			errors.textContent = text || __("Something went wrong. Please try again.");
			errors.hidden = false;
			button.disabled = false;
		});
	});
});
