// The new-order form of /my-orders/new. The browser keeps the cart (items and quantities) and the
// header fields; everything else comes from the server (order_mgmt.portal.ordering): the items it
// may search, the prices, taxes and totals (price_cart, ERPNext's pricing for this customer) and the
// order itself (place_order). One idempotency key per cart, made here, lets a double click or a
// retried request place one order only.
frappe.ready(function () {
	const form = document.getElementById("portal-order-form");
	if (!form) return;
	const portal = window.order_mgmt_portal;
	portal.load_messages("portal-order-messages");
	const initial = JSON.parse(document.getElementById("portal-order-initial").textContent || "{}");
	const METHOD = "/api/method/order_mgmt.portal.ordering.";
	const body = form.querySelector(".portal-cart-lines");
	const totals = form.querySelector(".portal-order-totals");
	const empty = form.querySelector(".portal-cart-empty");
	const errors = form.querySelector(".portal-order-errors");
	const search = document.getElementById("portal-item-search");
	const results = form.querySelector(".portal-item-results");
	const place_button = form.querySelector(".portal-place-button");
	const price_button = form.querySelector(".portal-price-button");
	const customer_select = document.getElementById("portal-order-customer");
	const request_key = new_key();
	let cart = (initial.lines || []).map((line) => Object.assign({}, line));

	function new_key() {
		if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
		const bytes = new Uint8Array(16);
		crypto.getRandomValues(bytes);
		return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
	}

	function customer() {
		return customer_select ? customer_select.value : null;
	}

	function call(method, args, http_method, module) {
		const path = (module ? "/api/method/" + module : METHOD) + method;
		return portal.call(path, args, { method: http_method });
	}

	// --- the cart ---------------------------------------------------------------------------

	function cell(text, class_name) {
		const td = document.createElement("td");
		if (class_name) td.className = class_name;
		td.textContent = text || "";
		return td;
	}

	function render() {
		body.textContent = "";
		cart.forEach((line, index) => {
			const tr = document.createElement("tr");
			tr.className = "portal-cart-line";
			tr.dataset.item = line.item_code;

			const item = document.createElement("td");
			if (line.image) {
				const img = document.createElement("img");
				img.src = line.image;
				img.alt = "";
				img.width = 40;
				img.className = "mr-2 align-top";
				item.appendChild(img);
			}
			const name = document.createElement("strong");
			name.textContent = line.item_name || line.item_code;
			item.appendChild(name);
			if (line.item_name && line.item_name !== line.item_code) {
				const code = document.createElement("span");
				code.className = "small text-muted ml-1";
				code.textContent = line.item_code;
				item.appendChild(code);
			}
			const problem = document.createElement("div");
			problem.className = "small text-danger portal-line-error";
			problem.textContent = line.error || "";
			item.appendChild(problem);
			// When it can ship (the server's delivery promise), once priced.
			const ships = document.createElement("div");
			ships.className = "small text-muted portal-line-ships";
			ships.textContent = line.ships || "";
			item.appendChild(ships);
			tr.appendChild(item);

			const qty_cell = document.createElement("td");
			qty_cell.className = "text-right";
			const qty = document.createElement("input");
			qty.type = "number";
			qty.min = "0";
			qty.step = "any";
			qty.name = "qty";
			qty.className = "form-control text-right" + (line.error_field === "qty" ? " is-invalid" : "");
			qty.value = line.qty;
			qty.addEventListener("change", () => {
				line.qty = qty.value;
				stale();
			});
			qty_cell.appendChild(qty);
			tr.appendChild(qty_cell);

			tr.appendChild(cell(line.uom_label || line.uom));
			tr.appendChild(cell(line.rate, "text-right portal-line-rate"));
			tr.appendChild(cell(line.amount, "text-right portal-line-amount"));

			const remove_cell = document.createElement("td");
			const remove = document.createElement("button");
			remove.type = "button";
			remove.className = "btn btn-link btn-sm text-danger";
			remove.textContent = __("Remove");
			remove.addEventListener("click", () => {
				cart.splice(index, 1);
				stale();
			});
			remove_cell.appendChild(remove);
			tr.appendChild(remove_cell);
			body.appendChild(tr);
		});
		empty.hidden = cart.length > 0;
	}

	function stale() {
		// Prices shown belong to the cart as it was priced: clear them until the next pricing.
		cart.forEach((line) => {
			line.rate = line.amount = line.error = line.error_field = line.ships = "";
		});
		totals.hidden = true;
		render();
		schedule_pricing();
	}

	let pricing_timer = null;
	function schedule_pricing() {
		clearTimeout(pricing_timer);
		if (cart.length) pricing_timer = setTimeout(price, 600);
	}

	function cart_args() {
		const value = (name) => (form.querySelector(`[name=${name}]`) || {}).value || null;
		return {
			items: cart.map((line) => ({ item_code: line.item_code, qty: line.qty })),
			delivery_date: value("delivery_date"),
			shipping_address_name: value("shipping_address_name"),
			customer_po: value("customer_po"),
			notes: value("notes"),
		};
	}

	function show_errors(list, general) {
		form.querySelectorAll(".portal-field-error").forEach((node) => {
			node.textContent = "";
			const input = form.querySelector(`[name=${node.dataset.field}]`);
			if (input) input.classList.remove("is-invalid");
		});
		const unplaced = general ? [general] : [];
		(list || []).forEach((problem) => {
			const message = portal.plain_text(problem.message);
			if (problem.row && cart[problem.row - 1]) {
				const line = cart[problem.row - 1];
				line.error = line.error ? line.error + "\n" + message : message;
				line.error_field = problem.field;
				return;
			}
			const field = problem.field && form.querySelector(`.portal-field-error[data-field=${problem.field}]`);
			if (field) {
				field.textContent = message;
				form.querySelector(`[name=${problem.field}]`).classList.add("is-invalid");
				return;
			}
			unplaced.push(message);
		});
		render();
		errors.textContent = unplaced.join("\n");
		errors.hidden = !unplaced.length;
	}

	function show_prices(priced) {
		priced.lines.forEach((row) => {
			const line = cart[row.row - 1];
			if (!line) return;
			Object.assign(line, {
				rate: row.rate,
				amount: row.amount,
				uom: row.uom,
				uom_label: row.uom_label,
				ships: row.ships,
			});
		});
		form.querySelector(".portal-net-total").textContent = priced.totals.net_total;
		form.querySelector(".portal-taxes-total").textContent = priced.totals.total_taxes_and_charges;
		form.querySelector(".portal-grand-total").textContent = priced.totals.grand_total;
		totals.hidden = false;
	}

	async function price() {
		if (!cart.length) return;
		cart.forEach((line) => {
			line.error = line.error_field = "";
		});
		try {
			const priced = await call("price_cart", { cart: cart_args(), customer: customer() });
			if (priced.errors && priced.errors.length) {
				totals.hidden = true;
				show_errors(priced.errors);
				return;
			}
			show_prices(priced);
			show_errors([]);
		} catch (error) {
			show_errors(error.errors, error.errors.length ? null : error.message);
		}
	}

	// --- item search --------------------------------------------------------------------------

	let search_timer = null;
	search.addEventListener("input", () => {
		clearTimeout(search_timer);
		search_timer = setTimeout(find_items, 300);
	});

	async function find_items() {
		const txt = search.value.trim();
		results.textContent = "";
		if (!txt) return;
		let items = [];
		try {
			items = await call("search_items", { txt: txt, customer: customer() || "" }, "GET");
		} catch (error) {
			show_errors([], error.message);
			return;
		}
		if (!items.length) {
			const none = document.createElement("div");
			none.className = "list-group-item text-muted small";
			none.textContent = __("No items found");
			results.appendChild(none);
		}
		items.forEach((item) => {
			const option = document.createElement("button");
			option.type = "button";
			option.className = "list-group-item list-group-item-action portal-item-result";
			option.dataset.item = item.item_code;
			option.textContent = `${item.item_name || item.item_code} (${item.item_code})`;
			option.addEventListener("click", () => add(item));
			results.appendChild(option);
		});
	}

	function add(item) {
		const existing = cart.find((line) => line.item_code === item.item_code);
		if (existing) existing.qty = (parseFloat(existing.qty) || 0) + 1;
		else cart.push(Object.assign({}, item, { qty: 1 }));
		results.textContent = "";
		search.value = "";
		stale();
	}

	// --- placing the order ----------------------------------------------------------------------

	price_button.addEventListener("click", price);
	["delivery_date", "shipping_address_name"].forEach((name) => {
		const input = form.querySelector(`[name=${name}]`);
		if (input) input.addEventListener("change", schedule_pricing);
	});
	if (customer_select) {
		customer_select.addEventListener("change", async () => {
			const select = form.querySelector("[name=shipping_address_name]");
			select.querySelectorAll("option:not([value=''])").forEach((option) => option.remove());
			const addresses = await call("addresses_of", { customer: customer() }, "GET");
			addresses.forEach((address) => {
				const option = document.createElement("option");
				option.value = address.name;
				option.textContent = (address.title || address.name) + (address.label ? " — " + address.label : "");
				select.appendChild(option);
			});
			stale();
		});
	}

	form.addEventListener("submit", async function (event) {
		event.preventDefault();
		if (!cart.length) {
			show_errors([], __("Add at least one item to the order"));
			return;
		}
		place_button.disabled = true;
		try {
			const edit_order = form.querySelector("[name=edit_order]");
			const order = edit_order
				? await call("change_order", {
						name: edit_order.value,
						cart: cart_args(),
						request_key: request_key,
				  })
				: await call("place_order", {
						cart: cart_args(),
						request_key: request_key,
						customer: customer(),
				  });
			window.location.href = order.route;
		} catch (error) {
			show_errors(error.errors, error.errors.length ? null : error.message);
			place_button.disabled = false;
		}
	});

	// --- saving the cart as a template -------------------------------------------------------------

	const template_form = document.getElementById("portal-template-form");
	if (template_form) {
		const template_name = document.getElementById("template-name");
		const template_message = document.getElementById("template-message");
		const save_template = document.getElementById("save-template");
		const say = (text, ok) => {
			template_message.textContent = text;
			template_message.className = "small w-100 " + (ok ? "text-success" : "text-danger");
			template_message.hidden = !text;
		};
		template_form.addEventListener("submit", async function (event) {
			event.preventDefault();
			if (!cart.length) {
				say(__("Add at least one item to the order"), false);
				return;
			}
			if (!template_name.value.trim()) {
				say(__("Give the template a name"), false);
				template_name.focus();
				return;
			}
			save_template.disabled = true;
			try {
				const saved = await call(
					"save_template",
					{
						template_name: template_name.value,
						cart: { items: cart.map((line) => ({ item_code: line.item_code, qty: line.qty })) },
						customer: customer(),
					},
					"POST",
					"order_mgmt.portal.templates."
				);
				say(__("Saved as template {0}", [saved.template_name]), true);
			} catch (error) {
				say(error.message, false);
			}
			save_template.disabled = false;
		});
	}

	render();
	schedule_pricing();
});
