// The return form of /my-returns/new. Each chosen line's photo is uploaded with Frappe's
// upload_file (private, attached to nothing: the server attaches it to the request it creates),
// then the request goes to order_mgmt.portal.returns.create_return_request, which checks
// everything again and answers with messages naming the row ("Row 1" is the first line with a
// quantity, as the badges show).
frappe.ready(function () {
	const form = document.getElementById("portal-return-form");
	if (!form) return;
	const portal = window.order_mgmt_portal;
	portal.load_messages("portal-return-messages");
	const errors = form.querySelector(".portal-return-errors");
	const button = form.querySelector("button[type=submit]");
	if (!button) return;

	const open_lines = () =>
		Array.from(form.querySelectorAll(".portal-return-line")).filter((line) =>
			line.querySelector("input[name=qty]")
		);
	const chosen_lines = () =>
		open_lines().filter((line) => parseFloat(line.querySelector("input[name=qty]").value) > 0);

	function number_rows() {
		open_lines().forEach((line) => {
			line.querySelector(".portal-row-label").hidden = true;
		});
		chosen_lines().forEach((line, index) => {
			const label = line.querySelector(".portal-row-label");
			label.textContent = __("Row {0}", [index + 1]);
			label.hidden = false;
		});
	}
	form.addEventListener("input", number_rows);
	form.addEventListener("change", function (event) {
		if (event.target.name === "photo") delete event.target.dataset.fileUrl;
	});

	function show_errors(texts) {
		errors.textContent = texts.join("\n");
		errors.hidden = !texts.length;
		if (texts.length) errors.scrollIntoView({ block: "center" });
	}

	async function photo_of(line) {
		const input = line.querySelector("input[name=photo]");
		if (!input.files.length) return null;
		if (!input.dataset.fileUrl) {
			const body = new FormData();
			body.append("file", input.files[0], input.files[0].name);
			body.append("is_private", "1");
			body.append("folder", "Home");
			const file = await portal.call("/api/method/upload_file", body);
			input.dataset.fileUrl = file.file_url;
		}
		return input.dataset.fileUrl;
	}

	form.addEventListener("submit", async function (event) {
		event.preventDefault();
		show_errors([]);
		const lines = chosen_lines();
		if (!lines.length) {
			show_errors([__("Enter a quantity to return on at least one line.")]);
			return;
		}
		button.disabled = true;
		try {
			const items = [];
			for (const line of lines) {
				const value = (name) => line.querySelector(`[name=${name}]`).value;
				items.push({
					delivery_note_item: line.dataset.line,
					qty: value("qty"),
					reason: value("reason"),
					condition: value("condition"),
					notes: value("notes"),
					photo: await photo_of(line),
				});
			}
			const request = await portal.call("/api/method/order_mgmt.portal.returns.create_return_request", {
				customer_order: form.dataset.order,
				items: items,
				resolution_type: form.querySelector("[name=resolution_type]").value,
				notes: form.querySelector("[name=request_notes]").value,
			});
			window.location.href = request.route;
		} catch (error) {
			show_errors([error.message]);
			button.disabled = false;
		}
	});
});
