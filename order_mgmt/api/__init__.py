"""The REST intake: other systems (shops, apps, EDI gateways) send Customer Orders and read their status.

POST /api/method/order_mgmt.api.create_order   (JSON body: the order; header Idempotency-Key)
GET  /api/method/order_mgmt.api.get_order_status?order=CO-2026-00001   (or ?idempotency_key=...)

Authentication is Frappe's: `Authorization: token <api_key>:<api_secret>` of a user (an Order Clerk, or
any role that may create Customer Orders) — or a session. The caller may order only for customers it
may read (ERPNext's User Permissions on Customer restrict an API user to its customers), and reads back
only orders it may read, of such customers.

Answers: 201 with the order (status, review state, priced lines, totals) when created; 200 with the
same order when the Idempotency-Key was already used with the same body; errors as JSON with
`errors: [{row, field, message}]` and the status a client can act on — 400 the request is not an order
(unknown or server-owned field, wrong type, malformed key), 403 not permitted (customer, DocType),
409 conflict (key used with another body, the same order already submitted, the database busy: retry),
422 the order breaks a rule (unknown item or customer, quantity, rate below the floor, dates …).
The rules are those of every channel (orders/external_intake.py, orders/intake.py); README "REST intake".
"""

from __future__ import annotations

import frappe
from frappe import _

from order_mgmt.orders import external, external_intake

KEY_HEADER = "Idempotency-Key"


def request_header(name: str) -> str | None:
	request = getattr(frappe.local, "request", None)
	return request.headers.get(name) if request is not None else None


@frappe.whitelist(methods=["POST"])
def create_order(**body) -> dict:
	"""Create a Customer Order and submit it into review, once per Idempotency-Key."""
	for key in external.IGNORED_FIELDS:
		body.pop(key, None)
	if set(body) - set(external.KEY_FIELDS) == {"data"} and not isinstance(body["data"], dict):
		body = body["data"]  # Frappe puts a JSON body that is not an object here: refused below
	header_key = request_header(KEY_HEADER)
	body_key = body.get("idempotency_key") if isinstance(body, dict) else None
	seen = len(frappe.local.message_log or [])
	lines = len(body["items"]) if isinstance(body, dict) and isinstance(body.get("items"), list) else 0
	frappe.local.response.pop("errors", None)
	try:
		frappe.has_permission(external_intake.ORDER, "create", throw=True)
		if header_key and body_key and header_key != body_key:
			external_intake.throw_problems(
				[external.Problem(external.BAD_KEY, "idempotency_key", None, body_key)]
			)
		key = header_key or body_key
		problems = external.check_request(body)
		key_problem = external.check_key(key)
		if key_problem:
			problems.insert(0, key_problem)
		if problems:
			external_intake.throw_problems(problems)
		name, replayed = external_intake.place(
			body,
			source=external_intake.API,
			scope=frappe.session.user,
			reference=key,
			channel=external_intake.API,
		)
	except Exception as error:
		raise refusal(error, seen, lines) from None
	frappe.local.response["http_status_code"] = 200 if replayed else 201
	return {**external_intake.summary(name), "replayed": replayed}


def refusal(error: Exception, seen: int, lines: int) -> Exception:
	"""The error with the HTTP status a client can act on and `errors` naming field and row in the
	response body; a raw database error is logged and answered as a busy or failed request."""
	if external_intake.is_busy(error):
		frappe.db.rollback()
		frappe.clear_last_message()
		try:
			frappe.throw(
				_("The order could not be placed because the database was busy; send it again (same key)"),
				external_intake.DatabaseBusyError,
				title=_("Database Busy"),
			)
		except external_intake.DatabaseBusyError as busy:
			error = busy
	if not isinstance(error, frappe.ValidationError | frappe.PermissionError | frappe.DuplicateEntryError):
		return error  # a defect: Frappe answers 500 and logs it
	error.http_status_code = external_intake.status_of(error)
	frappe.local.response["errors"] = external_intake.errors_of(error, seen, lines)
	return error


@frappe.whitelist(methods=["GET", "POST"])
def get_order_status(order: str | None = None, idempotency_key: str | None = None) -> dict:
	"""An order's status, review state, shipments (carrier, tracking number) and invoices — for orders
	the caller may read, of customers it may read; anything else, missing or not, is 403."""
	name = order
	if not name and isinstance(idempotency_key, str) and idempotency_key:
		name = frappe.db.get_value(
			external_intake.KEY_DOCTYPE,
			external.key_name(external_intake.API, frappe.session.user, idempotency_key),
			"customer_order",
		)
	if not isinstance(name, str) or not name or not readable(name):
		frappe.local.response["errors"] = [
			{"row": None, "field": "order", "message": _("Order not found or not permitted")}
		]
		frappe.throw(
			_("Order {0} was not found or you may not read it").format(
				frappe.bold(frappe.utils.escape_html(str(name or "")))
			),
			frappe.PermissionError,
			title=_("Not Permitted"),
		)
	status = external_intake.summary(name)
	from order_mgmt.fulfilment.shipping import shipments_of_order

	status["shipments"] = [
		{
			"delivery_note": row.name,
			"posting_date": str(row.posting_date),
			"status": row.status,
			"is_return": bool(row.is_return),
			"carrier": row.carrier,
			"tracking_number": row.tracking_number,
			"shipped_on": str(row.shipped_on) if row.shipped_on else None,
		}
		for row in shipments_of_order(status["sales_order"])
	]
	status["invoices"] = external_intake.invoices_of(status["sales_order"])
	payment = frappe.db.get_value(
		external_intake.ORDER,
		name,
		["payment_status", "paid_amount", "outstanding_amount", "per_delivered", "per_billed"],
		as_dict=True,
	)
	status.update(
		payment_status=payment.payment_status or None,
		paid_amount=frappe.utils.flt(payment.paid_amount),
		outstanding_amount=frappe.utils.flt(payment.outstanding_amount),
		per_delivered=frappe.utils.flt(payment.per_delivered),
		per_billed=frappe.utils.flt(payment.per_billed),
	)
	return status


def readable(name: str) -> bool:
	customer = frappe.db.get_value(external_intake.ORDER, name, "customer")
	return bool(
		customer
		and frappe.has_permission(external_intake.ORDER, "read", doc=name)
		and frappe.has_permission("Customer", "read", doc=customer)
	)
