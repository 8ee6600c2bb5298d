"""The REST intake (order_mgmt/api): real HTTP requests through Frappe's WSGI app with API key/secret
token auth (Frappe's own API test client), idempotency under retries and concurrency, the status
read-back, and the hostile-input corpus (test_hostile_input.CASES) sent through the intake too.

HTTP requests run in their own thread and connection: the data they need is committed first, and what
they create is committed by the request, as in production (every name is unique per run)."""

from __future__ import annotations

import json

import frappe
from frappe.tests.test_api import FrappeAPITestCase
from frappe.utils import add_days, nowdate

from order_mgmt import api
from order_mgmt.accounting.invoicing import create_sales_invoice
from order_mgmt.orders import external
from order_mgmt.orders.external_intake import KEY_DOCTYPE
from order_mgmt.tests import test_hostile_input as hostile
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	company,
	count,
	make_customer,
	make_item,
	manager,
	role_user,
	run_concurrently,
	unique,
	warehouse,
)

METHOD = "order_mgmt.api.create_order"
STATUS = "order_mgmt.api.get_order_status"
API_USER_ROLES = ["Order Clerk", "Sales User"]


def with_api_keys(user: str) -> str:
	"""The user's `token` credentials (api_key:api_secret), made on first use."""
	doc = frappe.get_doc("User", user)
	if not doc.api_key:
		doc.api_key = frappe.generate_hash(length=15)
		doc.api_secret = frappe.generate_hash(length=15)
		doc.save(ignore_permissions=True)
	return f"{doc.api_key}:{doc.get_password('api_secret')}"


def add_barcode(item_code: str) -> str:
	barcode = str(int(frappe.generate_hash(length=10), 16))[:12]
	item = frappe.get_doc("Item", item_code)
	item.append("barcodes", {"barcode": barcode})
	item.save()
	return barcode


def make_external_customer() -> tuple[str, str]:
	external_id = unique("EXT")
	customer = make_customer()
	frappe.db.set_value("Customer", customer, "external_customer_id", external_id)
	return customer, external_id


def call_intake(body: dict, key: str | None, user: str) -> tuple[int, dict]:
	"""The endpoint in-process, as the user: (HTTP status, body) as Frappe would answer."""
	frappe.local.message_log = []
	frappe.local.response.pop("errors", None)
	payload = dict(body)
	if key is not None:
		payload["idempotency_key"] = key
	with acting_as(user):
		try:
			result = api.create_order(**payload)
		except Exception as error:
			status = getattr(error, "http_status_code", 500)
			return status, {
				"errors": frappe.local.response.get("errors") or [],
				"text": hostile.messages_of(error),
				"exc_type": type(error).__name__,
			}
	return frappe.local.response.get("http_status_code"), result


def saved_by(user: str) -> tuple[int, int, int]:
	"""Orders, order lines and intake keys the user's requests left (other work on the site aside)."""
	return (
		frappe.db.count("Customer Order", {"owner": user}),
		frappe.db.count("Customer Order Item", {"owner": user}),
		frappe.db.count(KEY_DOCTYPE, {"scope": user}),
	)


class TestRestIntake(FrappeAPITestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.item = make_item(rate=100, stock_qty=500, max_discount=10)
		cls.barcode = add_barcode(cls.item)
		cls.other_item = make_item(rate=40, stock_qty=500)
		cls.customer, cls.external_id = make_external_customer()
		cls.other_customer = make_customer()
		cls.user = role_user("api-client", API_USER_ROLES)
		cls.token = with_api_keys(cls.user)
		cls.restricted = role_user("api-restricted", API_USER_ROLES)
		cls.restricted_token = with_api_keys(cls.restricted)
		if not frappe.db.exists(
			"User Permission", {"user": cls.restricted, "allow": "Customer", "for_value": cls.customer}
		):
			frappe.get_doc(
				{
					"doctype": "User Permission",
					"user": cls.restricted,
					"allow": "Customer",
					"for_value": cls.customer,
				}
			).insert(ignore_permissions=True)
		frappe.db.commit()

	def body(self, **fields) -> dict:
		return {
			"customer_external_id": self.external_id,
			"company": company(),
			"order_date": nowdate(),
			"delivery_date": add_days(nowdate(), 5),
			"customer_po": unique("PO"),
			"items": [
				{"barcode": self.barcode, "qty": 2, "rate": 95},
				{"item_code": self.other_item, "qty": 1, "warehouse": warehouse()},
			],
			**fields,
		}

	def send(self, body, key: str | None = None, token: str | None = None, **headers):
		if key is not None:
			headers["Idempotency-Key"] = key
		token = self.token if token is None else token
		if token:
			headers["Authorization"] = f"token {token}"
		return self.post(self.method(METHOD), body, headers=headers)

	# --- creating orders over HTTP ----------------------------------------------------------------

	def test_an_order_by_external_customer_id_and_barcode_is_created_into_review_at_the_servers_prices(self):
		key = unique("key")
		response = self.send(self.body(), key)
		self.assertEqual(response.status_code, 201, response.json)
		order = response.json["message"]
		self.assertFalse(order["replayed"])
		frappe.db.rollback()  # a fresh snapshot: see what the request committed
		doc = frappe.get_doc("Customer Order", order["order"])
		self.assertEqual(doc.customer, self.customer)
		self.assertEqual(doc.channel, "API")
		self.assertEqual(doc.owner, self.user)
		self.assertEqual(doc.docstatus, 1)
		self.assertEqual(doc.items[0].item_code, self.item)
		self.assertEqual(doc.items[0].rate, 95)  # a rate within the maximum discount is kept, as on the form
		self.assertEqual(doc.items[1].rate, 40)  # the price list's
		self.assertEqual(order["grand_total"], doc.grand_total)
		self.assertEqual(order["review_state"], doc.workflow_state)
		self.assertEqual(
			frappe.db.get_value(KEY_DOCTYPE, external.key_name("API", self.user, key), "customer_order"),
			doc.name,
		)

	def test_the_same_key_and_body_answer_the_same_order_and_another_body_is_a_conflict(self):
		key, body = unique("key"), self.body()
		first = self.send(body, key)
		self.assertEqual(first.status_code, 201, first.json)
		again = self.send(body, key)
		self.assertEqual(again.status_code, 200, again.json)
		self.assertEqual(again.json["message"]["order"], first.json["message"]["order"])
		self.assertTrue(again.json["message"]["replayed"])

		changed = dict(body, items=[{"barcode": self.barcode, "qty": 3}])
		conflict = self.send(changed, key)
		self.assertEqual(conflict.status_code, 409, conflict.json)
		self.assertEqual(conflict.json["errors"][0]["field"], "idempotency_key")
		self.assertIn(first.json["message"]["order"], conflict.json["errors"][0]["message"])

		# the same order under a new key meets the duplicate guard of every channel
		duplicate = self.send(body, unique("key"))
		self.assertEqual(duplicate.status_code, 409, duplicate.json)
		self.assertIn(first.json["message"]["order"], duplicate.json["errors"][0]["message"])
		frappe.db.rollback()
		self.assertEqual(count("Customer Order", customer_po=body["customer_po"]), 1)

	def test_the_key_may_come_in_the_body_and_a_refused_request_does_not_use_it_up(self):
		key = unique("key")
		refused = self.send(self.body(idempotency_key=key, items=[{"item_code": "NO-SUCH-ITEM", "qty": 1}]))
		self.assertEqual(refused.status_code, 422, refused.json)
		accepted = self.send(self.body(idempotency_key=key))
		self.assertEqual(accepted.status_code, 201, accepted.json)

	def test_token_authentication(self):
		wrong = self.send(self.body(), unique("key"), token=self.token.split(":")[0] + ":wrong")
		self.assertEqual(wrong.status_code, 401)
		anonymous = self.send(self.body(), unique("key"), token="")
		self.assertEqual(anonymous.status_code, 403)
		frappe.db.rollback()
		self.assertEqual(count("Customer Order", owner="Guest"), 0)

	def test_a_request_that_is_not_an_order_is_400_naming_the_field(self):
		unknown = self.send(self.body(grand_total=1, status="Approved"), unique("key"))
		self.assertEqual(unknown.status_code, 400, unknown.json)
		self.assertEqual([e["field"] for e in unknown.json["errors"]], ["grand_total", "status"])
		self.assertIn("Grand Total (grand_total)", unknown.json["errors"][0]["message"])

		no_key = self.send(self.body())
		self.assertEqual(no_key.status_code, 400, no_key.json)
		self.assertEqual(no_key.json["errors"][0]["field"], "idempotency_key")

		wrong_type = self.send(self.body(items=[{"item_code": self.item, "qty": "many"}]), unique("key"))
		self.assertEqual(wrong_type.status_code, 400, wrong_type.json)
		self.assertEqual(wrong_type.json["errors"][0]["row"], 1)
		self.assertEqual(wrong_type.json["errors"][0]["field"], "qty")

	def test_an_order_that_breaks_a_rule_is_422_naming_row_and_field(self):
		below_floor = self.send(
			self.body(
				items=[
					{"item_code": self.other_item, "qty": 1},
					{"item_code": self.item, "qty": 1, "rate": 50},
				]
			),
			unique("key"),
		)
		self.assertEqual(below_floor.status_code, 422, below_floor.json)
		error = below_floor.json["errors"][0]
		self.assertEqual((error["row"], error["field"]), (2, "rate"))
		self.assertIn("maximum discount", error["message"])

		unknown_barcode = self.send(self.body(items=[{"barcode": "000000000", "qty": 1}]), unique("key"))
		self.assertEqual(unknown_barcode.status_code, 422, unknown_barcode.json)
		self.assertEqual(
			unknown_barcode.json["errors"][0],
			{"row": 1, "field": "barcode", "message": unknown_barcode.json["errors"][0]["message"]},
		)

		unknown_customer = self.send(self.body(customer_external_id="NO-SUCH-ID"), unique("key"))
		self.assertEqual(unknown_customer.status_code, 422, unknown_customer.json)
		self.assertEqual(unknown_customer.json["errors"][0]["field"], "customer_external_id")

	def test_a_customer_the_caller_may_not_read_is_403(self):
		response = self.send(
			self.body(customer_external_id=None, customer=self.other_customer),
			unique("key"),
			token=self.restricted_token,
		)
		self.assertEqual(response.status_code, 403, response.json)
		self.assertEqual(response.json["errors"][0]["field"], "customer")
		allowed = self.send(self.body(), unique("key"), token=self.restricted_token)
		self.assertEqual(allowed.status_code, 201, allowed.json)

	# --- concurrency ------------------------------------------------------------------------------

	def test_concurrent_retries_with_one_key_make_one_order(self):
		key, body = unique("key"), self.body()

		def place():
			return api.create_order(**dict(body, idempotency_key=key))

		results = run_concurrently([place, place, place], user=self.user)
		errors = [r for r in results if isinstance(r, Exception)]
		self.assertFalse(errors, [getattr(e, "traceback", e) for e in errors])
		self.assertEqual(len({r["order"] for r in results}), 1, results)
		self.assertEqual(sorted(r["replayed"] for r in results), [False, True, True])
		frappe.db.rollback()
		self.assertEqual(count("Customer Order", customer_po=body["customer_po"]), 1)

	# --- status read-back -------------------------------------------------------------------------

	def test_status_read_back_with_shipments_tracking_and_invoices_for_permitted_orders_only(self):
		from order_mgmt.tests.test_return_request import delivered_order

		delivery = delivered_order(qty=2, rate=100)
		frappe.db.set_value(
			"Delivery Note", delivery.delivery_note, {"transporter_name": None, "lr_no": "SF123"}
		)
		with acting_as(manager()):
			invoice = create_sales_invoice(delivery.order.name)
		clerk_token = with_api_keys(clerk())
		frappe.db.commit()

		response = self.get(
			self.method(STATUS),
			{"order": delivery.order.name},
			headers={"Authorization": f"token {clerk_token}"},
		)
		frappe.db.commit()
		self.assertEqual(response.status_code, 200, response.json)
		status = response.json["message"]
		self.assertEqual(status["order"], delivery.order.name)
		self.assertIn(status["status"], ("Completed", "Delivered", "To Deliver"))
		self.assertEqual(status["shipments"][0]["delivery_note"], delivery.delivery_note)
		self.assertEqual(status["shipments"][0]["tracking_number"], "SF123")
		self.assertEqual([row["invoice"] for row in status["invoices"]], [invoice])

		for name in (delivery.order.name, "CO-NO-SUCH"):
			refused = self.get(
				self.method(STATUS), {"order": name}, headers={"Authorization": f"token {self.token}"}
			)
			self.assertEqual(refused.status_code, 403, (name, refused.json))

	def test_status_by_idempotency_key(self):
		key = unique("key")
		created = self.send(self.body(), key)
		self.assertEqual(created.status_code, 201, created.json)
		frappe.db.rollback()  # a fresh snapshot: see what the request committed
		with acting_as(self.user):
			status = api.get_order_status(idempotency_key=key)
		self.assertEqual(status["order"], created.json["message"]["order"])
		self.assertEqual(status["shipments"], [])
		with acting_as(self.restricted), self.assertRaises(frappe.PermissionError):
			api.get_order_status(idempotency_key=key)

	# --- the hostile corpus through the intake ----------------------------------------------------

	def test_hostile_corpus_through_the_rest_intake(self):
		from order_mgmt.tests.test_hostile_input import make_fixtures

		customer = make_customer()
		delivery = frappe._dict(
			customer=customer,
			order=frappe._dict(currency=frappe.get_cached_value("Company", company(), "default_currency")),
		)
		hostile.FIXTURES.clear()
		hostile.FIXTURES.update(make_fixtures(delivery))
		hostile.FIXTURES.update({"@barcode": self.barcode, "@external_id": self.external_id})
		cases = [
			c for c in hostile.CASES if c.doctype == hostile.CO and c.path in (hostile.INSERT, hostile.SUBMIT)
		]
		cases += REST_CASES
		failures, outcomes = [], []
		for case in cases:
			with self.subTest(case=case.name):
				problem = self.run_rest_case(case, outcomes)
				if problem:
					failures.append(f"[{case.kind}] {case.name}: {problem}")
		print(
			f"\nHostile corpus through the REST intake: {len(cases)} cases, {len(cases) - len(failures)} passed"
		)
		for line in outcomes:
			print("  ", line)
		self.assertGreaterEqual(len(cases), 60)
		self.assertFalse(failures, "\n".join(failures))

	def run_rest_case(self, case, outcomes: list[str]) -> str | None:
		body = hostile.order_payload(case)
		body.pop("doctype")
		for line in body["items"] if isinstance(body.get("items"), list) else []:
			if isinstance(line, dict):
				line.pop("_key", None)
		if case.header.get("_body") is not None:
			body = {"data": hostile.resolve(case.header["_body"])}  # how Frappe passes a JSON list body
		before = saved_by(clerk())
		savepoint = unique("rest").replace("-", "_").lower()
		frappe.db.savepoint(savepoint)
		try:
			status, answer = call_intake(body, case.line.get("_key", unique("key")), clerk())
			if case.refused:
				frappe.db.rollback(save_point=savepoint)
				if status not in (400, 403, 409, 422):
					return f"status {status}, expected a refusal: {answer}"
				text = answer["text"] + " " + json.dumps(answer["errors"], ensure_ascii=False)
				missing = [part for part in case.names if part.lower() not in text.lower()]
				if missing:
					return f"message does not name {missing}: {status} {text}"
				if not answer["errors"] or not all(e.get("message") for e in answer["errors"]):
					return f"no JSON errors: {answer}"
				expected = hostile.location(case)
				named = [(e.get("row"), e.get("field")) for e in answer["errors"]]
				if expected not in named:
					return f"errors name {named}, not (row, field) {expected}: {answer['errors']}"
				if expected[1] and not all(field for _row, field in named):
					return f"an error names no field: {answer['errors']}"
				if saved_by(clerk()) != before:
					return "something was saved"
				outcomes.append(f"[{case.kind}] {case.name}: {status} {answer['errors'][0]}"[:200])
				return None
			if status != 201:
				return f"status {status}, expected the order stored harmlessly: {answer}"
			case.stored(frappe.get_doc(hostile.CO, answer["order"]).as_dict())
			outcomes.append(f"[{case.kind}] {case.name}: 201 stored harmlessly")
			return None
		except AssertionError as error:
			return f"stored harmfully: {error}"
		finally:
			frappe.db.rollback(save_point=savepoint)


Case = hostile.Case
REST_CASES = [
	Case(
		"rest",
		"unknown barcode",
		line={"item_code": hostile.DROP, "barcode": "0000000"},
		names=("Row 1", "Barcode"),
	),
	Case("rest", "barcode of another item", line={"barcode": "@barcode"}, names=("Row 1", "Barcode")),
	Case(
		"rest",
		"unknown external customer id",
		header={"customer": hostile.DROP, "customer_external_id": "NOPE"},
		names=("External Customer ID",),
	),
	Case(
		"rest",
		"external id of another customer",
		header={"customer_external_id": "@external_id"},
		names=("External Customer ID",),
	),
	Case(
		"rest",
		"no customer at all",
		header={"customer": hostile.DROP},
		names=("Customer",),
		at=(None, "customer"),
	),
	Case("rest", "line total sent", line={"amount": 1}, names=("Row 1", "amount")),
	Case("rest", "status sent", header={"status": "Approved"}, names=("Status",)),
	Case("rest", "workflow state sent", header={"workflow_state": "Approved"}, names=("workflow_state",)),
	Case("rest", "sales order sent", header={"sales_order": "SO-1"}, names=("Sales Order",)),
	Case("rest", "channel sent", header={"channel": "Desk"}, names=("Channel",)),
	Case("rest", "no key", line={"_key": None}, names=("Idempotency",), at=(None, "idempotency_key")),
	Case(
		"rest",
		"key with spaces",
		line={"_key": "a key"},
		names=("Idempotency",),
		at=(None, "idempotency_key"),
	),
	Case("rest", "body is a list", header={"_body": [1, 2]}, names=("JSON object",), at=(None, None)),
	Case("rest", "no lines", header={"items": []}, names=("at least one item",)),
	Case("rest", "quantity zero", line={"qty": 0}, names=("Row 1", "Quantity")),
	Case("rest", "negative quantity", line={"qty": -3}, names=("Row 1", "Quantity")),
	Case(
		"rest",
		"rate below the floor",
		line={"item_code": "@capped_item", "rate": 10},
		names=("Row 1", "Rate"),
		at=(1, "rate"),
	),
]


class TestScanToAdd(FrappeAPITestCase):
	"""Scan to add on the Customer Order form: the Scan Barcode field (a draft's, above the items) and
	the lookup ERPNext's BarcodeScanner makes with it (erpnext.stock.utils.scan_barcode)."""

	def test_the_form_has_a_barcode_field_and_erpnext_finds_the_item_of_a_barcode(self):
		from erpnext.stock.utils import scan_barcode

		field = frappe.get_meta("Customer Order").get_field("scan_barcode")
		self.assertEqual((field.fieldtype, field.options, field.no_copy), ("Data", "Barcode", 1))
		order_fields = [df.fieldname for df in frappe.get_meta("Customer Order").fields]
		self.assertEqual(order_fields.index("scan_barcode") + 1, order_fields.index("items"))

		item = make_item(rate=10, stock_qty=0, is_stock_item=0)
		barcode = add_barcode(item)
		found = scan_barcode(barcode)
		self.assertEqual(found["item_code"], item)
		self.assertEqual(scan_barcode("NO-SUCH-BARCODE"), {})

		script = frappe.get_app_path(
			"order_mgmt", "order_mgmt", "doctype", "customer_order", "customer_order.js"
		)
		with open(script) as handle:
			self.assertIn("new erpnext.utils.BarcodeScanner(", handle.read())
