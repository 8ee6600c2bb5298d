"""Return Requests: fixtures, eligibility against what was delivered, and the review workflow
(four-eyes, two approvals for large refunds, roles, concurrent reviewers)."""

import frappe
from frappe.model.workflow import WorkflowTransitionError, apply_workflow
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, nowdate

from order_mgmt.accounting.invoicing import create_sales_invoice
from order_mgmt.fulfilment.picking import create_pick_list, deliver_pick_list
from order_mgmt.returns.deliveries import get_returnable_lines
from order_mgmt.returns.review import AlreadyDecidedError, FourEyesError, ReturnReviewError, review_return
from order_mgmt.returns.validation import ReturnNotAllowedError
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	count,
	make_customer,
	make_item,
	make_order,
	manager,
	reviewer,
	role_user,
	run_concurrently,
)

REASONS = {
	# name: (restockable, requires_photo)
	"Damaged in Transit": (0, 1),
	"Defective": (0, 1),
	"Wrong Item": (1, 0),
	"Not as Described": (1, 0),
	"No Longer Needed": (1, 0),
	"Other": (0, 0),
}


def delivered_order(qty: float = 5, rate: float = 100, **item_fields) -> frappe._dict:
	"""An approved order for one item, picked and delivered in full (one submitted Delivery Note)."""
	item = make_item(rate=rate, stock_qty=qty + 10, **item_fields)
	order = make_order(make_customer(), [{"item_code": item, "qty": qty}], submit=True)
	notes = deliver_pick_list(create_pick_list([order.name])["pick_list"])
	note = notes[0]
	line = frappe.db.get_value("Delivery Note Item", {"parent": note, "item_code": item}, "name")
	return frappe._dict(item=item, order=order, customer=order.customer, delivery_note=note, line=line)


def request_doc(delivery: frappe._dict, lines: list[dict], resolution_type: str = "Refund", **fields):
	"""An unsaved Return Request; lines default to the delivered item, a reason and a condition."""
	return frappe.get_doc(
		{
			"doctype": "Return Request",
			"customer": delivery.customer,
			"customer_order": delivery.order.name,
			"resolution_type": resolution_type,
			"items": [
				{
					"item_code": delivery.item,
					"reason": "No Longer Needed",
					"condition": "Unopened",
					**line,
				}
				for line in lines
			],
			**fields,
		}
	)


def make_request(delivery, lines, submit: bool = False, as_user: str | None = None, **fields):
	with acting_as(as_user or clerk()):
		request = request_doc(delivery, lines, **fields)
		request.insert()
		if submit:
			request.submit()
		request.reload()
	return request


def return_delivery_note(delivery: frappe._dict, qty: float) -> str:
	"""ERPNext's own return (credit) Delivery Note against the delivery."""
	from erpnext.stock.doctype.delivery_note.delivery_note import make_sales_return

	note = make_sales_return(delivery.delivery_note)
	for line in note.items:
		line.qty = -qty
	note.insert()
	note.submit()
	return note.name


def decide(user: str, request, decision: str, comment: str | None = None) -> dict:
	with acting_as(user):
		result = review_return(request.name, decision, comment)
	request.reload()
	return result


def act(user: str, request, action: str):
	with acting_as(user):
		apply_workflow(frappe.get_doc("Return Request", request.name), action)
	request.reload()


def stock_user() -> str:
	return role_user("rr-stock", ["Stock User"])


def accounts_user() -> str:
	return role_user("rr-accounts", ["Accounts User"])


class TestReturnFixtures(FrappeTestCase):
	def test_reasons_workflow_settings_and_item_flag_are_installed(self):
		reasons = {
			r.name: (r.restockable, r.requires_photo)
			for r in frappe.get_all(
				"Return Reason", fields=["name", "restockable", "requires_photo", "enabled"]
			)
			if r.enabled
		}
		self.assertEqual({name: reasons.get(name) for name in REASONS}, REASONS)

		workflow = frappe.get_doc("Workflow", "Return Request Review")
		self.assertEqual((workflow.document_type, workflow.is_active), ("Return Request", 1))
		self.assertEqual(frappe.get_meta("Return Request").get_workflow(), "Return Request Review")
		states = {row.state: row.doc_status for row in workflow.states}
		for state in ("Submitted", "Under Review", "Approved", "Rejected", "Goods Received"):
			self.assertEqual(states[state], "1")
		for state in ("Refunded", "Replaced", "Credited", "Closed"):
			self.assertEqual(states[state], "1")
		self.assertEqual(states["Draft"], "0")
		actions = {row.action for row in workflow.transitions}
		self.assertLessEqual(
			{
				"Submit",
				"Start Review",
				"Approve",
				"Reject",
				"Receive Goods",
				"Refund",
				"Replace",
				"Issue Store Credit",
				"Close",
			},
			actions,
		)

		self.assertTrue(frappe.get_meta("Item").has_field("is_returnable"))
		settings = frappe.get_single("Order Management Settings")
		self.assertEqual(settings.return_window_days, 30)
		self.assertEqual(settings.refund_approval_threshold, 1000)


class TestReturnEligibility(FrappeTestCase):
	def setUp(self):
		self.delivery = delivered_order(qty=5, rate=100)

	def assert_refused(self, build, *fragments):
		"""The request is refused with a ReturnNotAllowedError naming `fragments`; nothing is saved."""
		before = count("Return Request", customer_order=build.customer_order)
		with self.assertRaises(ReturnNotAllowedError) as caught, acting_as(clerk()):
			build.insert()
		message = str(caught.exception)
		for fragment in fragments:
			self.assertIn(fragment, message)
		self.assertEqual(count("Return Request", customer_order=build.customer_order), before)
		return message

	def test_returnable_lines_show_delivered_returned_and_requested_quantities(self):
		return_delivery_note(self.delivery, 1)
		draft = make_request(self.delivery, [{"qty": 2}])
		with acting_as(clerk()):
			(line,) = get_returnable_lines(self.delivery.order.name)
			(editing,) = get_returnable_lines(self.delivery.order.name, return_request=draft.name)
		self.assertEqual(
			(line["delivery_note"], line["delivery_note_item"], line["item_code"], line["rate"]),
			(self.delivery.delivery_note, self.delivery.line, self.delivery.item, 100),
		)
		self.assertEqual(
			(line["delivered_qty"], line["returned_qty"], line["requested_qty"], line["returnable_qty"]),
			(5, 1, 2, 2),
		)
		self.assertEqual(line["already_returned_qty"], 3)
		self.assertEqual((editing["requested_qty"], editing["returnable_qty"]), (0, 4))

	def test_returnable_lines_need_read_permission_on_the_order(self):
		outsider = role_user("rr-outsider-clerk", ["Order Clerk"])
		with self.assertRaises(frappe.PermissionError), acting_as(outsider):
			get_returnable_lines(self.delivery.order.name)

	def test_a_valid_request_saves_with_values_computed_on_the_server(self):
		from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

		invoice = make_sales_invoice(self.delivery.order.sales_order)
		invoice.insert()
		invoice.submit()
		return_delivery_note(self.delivery, 1)
		# The client's numbers are ignored; the row names only its item (matched to the delivery).
		request = make_request(
			self.delivery,
			[{"qty": 3, "rate": 1, "amount": 1, "delivered_qty": 99, "already_returned_qty": 0}],
		)
		line = request.items[0]
		self.assertEqual(
			(line.delivery_note, line.delivery_note_item), (self.delivery.delivery_note, self.delivery.line)
		)
		self.assertEqual((line.delivered_qty, line.already_returned_qty), (5, 1))
		self.assertEqual((line.rate, line.amount), (100, 300))
		self.assertTrue(line.uom)
		self.assertTrue(line.sales_order_item)
		self.assertEqual((request.total_qty, request.total_amount), (3, 300))
		self.assertEqual((request.status, request.workflow_state), ("Draft", "Draft"))
		self.assertEqual(request.company, self.delivery.order.company)
		self.assertEqual(
			request.customer_name, frappe.db.get_value("Customer", request.customer, "customer_name")
		)
		self.assertEqual(request.sales_invoice, invoice.name)

		with acting_as(clerk()):
			request.submit()
		self.assertEqual((request.status, request.workflow_state), ("Submitted", "Submitted"))

	def test_outside_the_return_window_is_refused(self):
		frappe.db.set_value(
			"Delivery Note", self.delivery.delivery_note, "posting_date", add_days(nowdate(), -31)
		)
		self.assert_refused(
			request_doc(self.delivery, [{"qty": 1}]),
			"Row 1",
			self.delivery.delivery_note,
			"return window of 30 days",
		)
		frappe.db.set_value(
			"Delivery Note", self.delivery.delivery_note, "posting_date", add_days(nowdate(), -30)
		)
		self.assertTrue(make_request(self.delivery, [{"qty": 1}]).name)  # the last day is still in

	def test_quantity_above_what_is_left_counts_open_requests_and_is_refused(self):
		make_request(self.delivery, [{"qty": 3}])  # an open draft holds 3 of the 5
		message = self.assert_refused(request_doc(self.delivery, [{"qty": 3}]), "Row 1", "Qty to Return")
		self.assertIn("already returned or requested 3", message)
		self.assert_refused(request_doc(self.delivery, [{"qty": 1}, {"qty": 2}]), "Row 2")
		self.assertTrue(make_request(self.delivery, [{"qty": 2}]).name)

	def test_an_item_that_is_not_returnable_is_refused(self):
		delivery = delivered_order(qty=2, is_returnable=0)
		self.assert_refused(request_doc(delivery, [{"qty": 1}]), "Row 1", delivery.item, "not returnable")

	def test_another_customers_order_is_refused(self):
		request = request_doc(self.delivery, [{"qty": 1}], customer=make_customer())
		self.assert_refused(request, self.delivery.order.name, self.delivery.customer)

	def test_a_line_not_on_a_delivery_note_of_the_order_is_refused(self):
		other = delivered_order(qty=2)
		request = request_doc(
			self.delivery,
			[
				{"qty": 1},
				{
					"qty": 1,
					"item_code": other.item,
					"delivery_note": other.delivery_note,
					"delivery_note_item": other.line,
				},
			],
		)
		self.assert_refused(request, "Row 2", other.item, "not on a submitted Delivery Note")
		# Naming only an item the order never delivered is refused too.
		self.assert_refused(
			request_doc(self.delivery, [{"qty": 1, "item_code": other.item}]), "Row 1", other.item
		)

	def test_a_photo_is_required_when_the_reason_requires_one(self):
		lines = [{"qty": 1, "reason": "Damaged in Transit", "condition": "Damaged"}]
		self.assert_refused(request_doc(self.delivery, lines), "Row 1", "Photo")
		lines[0]["photo"] = "/files/omt-damaged-box.jpg"
		self.assertTrue(make_request(self.delivery, lines).name)

	def test_a_disabled_reason_is_refused(self):
		frappe.db.set_value("Return Reason", "Other", "enabled", 0)
		self.addCleanup(frappe.db.set_value, "Return Reason", "Other", "enabled", 1)
		self.assert_refused(request_doc(self.delivery, [{"qty": 1, "reason": "Other"}]), "Row 1", "Other")

	def test_a_request_without_lines_is_refused(self):
		request = request_doc(self.delivery, [])
		with self.assertRaises(frappe.ValidationError), acting_as(clerk()):
			request.insert()
		self.assertEqual(count("Return Request", customer_order=self.delivery.order.name), 0)


class TestReturnReview(FrappeTestCase):
	def setUp(self):
		self.delivery = delivered_order(qty=5, rate=100)

	def test_approval_and_rejection_are_recorded_and_a_rejection_frees_the_quantity(self):
		approved = make_request(self.delivery, [{"qty": 2}], submit=True)
		result = decide(reviewer("Sales"), approved, "Approve", "Photos match the complaint")
		self.assertEqual(result["workflow_state"], "Approved")
		self.assertEqual((approved.status, approved.workflow_state), ("Approved", "Approved"))
		(row,) = approved.reviews
		self.assertEqual(
			(row.reviewer, row.decision, row.comment),
			(reviewer("Sales"), "Approved", "Photos match the complaint"),
		)
		self.assertTrue(row.decided_on)

		rejected = make_request(self.delivery, [{"qty": 3}], submit=True)
		with self.assertRaises(ReturnReviewError):  # a rejection needs its reason
			decide(reviewer("Sales"), rejected, "Reject")
		self.assertEqual(rejected.workflow_state, "Submitted")  # nothing of the attempt was kept
		decide(reviewer("Sales"), rejected, "Reject", "Used and outside policy")
		self.assertEqual(
			(rejected.status, [r.decision for r in rejected.reviews]), ("Rejected", ["Rejected"])
		)

		with acting_as(clerk()):
			(line,) = get_returnable_lines(self.delivery.order.name)
		self.assertEqual((line["requested_qty"], line["returnable_qty"]), (2, 3))

		with self.assertRaises(AlreadyDecidedError):
			decide(reviewer("Sales", "2"), approved, "Reject", "Too late")

	def test_the_creator_may_not_review_their_own_request(self):
		clerk_and_reviewer = role_user("rr-clerk-reviewer", ["Order Clerk", "Sales Reviewer"])
		# A return is filed for an order its user may read: here as the customer's account manager.
		frappe.db.set_value("Customer", self.delivery.customer, "account_manager", clerk_and_reviewer)
		request = make_request(self.delivery, [{"qty": 1}], submit=True, as_user=clerk_and_reviewer)
		with self.assertRaises(FourEyesError):
			decide(clerk_and_reviewer, request, "Approve")
		with self.assertRaises(frappe.ValidationError), acting_as(clerk_and_reviewer):  # nor by the button
			apply_workflow(frappe.get_doc("Return Request", request.name), "Start Review")
			apply_workflow(frappe.get_doc("Return Request", request.name), "Approve")
		request.reload()
		self.assertFalse(request.reviews)
		self.assertNotEqual(request.workflow_state, "Approved")

	def test_a_refund_at_the_threshold_needs_two_different_approvers(self):
		delivery = delivered_order(qty=2, rate=600)  # 1,200 against the default threshold of 1,000
		request = make_request(delivery, [{"qty": 2}], submit=True)
		self.assertEqual(request.total_amount, 1200)

		first = decide(reviewer("Sales"), request, "Approve")
		self.assertEqual(
			(first["workflow_state"], first["approvals"], first["approvals_needed"]), ("Under Review", 1, 2)
		)
		self.assertEqual(request.status, "Under Review")
		with self.assertRaises(FourEyesError):
			decide(reviewer("Sales"), request, "Approve")
		second = decide(manager(), request, "Approve")
		self.assertEqual(second["workflow_state"], "Approved")
		self.assertEqual(
			[(r.reviewer, r.decision) for r in request.reviews],
			[(reviewer("Sales"), "Approved"), (manager(), "Approved")],
		)

	def test_a_workflow_button_approval_is_recorded_and_counts_towards_two_approvals(self):
		delivery = delivered_order(qty=2, rate=600)
		request = make_request(delivery, [{"qty": 2}], submit=True)
		act(reviewer("Sales"), request, "Start Review")
		act(reviewer("Sales"), request, "Approve")
		self.assertEqual((request.workflow_state, len(request.reviews)), ("Under Review", 1))
		act(reviewer("Sales", "2"), request, "Approve")
		self.assertEqual((request.workflow_state, request.status), ("Approved", "Approved"))
		self.assertEqual(len({r.reviewer for r in request.reviews}), 2)

	def test_users_without_a_reviewer_role_are_refused(self):
		request = make_request(self.delivery, [{"qty": 1}], submit=True)
		with self.assertRaises(frappe.PermissionError):
			decide(stock_user(), request, "Approve")
		act(reviewer("Sales"), request, "Start Review")
		with self.assertRaises(WorkflowTransitionError):
			act(stock_user(), request, "Approve")
		request.reload()
		self.assertEqual((request.workflow_state, len(request.reviews)), ("Under Review", 0))

	def test_an_approved_request_moves_through_goods_received_to_its_resolution_and_closes(self):
		request = make_request(self.delivery, [{"qty": 1}], submit=True)
		decide(reviewer("Sales"), request, "Approve")
		act(stock_user(), request, "Receive Goods")
		self.assertEqual(request.status, "Goods Received")
		with self.assertRaises(WorkflowTransitionError):  # a Refund request is refunded, not replaced
			act(accounts_user(), request, "Replace")
		with self.assertRaises(ReturnReviewError), acting_as(manager()):  # the goods are back
			frappe.get_doc("Return Request", request.name).cancel()
		with acting_as("Administrator"):  # a refund credits the order's invoice
			create_sales_invoice(self.delivery.order.name)
		act(accounts_user(), request, "Refund")
		self.assertEqual(request.status, "Refunded")
		act(manager(), request, "Close")
		self.assertEqual((request.status, request.workflow_state), ("Closed", "Closed"))


class TestConcurrentReturnReview(FrappeTestCase):
	def test_two_reviewers_deciding_at_once_give_one_decision(self):
		delivery = delivered_order(qty=2, rate=100)
		request = make_request(delivery, [{"qty": 1}], submit=True)
		first, second = reviewer("Sales"), reviewer("Sales", "2")
		frappe.db.commit()  # the other connections must see the request and users
		results = run_concurrently(
			[
				lambda: _as(first, lambda: review_return(request.name, "Approve")),
				lambda: _as(second, lambda: review_return(request.name, "Reject", "Not eligible")),
			]
		)
		decided = [r for r in results if isinstance(r, dict)]
		refused = [r for r in results if isinstance(r, AlreadyDecidedError)]
		self.assertEqual((len(decided), len(refused)), (1, 1), results)
		request.reload()
		self.assertEqual(len(request.reviews), 1)
		self.assertEqual(request.status, decided[0]["status"])


def _as(user, call):
	frappe.set_user(user)
	return call()


class TestReturnRequestAccess(FrappeTestCase):
	def test_clerks_see_requests_of_their_orders_reviewers_what_waits_for_them(self):
		delivery = delivered_order(qty=2)
		request = make_request(delivery, [{"qty": 1}], submit=True)
		other_clerk = role_user("rr-other-clerk", ["Order Clerk"])
		with acting_as(clerk()):
			self.assertIn(request.name, frappe.get_list("Return Request", pluck="name"))
			self.assertTrue(frappe.has_permission("Return Request", "read", request.name))
		with acting_as(other_clerk):
			self.assertNotIn(request.name, frappe.get_list("Return Request", pluck="name"))
			self.assertFalse(frappe.has_permission("Return Request", "read", request.name))
		with acting_as(reviewer("Sales")):
			self.assertIn(request.name, frappe.get_list("Return Request", pluck="name"))
		warehouse = role_user("rr-warehouse-reviewer", ["Warehouse Reviewer"])
		with acting_as(warehouse):  # nothing to receive until it is approved
			self.assertNotIn(request.name, frappe.get_list("Return Request", pluck="name"))
		decide(reviewer("Sales"), request, "Approve")
		with acting_as(warehouse):
			self.assertIn(request.name, frappe.get_list("Return Request", pluck="name"))
			self.assertTrue(frappe.has_permission("Return Request", "read", request.name))
