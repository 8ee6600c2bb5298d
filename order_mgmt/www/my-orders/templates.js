// /my-orders/templates: delete one of the customer's order templates (order_mgmt.portal.templates
// delete_template, which checks the template is the customer's own).
frappe.ready(function () {
	const table = document.getElementById("portal-templates");
	if (!table) return;
	const portal = window.order_mgmt_portal;
	portal.load_messages("portal-template-messages");
	const errors = document.getElementById("template-errors");

	table.querySelectorAll(".portal-template-delete").forEach((button) => {
		button.addEventListener("click", async () => {
			if (!window.confirm(__("Delete template {0}?", [button.dataset.title]))) return;
			button.disabled = true;
			const { ok, messages } = await portal.send("/api/method/order_mgmt.portal.templates.delete_template", {
				name: button.dataset.name,
			});
			if (ok) {
				button.closest("tr").remove();
				return;
			}
			errors.textContent = messages.join("\n") || __("Something went wrong. Please try again.");
			errors.hidden = false;
			button.disabled = false;
		});
	});
});
