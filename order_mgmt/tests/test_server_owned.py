"""Server-owned fields (order_mgmt.server_owned): what a client sends for the fields only the app
writes is discarded on every insert, save, submit and update after submit; child rows belong to
their document; new documents start as drafts. Everything is sent as the desk API would send it
(frappe.client, frappe.desk.form.save.savedocs), as the user who sends it."""

import json

import frappe
import frappe.client
from frappe.desk.form.save import savedocs
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, now_datetime, nowdate

from order_mgmt.review.workflow import RouteChangedError
from order_mgmt.server_owned import NotADraftError, ServerOwnedError
from order_mgmt.tests.test_return_request import decide as decide_return
from order_mgmt.tests.test_return_request import delivered_order, make_request, stock_user
from order_mgmt.tests.test_review import act
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	count,
	make_customer,
	make_item,
	make_order,
	manager,
	order_doc,
	reviewer,
	role_user,
	warehouse,
)

FORGED_ORDER_FIELDS = {
	"status": "Completed",
	"review_decision": "Approved",
	"reviewed_by": "Administrator",
	"reviewed_on": "2026-01-01 10:00:00",
	"review_comment": "approved by me",
	"paid_amount": 999,
	"outstanding_amount": 0,
	"payment_status": "Paid",
	"per_delivered": 100,
	"per_billed": 100,
	"has_shortage": 1,
	"cancellation_reason": "forged",
	"cancellation_requested": 1,
	"advance_settlement": "Refund",
	"advance_at_cancellation": 500,
}
EMPTY_ORDER_FIELDS = {
	"status": "Draft",
	"review_decision": None,
	"reviewed_by": None,
	"reviewed_on": None,
	"review_comment": None,
	"paid_amount": 0,
	"outstanding_amount": 0,
	"payment_status": None,
	"per_delivered": 0,
	"per_billed": 0,
	"has_shortage": 0,
	"cancellation_reason": None,
	"cancellation_requested": 0,
	"advance_settlement": None,
	"advance_at_cancellation": 0,
}
LINE_FIELDS = (
	"sales_order_item",
	"shortage_qty",
	"shortage_action",
	"substitute_item",
	"shortage_decided_by",
	"expected_date",
)


def second_clerk() -> str:
	return role_user("clerk-2", ["Order Clerk", "Sales User", "Stock User"])


def order_payload(customer: str, lines: list[dict], **fields) -> dict:
	"""A new Customer Order as a client sends it to frappe.client.insert."""
	payload = order_doc(customer, lines).as_dict(no_default_fields=True, convert_dates_to_str=True)
	payload.update({"doctype": "Customer Order", **fields})
	return payload


def stored(doctype: str, name: str, fields) -> dict:
	return frappe.db.get_value(doctype, name, list(fields), as_dict=True)


def stored_order(name: str) -> dict:
	values = stored("Customer Order", name, EMPTY_ORDER_FIELDS)
	return {field: values[field] or EMPTY_ORDER_FIELDS[field] for field in EMPTY_ORDER_FIELDS}


def approved_return_request():
	delivery = delivered_order(qty=2, rate=100)
	request = make_request(delivery, [{"qty": 1}], submit=True)
	decide_return(reviewer("Sales"), request, "Approve")
	return delivery, request


def forged_line(substitute: str) -> dict:
	return {
		"sales_order_item": "forged-so-line",
		"shortage_qty": 3,
		"shortage_action": "Ship Partially",
		"substitute_item": substitute,
		"shortage_decided_by": "Administrator",
		"expected_date": nowdate(),
	}


class TestCustomerOrderOwnedFields(FrappeTestCase):
	def test_a_forged_sales_order_is_discarded_and_the_approved_order_gets_its_own(self):
		other = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}], submit=True)
		self.assertTrue(other.sales_order)
		customer = make_customer(credit_limit=100)  # over the limit: Finance reviews it
		payload = order_payload(customer, [{"item_code": make_item(rate=200), "qty": 1}])
		with acting_as(clerk()):
			saved = frappe.client.insert({**payload, "sales_order": other.sales_order})
			self.assertFalse(frappe.db.get_value("Customer Order", saved["name"], "sales_order"))
			frappe.client.submit({**saved, "sales_order": other.sales_order})
		order = frappe.get_doc("Customer Order", saved["name"])
		self.assertEqual((order.workflow_state, order.sales_order), ("Pending Finance Review", None))

		act(reviewer("Finance"), order, "Approve")
		self.assertEqual(order.workflow_state, "Approved")
		self.assertTrue(order.sales_order)
		self.assertNotEqual(order.sales_order, other.sales_order)
		self.assertEqual(frappe.db.get_value("Sales Order", order.sales_order, "customer_order"), order.name)
		self.assertEqual(frappe.db.get_value("Customer Order", other.name, "sales_order"), other.sales_order)

	def test_a_sales_order_naming_an_order_under_review_does_not_become_its_sales_order(self):
		item = make_item(rate=100)
		order = make_order(
			make_customer(), [{"item_code": item, "qty": 1, "discount_percentage": 12}], submit=True
		)
		self.assertEqual(order.workflow_state, "Pending Sales Review")
		delivery_date = add_days(nowdate(), 5)
		with acting_as(clerk()):  # a Sales User makes a Sales Order of their own that names the order
			forged = frappe.get_doc(
				{
					"doctype": "Sales Order",
					"customer": order.customer,
					"company": order.company,
					"transaction_date": nowdate(),
					"delivery_date": delivery_date,
					"customer_order": order.name,
					"items": [
						{
							"item_code": item,
							"qty": 1,
							"rate": 100,
							"warehouse": warehouse(),
							"delivery_date": delivery_date,
						}
					],
				}
			).insert()
			forged.submit()
		self.assertFalse(frappe.db.get_value("Customer Order", order.name, "sales_order"))
		act(reviewer("Sales"), order, "Approve")
		self.assertEqual(order.workflow_state, "Approved")
		self.assertTrue(order.sales_order)
		self.assertNotEqual(order.sales_order, forged.name)

	def test_review_payment_and_line_fields_sent_with_a_new_order_are_not_stored(self):
		substitute = make_item()
		for channel in ("frappe.client.insert", "savedocs"):
			customer = make_customer()
			payload = order_payload(
				customer,
				[{"item_code": make_item(), "qty": 2, **forged_line(substitute)}],
				**FORGED_ORDER_FIELDS,
			)
			with acting_as(clerk()):
				if channel == "savedocs":
					payload.update({"__islocal": 1, "name": "new-customer-order-1"})
					payload["items"][0].update({"__islocal": 1, "name": "new-customer-order-item-1"})
					savedocs(json.dumps(payload, default=str), "Save")
				else:
					frappe.client.insert(payload)
			name = frappe.db.get_value("Customer Order", {"customer": customer}, "name")
			self.assertEqual(stored_order(name), EMPTY_ORDER_FIELDS, channel)
			line = stored("Customer Order Item", {"parent": name}, LINE_FIELDS)
			self.assertEqual(
				{field: line[field] or None for field in LINE_FIELDS}, dict.fromkeys(LINE_FIELDS), channel
			)

	def test_fields_sent_with_an_update_after_submit_are_not_stored(self):
		order = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}], submit=True)
		self.assertEqual(order.status, "To Deliver")
		line_before = stored("Customer Order Item", order.items[0].name, LINE_FIELDS)
		substitute = make_item()
		with acting_as(clerk()):
			doc = frappe.client.get("Customer Order", order.name)
			doc.update({**FORGED_ORDER_FIELDS, "status": "Completed", "sales_order": None})
			doc["items"][0].update(forged_line(substitute))
			frappe.client.save(doc)
		after = stored("Customer Order", order.name, [*FORGED_ORDER_FIELDS, "sales_order"])
		self.assertEqual(after.sales_order, order.sales_order)
		self.assertEqual(
			(after.status, after.per_delivered, after.paid_amount, after.cancellation_reason),
			("To Deliver", 0, 0, None),
		)
		self.assertEqual((after.review_decision, after.reviewed_by), ("Auto-approved", None))
		self.assertEqual(stored("Customer Order Item", order.items[0].name, LINE_FIELDS), line_before)

	def test_a_workflow_state_forged_in_a_save_is_not_stored_and_the_reason_comes_from_the_cancel(self):
		item = make_item(rate=100)
		order = make_order(
			make_customer(), [{"item_code": item, "qty": 1, "discount_percentage": 12}], submit=True
		)
		self.assertEqual(order.workflow_state, "Pending Sales Review")
		act(reviewer("Sales"), order, "Return for Changes", "wrong price")
		self.assertEqual(order.workflow_state, "Returned for Changes")
		with acting_as(clerk()):
			doc = frappe.client.get("Customer Order", order.name)
			# The clerk may cancel a returned order, but not by writing the state on a submitted order.
			doc.update({"workflow_state": "Cancelled", "cancellation_reason": "forged"})
			frappe.client.save(doc)
		self.assertEqual(
			stored("Customer Order", order.name, ["docstatus", "workflow_state", "cancellation_reason"]),
			{"docstatus": 1, "workflow_state": "Returned for Changes", "cancellation_reason": None},
		)
		act(clerk(), order, "Cancel", "customer changed their mind")
		self.assertEqual(
			(order.docstatus, order.workflow_state, order.cancellation_reason),
			(2, "Cancelled", "customer changed their mind"),
		)

	def test_a_draft_carrying_the_row_name_of_another_clerks_order_does_not_move_that_row(self):
		victim = make_order(make_customer(), [{"item_code": make_item(), "qty": 4}], submit=True)
		victim_row = victim.items[0].name
		draft = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}], as_user=second_clerk())
		with acting_as(second_clerk()):
			doc = frappe.client.get("Customer Order", draft.name)
			doc["items"][0]["name"] = victim_row
			frappe.client.save(doc)
		self.assertEqual(
			stored("Customer Order Item", victim_row, ["parent", "item_code", "qty"]),
			{"parent": victim.name, "item_code": victim.items[0].item_code, "qty": 4},
		)
		rows = frappe.get_all("Customer Order Item", filters={"parent": draft.name}, pluck="name")
		self.assertEqual(len(rows), 1)
		self.assertNotEqual(rows[0], victim_row)

		# On a submitted order of their own the row is refused outright.
		own = make_order(
			make_customer(), [{"item_code": make_item(), "qty": 1}], submit=True, as_user=second_clerk()
		)
		with acting_as(second_clerk()):
			doc = frappe.client.get("Customer Order", own.name)
			doc["items"][0]["name"] = victim_row
			with self.assertRaises(ServerOwnedError):
				frappe.client.save(doc)
		self.assertEqual(frappe.db.get_value("Customer Order Item", victim_row, "parent"), victim.name)

	def test_lines_changed_in_the_submit_call_are_reviewed_as_submitted(self):
		payload = order_payload(make_customer(), [{"item_code": make_item(rate=100), "qty": 1}])
		with acting_as(clerk()):
			saved = frappe.client.insert(payload)
			self.assertFalse(saved["review_route"])  # a clean draft: no review needed as saved
			saved["items"][0]["discount_percentage"] = 12  # a discount Sales reviews, sent with the submit
			with self.assertRaises(RouteChangedError):
				frappe.client.submit(saved)
		self.assertEqual(
			stored("Customer Order", saved["name"], ["docstatus", "sales_order"]),
			{"docstatus": 0, "sales_order": None},
		)
		self.assertEqual(count("Sales Order", customer_order=saved["name"]), 0)

	def test_a_line_saved_on_its_own_is_refused(self):
		order = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}], submit=True)
		row = order.items[0].name
		sales_order_item = order.items[0].sales_order_item
		with acting_as(clerk()):  # what PUT /api/resource/Customer Order Item/<row> does
			line = frappe.get_doc("Customer Order Item", row)
			line.update({"sales_order_item": "forged", "shortage_action": "Cancel Line"})
			with self.assertRaises(frappe.ValidationError):
				line.save()
		self.assertEqual(
			stored("Customer Order Item", row, ["sales_order_item", "shortage_action"]),
			{"sales_order_item": sales_order_item, "shortage_action": None},
		)

	def test_a_new_order_is_inserted_as_a_draft(self):
		customer = make_customer()
		payload = order_payload(customer, [{"item_code": make_item(), "qty": 1}])
		with acting_as(clerk()):
			for docstatus in (1, 2):
				with self.assertRaises(NotADraftError):
					frappe.client.insert({**payload, "docstatus": docstatus})
			with self.assertRaises(NotADraftError) as refused:
				frappe.client.insert({**payload, "docstatus": 7})
		self.assertIn("draft", str(refused.exception))
		self.assertEqual(count("Customer Order", customer=customer), 0)

		draft = make_order(customer, [{"item_code": make_item(), "qty": 1}])
		with acting_as(clerk()):
			doc = frappe.client.get("Customer Order", draft.name)
			with self.assertRaises(ServerOwnedError) as refused:
				frappe.client.save({**doc, "docstatus": 7})
		self.assertIn("docstatus must be 0", str(refused.exception))
		self.assertEqual(frappe.db.get_value("Customer Order", draft.name, "docstatus"), 0)


class TestReturnRequestOwnedFields(FrappeTestCase):
	def test_review_rows_sent_by_the_clerk_do_not_count_as_approvals(self):
		delivery = delivered_order(qty=2, rate=600)  # 1,200: a refund that needs two approvals
		approver = manager()
		forged = [{"reviewer": approver, "decision": "Approved", "decided_on": str(now_datetime())}]
		payload = {
			"doctype": "Return Request",
			"customer": delivery.customer,
			"customer_order": delivery.order.name,
			"resolution_type": "Refund",
			"items": [
				{"item_code": delivery.item, "qty": 2, "reason": "No Longer Needed", "condition": "Unopened"}
			],
			"reviews": forged,
		}
		with acting_as(clerk()):
			saved = frappe.client.insert(payload)
			frappe.client.submit({**saved, "reviews": forged})
			doc = frappe.client.get("Return Request", saved["name"])
			doc["reviews"] = forged
			frappe.client.save(doc)
			with self.assertRaises(ServerOwnedError):  # what POST /api/resource/Return Request Review does
				frappe.new_doc(
					"Return Request Review",
					parent=saved["name"],
					parenttype="Return Request",
					parentfield="reviews",
					reviewer=approver,
					decision="Approved",
				).insert()
		request = frappe.get_doc("Return Request", saved["name"])
		self.assertEqual((request.docstatus, request.reviews), (1, []))

		first = decide_return(reviewer("Sales"), request, "Approve")
		self.assertEqual((first["workflow_state"], first["approvals"]), ("Under Review", 1))

	def test_a_client_sent_return_delivery_note_does_not_receive_the_goods(self):
		delivery, request = approved_return_request()
		with acting_as(clerk()):
			doc = frappe.client.get("Return Request", request.name)
			doc["return_delivery_note"] = delivery.delivery_note
			frappe.client.save(doc)
		self.assertFalse(frappe.db.get_value("Return Request", request.name, "return_delivery_note"))

		with acting_as(stock_user()):  # the Receive Goods step, sent with a forged receipt
			doc = frappe.client.get("Return Request", request.name)
			doc.update({"workflow_state": "Goods Received", "return_delivery_note": delivery.delivery_note})
			frappe.client.save(doc)
		request.reload()
		self.assertEqual(request.status, "Goods Received")
		self.assertNotEqual(request.return_delivery_note, delivery.delivery_note)
		note = stored(
			"Delivery Note", request.return_delivery_note, ["is_return", "return_against", "docstatus"]
		)
		self.assertEqual(note, {"is_return": 1, "return_against": delivery.delivery_note, "docstatus": 1})


class TestOrderReviewOwned(FrappeTestCase):
	def test_order_reviews_are_written_only_by_the_review_workflow(self):
		order = make_order(
			make_customer(),
			[{"item_code": make_item(rate=100), "qty": 1, "discount_percentage": 12}],
			submit=True,
		)
		pending = frappe.db.get_value("Order Review", {"customer_order": order.name}, "name")
		with self.assertRaises(ServerOwnedError):  # Administrator passes every permission check
			frappe.client.insert(
				{
					"doctype": "Order Review",
					"customer_order": order.name,
					"stage": "Sales",
					"decision": "Approved",
					"reviewer": reviewer("Sales"),
				}
			)
		doc = frappe.client.get("Order Review", pending)
		doc.update({"decision": "Approved", "reviewer": reviewer("Sales")})
		with self.assertRaises(ServerOwnedError):
			frappe.client.save(doc)
		self.assertEqual(frappe.db.get_value("Order Review", pending, "decision"), "Pending")
		self.assertEqual(count("Order Review", customer_order=order.name), 1)


class TestDeclarations(FrappeTestCase):
	def test_every_declared_field_exists(self):
		from order_mgmt.server_owned import declared_fields

		for doctype, fields in declared_fields().items():
			self.assertTrue(fields, doctype)
			meta = frappe.get_meta(doctype)
			for field in fields:
				self.assertTrue(meta.has_field(field), f"{doctype}.{field}")
