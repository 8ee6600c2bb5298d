// What the portal pages' scripts share (templates/portal/base.html includes it before each page's own
// script): the page's translations, the server's messages as plain text, and calls to whitelisted
// methods with the session's CSRF token.
window.order_mgmt_portal = (function () {
	// A page ships the translations its script needs as JSON in an element (its id given here).
	function load_messages(element_id) {
		const node = document.getElementById(element_id);
		frappe._messages = Object.assign({}, frappe._messages || {}, node ? JSON.parse(node.textContent) : {});
	}

	// Server messages may hold <b> and <br>: keep their text only, never their markup.
	function plain_text(html) {
		const text = String(html || "").replace(/<br\s*\/?>/gi, "\n");
		return new DOMParser().parseFromString(text, "text/html").body.textContent.trim();
	}

	function server_messages(data) {
		let messages = [];
		try {
			messages = JSON.parse(data._server_messages || "[]");
		} catch (e) {
			messages = [];
		}
		return messages
			.map((message) => {
				try {
					return plain_text(JSON.parse(message).message);
				} catch (e) {
					return plain_text(message);
				}
			})
			.filter(Boolean);
	}

	// GET (args as the query string) or POST (args as JSON, or a FormData as it is); an HTTP error is
	// answered, not thrown: {ok, data, messages}.
	async function send(path, args, options) {
		const get = Boolean(options && options.method === "GET");
		const form_data = args instanceof FormData;
		const headers = { Accept: "application/json", "X-Frappe-CSRF-Token": frappe.csrf_token };
		if (!get && !form_data) headers["Content-Type"] = "application/json";
		const response = await fetch(get ? path + "?" + new URLSearchParams(args || {}).toString() : path, {
			method: get ? "GET" : "POST",
			headers: headers,
			body: get ? undefined : form_data ? args : JSON.stringify(args || {}),
		});
		let data = {};
		try {
			data = await response.json();
		} catch (e) {
			data = {};
		}
		return { ok: response.ok, data: data, messages: server_messages(data) };
	}

	// The method's answer, or an Error carrying the server's messages (and, in .errors, the portal's
	// per-field problems: [{row, field, message}]).
	async function call(path, args, options) {
		const { ok, data, messages } = await send(path, args, options);
		if (!ok) {
			const problem = new Error(messages.join("\n") || __("Something went wrong. Please try again."));
			problem.errors = data.portal_errors || [];
			throw problem;
		}
		return data.message;
	}

	return { load_messages, plain_text, server_messages, send, call };
})();
