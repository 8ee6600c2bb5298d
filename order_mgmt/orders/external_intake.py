"""Customer Orders from other systems and spreadsheets: the Frappe side of orders/external.py, shared by
the REST intake (order_mgmt/api) and the importer (orders/bulk_import.py).

A request names its customer by name or by External Customer ID (a custom field on Customer) and each
line's item by code or by ERPNext Item Barcode; it is then an ordinary Customer Order, inserted and
submitted into review as the caller, so every intake check, ERPNext's pricing (rates sent are kept or
refused as the form keeps or refuses a clerk's: below the floor is refused) and the review routing
apply as on the desk.

Idempotency: each request carries a reference — the API's Idempotency-Key (scoped to the calling
user), the import's external order reference (scoped to the customer). It is claimed by inserting an
**Order Intake Key** whose primary key is derived from (source, scope, reference), in the same
transaction as the order: a second request with the same reference waits on the first one's row
lock, then finds the committed row (a duplicate-key error turned into a lookup) and answers the same
order, or a conflict when its body differs. A refused request rolls back, key row included, so the
client may correct and resend it under the same key. No raw database error reaches the client.
"""

from __future__ import annotations

import html

import frappe
from frappe import _
from frappe.query_builder import DocType
from frappe.utils import escape_html, flt, strip_html

from order_mgmt import server_owned
from order_mgmt.orders import external, intake
from order_mgmt.orders.external import Problem
from order_mgmt.review.actions import DatabaseBusyError, is_busy

KEY_DOCTYPE = "Order Intake Key"
ORDER = "Customer Order"
API, IMPORT = "API", "Import"
EXTERNAL_ID_FIELD = "external_customer_id"


class IntakeRequestError(frappe.ValidationError):
	"""A request that is not an order (unknown fields, lines that are not rows, no key): HTTP 400."""

	http_status_code = external.BAD_REQUEST


class IntakeConflictError(frappe.ValidationError):
	"""The reference was used before for another request: HTTP 409."""

	http_status_code = external.CONFLICT


class IntakeLookupError(frappe.ValidationError):
	"""A customer or item reference that names nothing: HTTP 422."""

	http_status_code = external.UNPROCESSABLE


# --- messages ----------------------------------------------------------------------------------------


def field_name(fieldname: str | None, row: int | None = None) -> str:
	"""How a message names a request's field: its label and key, "Row 2: Quantity (qty)"."""
	if not fieldname:
		return _("The request")
	doctype = "Customer Order Item" if row else ORDER
	labels = {
		"customer_external_id": _("External Customer ID"),
		"barcode": _("Barcode"),
		"idempotency_key": _("Idempotency Key"),
	}
	label = labels.get(fieldname)
	if not label:
		meta = frappe.get_meta(doctype)
		label = _(meta.get_label(fieldname)) if meta.has_field(fieldname) else None
	text = f"{label} ({fieldname})" if label and label != fieldname else fieldname
	return _("Row {0}: {1}").format(row, text) if row else text


def problem_message(problem: Problem) -> str:
	where = field_name(problem.field, problem.row)
	code = problem.code
	shown = escape_html(str(problem.value))[:60]
	if code == external.NOT_AN_OBJECT:
		return _("The order must be a JSON object of fields")
	if code == external.UNKNOWN_FIELD:
		return _("{0} is not accepted by the order intake: it is set by the server or does not exist").format(
			where
		)
	if code == external.NOT_A_LIST:
		return _("{0} must be a list of lines").format(where)
	if code == external.NOT_A_ROW:
		return _("{0}: row {1} must be an object of fields, got {2}").format(
			field_name("items"), problem.row, shown
		)
	if code == external.NO_LINES:
		return _("Add at least one item to the order")
	if code == external.TOO_MANY_LINES:
		return _("An order can have at most {0} lines, got {1}").format(external.MAX_LINES, shown)
	if code == external.NOT_TEXT:
		return _("{0} must be text, got {1}").format(where, shown)
	if code == external.NO_CUSTOMER:
		return _("Customer (customer) or External Customer ID (customer_external_id) is required")
	if code == external.NO_ITEM:
		return _("Row {0}: Item Code (item_code) or Barcode (barcode) is required").format(problem.row)
	if code == external.NO_KEY:
		return _("An Idempotency-Key header (or idempotency_key field) is required")
	if code == external.BAD_KEY:
		return _("The Idempotency-Key must be 1 to 140 printable characters without spaces, got {0}").format(
			shown
		)
	return where


def plain_message(message: str) -> str:
	"""A message as JSON carries it: no markup, no HTML entities (a JSON client shows it as text)."""
	return html.unescape(strip_html(message or "")).strip()


def error_row(message: str, problem: Problem | None = None) -> dict:
	return {
		"row": problem.row if problem else None,
		"field": problem.field if problem else None,
		"message": plain_message(message),
	}


def throw_problems(problems: list[Problem], exc=IntakeRequestError) -> None:
	rows = [error_row(problem_message(problem), problem) for problem in problems]
	frappe.local.response["errors"] = rows
	frappe.throw("<br>".join(row["message"] for row in rows), exc, title=_("Order Not Accepted"))


def locate(message: str, lines: int) -> tuple[int | None, str | None]:
	"""The row and field an intake message names ("Row 2: Quantity must be ...")."""
	text = strip_html(message or "")
	row = None
	for idx in range(lines, 0, -1):
		prefix = _("Row {0}").format(idx)
		if text.startswith(prefix) and not text[len(prefix) : len(prefix) + 1].isdigit():
			row = idx
			text = text[len(prefix) :]
			break
	meta = frappe.get_meta("Customer Order Item" if row else ORDER)
	lowered = text.lower()
	for doctype in ("Customer Order Item", ORDER):  # "Value missing for Customer Order: …" names no field
		for name in {_(doctype).lower(), doctype.lower()}:
			lowered = lowered.replace(name, " " * len(name))
	found = []  # (position, -length, fieldname): the label named first, the longest at one place
	for df in meta.fields:
		if not df.label or df.fieldtype in NO_VALUE:
			continue
		for label in {_(df.label).lower(), df.label.lower(), df.fieldname.lower()}:
			position = lowered.find(label)
			if position >= 0:
				found.append((position, -len(label), df.fieldname))
	if found:
		return row, min(found)[2]
	return row, None


NO_VALUE = ("Section Break", "Column Break", "Tab Break", "HTML", "Button")


def errors_of(error: Exception, seen: int, lines: int) -> list[dict]:
	"""The refusal as {row, field, message} per problem: as the check that refused it located it (this
	module's own checks, orders/intake.py's `throw_at`: `error.located`); else (Frappe's and ERPNext's
	own messages: mandatory fields, select options, links) the messages logged since `seen`, each
	located by the row and field label it names."""
	preset = frappe.local.response.get("errors")
	if preset:
		return preset
	located = getattr(error, "located", None)
	if located:
		return [
			{"row": problem["row"], "field": problem["field"], "message": plain_message(problem["message"])}
			for problem in located
		]
	messages = []
	for entry in (frappe.local.message_log or [])[seen:]:
		entry = frappe.parse_json(entry) if isinstance(entry, str) else entry
		message = entry.get("message") if isinstance(entry, dict) else entry
		if message:
			messages.extend(part for part in str(message).split("<br>") if part.strip())
	if not messages:
		messages = [str(error) or type(error).__name__]
	rows = []
	for message in messages:
		row, fieldname = locate(message, lines)
		rows.append({"row": row, "field": fieldname, "message": plain_message(message)})
	return rows


def status_of(error: Exception) -> int:
	if isinstance(error, frappe.PermissionError):
		return external.FORBIDDEN
	if isinstance(error, IntakeConflictError | DatabaseBusyError | frappe.DuplicateEntryError):
		return external.CONFLICT
	if isinstance(error, IntakeRequestError | intake.InvalidInputError):
		return external.BAD_REQUEST
	return external.UNPROCESSABLE


# --- references: customer and items -----------------------------------------------------------------


def resolve_customer(body: dict) -> str:
	"""The customer the request names (by name or External Customer ID), which the caller may read."""
	name, external_id = body.get("customer"), body.get("customer_external_id")
	by_id = None
	if isinstance(external_id, str) and external_id.strip():
		by_id = frappe.db.get_value("Customer", {EXTERNAL_ID_FIELD: external_id.strip()}, "name")
		if not by_id:
			throw_problems_message(
				_("No customer has External Customer ID {0}").format(frappe.bold(escape_html(external_id))),
				"customer_external_id",
			)
		if name and name != by_id:
			throw_problems_message(
				_("Customer {0} does not have External Customer ID {1}").format(
					frappe.bold(escape_html(name)), frappe.bold(escape_html(external_id))
				),
				"customer_external_id",
			)
	customer = by_id or name
	if not frappe.db.exists("Customer", customer):
		throw_problems_message(
			_("Customer {0} does not exist").format(frappe.bold(escape_html(customer))), "customer"
		)
	if not frappe.has_permission("Customer", "read", doc=customer):
		frappe.local.response["errors"] = [
			{
				"row": None,
				"field": "customer",
				"message": _("You may not place orders for customer {0}").format(customer),
			}
		]
		frappe.throw(
			_("You may not place orders for customer {0}").format(frappe.bold(customer)),
			frappe.PermissionError,
			title=_("Not Permitted"),
		)
	return customer


def throw_problems_message(message: str, fieldname: str, row: int | None = None) -> None:
	frappe.local.response["errors"] = [{"row": row, "field": fieldname, "message": plain_message(message)}]
	frappe.throw(message, IntakeLookupError, title=_("Order Not Accepted"))


def items_of_barcodes(barcodes: list[str]) -> dict[str, frappe._dict]:
	if not barcodes:
		return {}
	barcode = DocType("Item Barcode")
	rows = (
		frappe.qb.from_(barcode)
		.select(barcode.barcode, barcode.parent.as_("item_code"), barcode.uom)
		.where((barcode.barcode.isin(barcodes)) & (barcode.parenttype == "Item"))
		.run(as_dict=True)
	)
	return {row.barcode: row for row in rows}


def resolve_lines(body: dict, barcodes: dict[str, frappe._dict] | None = None) -> list[dict]:
	"""The request's lines as Customer Order Item fields: an item given by barcode gets its item code
	(and the barcode's UOM when the line names none); a barcode and item code that disagree are refused.
	`barcodes`: the barcodes already read (the import reads a file's at once), else they are read here."""
	lines = body["items"]
	found = barcodes
	if found is None:
		found = items_of_barcodes([line["barcode"] for line in lines if isinstance(line.get("barcode"), str)])
	resolved = []
	for row, line in enumerate(lines, start=1):
		fields = {key: value for key, value in line.items() if key != "barcode"}
		code = line.get("barcode")
		if isinstance(code, str) and code.strip():
			match = found.get(code)
			if not match:
				throw_problems_message(
					_("Row {0}: no item has Barcode {1}").format(row, frappe.bold(escape_html(code))),
					"barcode",
					row,
				)
			if fields.get("item_code") and fields["item_code"] != match.item_code:
				throw_problems_message(
					_("Row {0}: Barcode {1} is item {2}, not {3}").format(
						row,
						frappe.bold(escape_html(code)),
						frappe.bold(match.item_code),
						frappe.bold(escape_html(fields["item_code"])),
					),
					"barcode",
					row,
				)
			fields["item_code"] = match.item_code
			if match.uom and not fields.get("uom"):
				fields["uom"] = match.uom
		resolved.append(fields)
	return resolved


def order_dict(
	body: dict, channel: str, customer: str | None = None, barcodes: dict[str, frappe._dict] | None = None
) -> dict:
	"""The Customer Order of a checked request (`customer`, `barcodes`: already resolved by the caller)."""
	fields = external.order_fields(body)
	fields["customer"] = customer or resolve_customer(body)
	fields["items"] = resolve_lines(body, barcodes)
	return {"doctype": ORDER, **fields, "channel": channel}


# --- idempotency -------------------------------------------------------------------------------------


def claim(source: str, scope: str, reference: str, digest: str, **extra) -> frappe._dict | None:
	"""Claim the reference for this request; None when it is new (its row is now inserted and locked
	by this transaction), else the stored claim (read after any concurrent request holding it
	committed: the insert waits for it)."""
	name = external.key_name(source, scope, reference)
	savepoint = f"intake_key_{name[:12]}"
	frappe.db.savepoint(savepoint)
	try:
		key = frappe.get_doc(
			{
				"doctype": KEY_DOCTYPE,
				"source": source,
				"scope": scope,
				"reference": reference,
				"request_hash": digest,
				**extra,
			}
		)
		with server_owned.writing(key):
			key.insert(ignore_permissions=True, set_name=name)
		return None
	except frappe.DuplicateEntryError:
		frappe.db.rollback(save_point=savepoint)
	except Exception as error:
		frappe.db.rollback(save_point=savepoint)
		if is_busy(error) or frappe.db.is_timedout(error):
			frappe.throw(
				_(
					"An earlier request with the same reference {0} is still being processed; try again"
				).format(escape_html(reference)),
				DatabaseBusyError,
				title=_("Request In Progress"),
			)
		raise
	# A shared locking read: it sees the committed row (a plain read would see this transaction's older
	# snapshot), and concurrent retries that all hit the duplicate key hold shared locks on it already —
	# FOR UPDATE would make them deadlock with each other.
	rows = frappe.db.sql(
		"""select name, request_hash, customer_order from `tabOrder Intake Key`
		where name = %s lock in share mode""",
		name,
		as_dict=True,
	)
	return rows[0] if rows else None


def record(source: str, scope: str, reference: str, order: str) -> None:
	frappe.db.set_value(
		KEY_DOCTYPE,
		external.key_name(source, scope, reference),
		"customer_order",
		order,
		update_modified=False,
	)


def place(
	body: dict,
	*,
	source: str,
	scope: str,
	reference: str,
	channel: str,
	customer: str | None = None,
	barcodes: dict[str, frappe._dict] | None = None,
	**extra,
) -> tuple[str, bool]:
	"""Create and submit the order the request describes, once per reference. (order name, replayed).
	`customer`, `barcodes`: resolved already by the caller (the import, once per file)."""
	digest = external.request_hash(body)
	existing = claim(source, scope, reference, digest, **extra)
	if existing:
		if existing.request_hash != digest:
			frappe.local.response["errors"] = [
				{
					"row": None,
					"field": "idempotency_key" if source == API else "external_reference",
					"message": conflict_message(source, reference, existing.customer_order),
				}
			]
			frappe.throw(
				conflict_message(source, reference, existing.customer_order),
				IntakeConflictError,
				title=_("Conflict"),
			)
		return existing.customer_order, True
	order = frappe.get_doc(order_dict(body, channel, customer, barcodes))
	if all(line.get("warehouse") for line in order.items):
		# One save instead of a draft's and a submit's: validated, priced and reviewed once. Only when
		# every line names its warehouse: the order's Bins are locked first (CustomerOrder.check_if_latest,
		# before anything else), which needs them before pricing fills a default warehouse in.
		server_owned.insert_submitted(order)
		order.insert()
	else:
		order.insert()
		order.submit()
	record(source, scope, reference, order.name)
	return order.name, False


def conflict_message(source: str, reference: str, order: str | None) -> str:
	if source == API:
		return _(
			"Idempotency-Key {0} was already used for a different order ({1}); send a new key for a new order, or the same body to get that order back"
		).format(escape_html(reference), order or "")
	return _("External reference {0} was already imported as order {1} with different lines").format(
		escape_html(reference), order or ""
	)


# --- read-back ---------------------------------------------------------------------------------------


def summary(name: str) -> dict:
	"""What the caller is told about an order it placed (and what the status read-back adds to)."""
	order = frappe.db.get_value(
		ORDER,
		name,
		[
			"name",
			"customer",
			"status",
			"workflow_state",
			"review_decision",
			"current_review_stage",
			"docstatus",
			"currency",
			"net_total",
			"total_taxes_and_charges",
			"grand_total",
			"customer_po",
			"order_date",
			"delivery_date",
			"sales_order",
		],
		as_dict=True,
	)
	lines = frappe.get_all(
		"Customer Order Item",
		filters={"parenttype": ORDER, "parent": name},
		fields=["idx", "item_code", "qty", "uom", "rate", "discount_percentage", "amount", "warehouse"],
		order_by="idx",
	)
	return {
		"order": order.name,
		"customer": order.customer,
		"status": order.status,
		"review_state": order.workflow_state,
		"review_decision": order.review_decision or None,
		"waiting_for_stage": order.current_review_stage or None,
		"currency": order.currency,
		"net_total": flt(order.net_total),
		"total_taxes_and_charges": flt(order.total_taxes_and_charges),
		"grand_total": flt(order.grand_total),
		"customer_po": order.customer_po,
		"order_date": str(order.order_date) if order.order_date else None,
		"delivery_date": str(order.delivery_date) if order.delivery_date else None,
		"sales_order": order.sales_order,
		"lines": [
			{
				"row": line.idx,
				"item_code": line.item_code,
				"qty": flt(line.qty),
				"uom": line.uom,
				"rate": flt(line.rate),
				"discount_percentage": flt(line.discount_percentage),
				"amount": flt(line.amount),
				"warehouse": line.warehouse,
			}
			for line in lines
		],
	}


def invoices_of(sales_order: str | None) -> list[dict]:
	if not sales_order:
		return []
	invoice, item = DocType("Sales Invoice"), DocType("Sales Invoice Item")
	rows = (
		frappe.qb.from_(invoice)
		.join(item)
		.on(item.parent == invoice.name)
		.select(
			invoice.name,
			invoice.posting_date,
			invoice.due_date,
			invoice.status,
			invoice.is_return,
			invoice.currency,
			invoice.grand_total,
			invoice.outstanding_amount,
		)
		.distinct()
		.where((item.sales_order == sales_order) & (invoice.docstatus == 1))
		.orderby(invoice.posting_date)
		.run(as_dict=True)
	)
	return [
		{
			"invoice": row.name,
			"posting_date": str(row.posting_date),
			"due_date": str(row.due_date) if row.due_date else None,
			"status": row.status,
			"is_return": bool(row.is_return),
			"currency": row.currency,
			"grand_total": flt(row.grand_total),
			"outstanding_amount": flt(row.outstanding_amount),
		}
		for row in rows
	]
