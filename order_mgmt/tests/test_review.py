"""Review routing by rules, the review workflow, four-eyes, permissions, alerts, SLA and concurrency."""

import frappe
from erpnext.selling.doctype.customer.customer import get_customer_outstanding
from frappe.model.workflow import WorkflowTransitionError, apply_workflow
from frappe.tests.utils import FrappeTestCase, change_settings

from order_mgmt.review.actions import approve_order, reject_order
from order_mgmt.review.sla import escalate_overdue_reviews
from order_mgmt.review.workflow import AlreadyDecidedError, FourEyesError, ReviewError, take_action
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	count,
	make_customer,
	make_item,
	make_order,
	manager,
	reviewer,
	run_concurrently,
)
from order_mgmt.tests.utils import company as order_company


def set_rule(test: FrappeTestCase, rule: str, **values) -> None:
	"""Change a shipped review rule for one test (restored even if the test committed)."""
	before = frappe.db.get_value("Order Review Rule", rule, list(values), as_dict=True)
	frappe.db.set_value("Order Review Rule", rule, values)
	test.addCleanup(lambda: (frappe.db.set_value("Order Review Rule", rule, before), frappe.db.commit()))


def act(user: str, order, action: str, comment: str | None = None):
	with acting_as(user):
		result = take_action(
			order.name,
			action,
			comment,
			expected_state=frappe.db.get_value("Customer Order", order.name, "workflow_state"),
		)
	order.reload()
	return result


class TestRouting(FrappeTestCase):
	def assert_route(self, order, *stages):
		self.assertEqual(order.review_route, ", ".join(stages))
		self.assertEqual(order.current_review_stage, stages[0] if stages else None)
		self.assertEqual(order.status, "Pending Review" if stages else "To Deliver")
		self.assertEqual(order.workflow_state, f"Pending {stages[0]} Review" if stages else "Approved")
		if stages:
			self.assertFalse(order.sales_order)
			self.assertEqual(count("Sales Order", customer_order=order.name), 0)

	def reasons(self, order, rule):
		found = [r for r in order.hold_reasons if r.rule == rule]
		self.assertTrue(found, f"expected rule {rule}, got {[r.rule for r in order.hold_reasons]}")
		return found[0]

	def test_clean_order_needs_no_stage_and_is_auto_approved(self):
		order = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}], submit=True)
		self.assert_route(order)
		self.assertEqual(order.review_decision, "Auto-approved")

	def test_credit_over_limit_goes_to_finance_with_exposure_and_limit(self):
		customer = make_customer(credit_limit=1000)
		outstanding = get_customer_outstanding(customer, order_company())
		order = make_order(customer, [{"item_code": make_item(rate=600), "qty": 2}], submit=True)
		self.assert_route(order, "Finance")
		reason = self.reasons(order, "Credit limit exceeded")
		self.assertEqual(reason.stage, "Finance")
		self.assertAlmostEqual(float(reason.measured_value), outstanding + order.base_grand_total, places=2)
		self.assertEqual(float(reason.threshold), 1000)
		self.assertAlmostEqual(order.credit_exposure, outstanding + order.base_grand_total, places=2)

	def test_open_orders_count_towards_credit_exposure(self):
		customer = make_customer(credit_limit=1000)
		first = make_order(customer, [{"item_code": make_item(rate=100, stock_qty=0), "qty": 6}], submit=True)
		self.assert_route(first, "Warehouse")
		second = make_order(customer, [{"item_code": make_item(rate=100), "qty": 4}], submit=True)
		outstanding = get_customer_outstanding(customer, order_company())
		self.assertLess(outstanding + second.base_grand_total, 1000, "held only because of the open order")
		reason = self.reasons(second, "Credit limit exceeded")
		self.assertAlmostEqual(
			float(reason.measured_value),
			outstanding + first.base_grand_total + second.base_grand_total,
			places=2,
		)

	def test_stock_shortage_goes_to_warehouse_naming_the_row(self):
		order = make_order(
			make_customer(),
			[
				{"item_code": make_item(stock_qty=50), "qty": 1},
				{"item_code": make_item(stock_qty=3), "qty": 4},
			],
			submit=True,
		)
		self.assert_route(order, "Warehouse")
		reason = self.reasons(order, "Stock shortage")
		self.assertEqual((reason.line, float(reason.measured_value)), (2, 3))
		self.assertEqual(order.items[1].projected_qty, 3)

	def test_discount_at_threshold_goes_to_sales(self):
		order = make_order(
			make_customer(),
			[{"item_code": make_item(rate=100, valuation_rate=10), "qty": 1, "discount_percentage": 10}],
			submit=True,
		)
		self.assert_route(order, "Sales")
		self.assertEqual(float(self.reasons(order, "High discount").measured_value), 10)

	def test_rate_below_valuation_goes_to_sales(self):
		order = make_order(
			make_customer(),
			[{"item_code": make_item(rate=100, valuation_rate=95), "qty": 1, "discount_percentage": 8}],
			submit=True,
		)
		self.assert_route(order, "Sales")
		self.assertEqual(float(self.reasons(order, "Priced below cost").threshold), 95)

	def test_large_order_goes_to_sales(self):
		set_rule(self, "Large order", threshold=500)
		order = make_order(make_customer(), [{"item_code": make_item(rate=100), "qty": 6}], submit=True)
		self.assert_route(order, "Sales")

	def test_new_and_flagged_customers_go_to_finance(self):
		for customer, rule in (
			(make_customer(known=False), "New customer"),
			(make_customer(requires_order_review=1), "Customer flagged for review"),
		):
			order = make_order(customer, [{"item_code": make_item(), "qty": 1}], submit=True)
			self.assert_route(order, "Finance")
			self.reasons(order, rule)

	def test_custom_and_bulk_orders_go_to_the_warehouse(self):
		for order_type in ("Custom", "Bulk"):
			order = make_order(
				make_customer(), [{"item_code": make_item(), "qty": 1}], order_type=order_type, submit=True
			)
			self.assert_route(order, "Warehouse")

	def test_portal_orders_go_to_sales(self):
		order = make_order(
			make_customer(), [{"item_code": make_item(), "qty": 1}], channel="Portal", submit=True
		)
		self.assert_route(order, "Sales")
		self.reasons(order, "Portal order")

	def test_several_rules_route_through_their_stages_in_sequence_skipping_others(self):
		customer = make_customer(credit_limit=100)
		order = make_order(customer, [{"item_code": make_item(rate=200, stock_qty=0), "qty": 1}], submit=True)
		self.assert_route(order, "Finance", "Warehouse")
		self.assertEqual(order.following_review_stage, "Warehouse")

	def test_disabled_rules_are_ignored(self):
		set_rule(self, "Stock shortage", enabled=0)
		order = make_order(make_customer(), [{"item_code": make_item(stock_qty=0), "qty": 1}], submit=True)
		self.assert_route(order)

	def test_auto_approval_turned_off_sends_clean_orders_to_the_first_stage(self):
		with change_settings("Order Management Settings", {"auto_approve": 0}):
			order = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}], submit=True)
		self.assert_route(order, "Sales")

	def test_sales_order_refused_by_erpnext_puts_an_auto_approved_order_on_hold(self):
		set_rule(self, "Credit limit exceeded", enabled=0)
		order = make_order(
			make_customer(credit_limit=100), [{"item_code": make_item(rate=500), "qty": 1}], submit=True
		)
		self.assertEqual((order.status, order.workflow_state), ("On Hold", "On Hold"))
		self.assertIn(
			"credit limit", [r for r in order.hold_reasons if r.rule == "Sales Order"][0].message.lower()
		)
		self.assertFalse(order.sales_order)


class TestReviewWorkflow(FrappeTestCase):
	def held_order(self, **fields):
		"""Needs Finance (credit) then Warehouse (stock)."""
		return make_order(
			make_customer(credit_limit=100),
			[{"item_code": make_item(rate=200, stock_qty=0), "qty": 1}],
			submit=True,
			**fields,
		)

	def test_each_stage_approval_moves_on_and_the_last_creates_the_sales_order(self):
		order = self.held_order()
		act(reviewer("Finance"), order, "Approve", "terms agreed")
		self.assertEqual(
			(order.workflow_state, order.current_review_stage), ("Pending Warehouse Review", "Warehouse")
		)
		self.assertFalse(order.sales_order)
		# ERPNext's own credit check on the Sales Order passes on the finance approver's authority.
		act(reviewer("Warehouse"), order, "Approve")
		self.assertEqual((order.workflow_state, order.status), ("Approved", "To Deliver"))
		self.assertEqual(frappe.db.get_value("Sales Order", order.sales_order, "docstatus"), 1)
		reviews = frappe.get_all(
			"Order Review",
			filters={"customer_order": order.name},
			fields=["stage", "decision", "reviewer", "comment"],
			order_by="creation",
		)
		self.assertEqual(
			[(r.stage, r.decision) for r in reviews], [("Finance", "Approved"), ("Warehouse", "Approved")]
		)
		self.assertEqual(reviews[0].comment, "terms agreed")

	def test_final_approval_creates_the_sales_order(self):
		order = make_order(
			make_customer(),
			[{"item_code": make_item(rate=100, valuation_rate=10), "qty": 1, "discount_percentage": 12}],
			submit=True,
		)
		act(reviewer("Sales"), order, "Approve")
		self.assertEqual((order.workflow_state, order.status), ("Approved", "To Deliver"))
		self.assertEqual(frappe.db.get_value("Sales Order", order.sales_order, "docstatus"), 1)
		self.assertEqual(order.reviewed_by, reviewer("Sales"))

	def test_reviewers_cannot_act_on_other_stages(self):
		order = self.held_order()
		for user in (reviewer("Sales"), reviewer("Warehouse"), clerk()):
			with self.assertRaises((WorkflowTransitionError, frappe.PermissionError)), acting_as(user):
				take_action(order.name, "Approve")
		self.assertEqual(
			frappe.db.get_value("Customer Order", order.name, "workflow_state"), "Pending Finance Review"
		)

	def test_order_manager_may_decide_any_stage(self):
		order = self.held_order()
		act(manager(), order, "Approve")
		self.assertEqual(order.workflow_state, "Pending Warehouse Review")

	def test_rejection_and_return_need_a_comment(self):
		order = self.held_order()
		for action in ("Reject", "Return for Changes"):
			with self.assertRaises(ReviewError), acting_as(reviewer("Finance")):
				take_action(order.name, action)
		act(reviewer("Finance"), order, "Reject", "customer has unpaid invoices")
		self.assertEqual(
			(order.workflow_state, order.status, order.review_comment),
			("Rejected", "Rejected", "customer has unpaid invoices"),
		)
		review = frappe.get_last_doc("Order Review", filters={"customer_order": order.name})
		self.assertEqual((review.decision, review.comment), ("Rejected", "customer has unpaid invoices"))
		self.assertTrue(review.checks)

	def test_decided_reviews_cannot_be_edited(self):
		order = self.held_order()
		act(reviewer("Finance"), order, "Reject", "no")
		review = frappe.get_last_doc("Order Review", filters={"customer_order": order.name})
		review.comment = "changed my mind"
		with self.assertRaises(frappe.ValidationError):
			review.save(ignore_permissions=True)

	def test_api_shortcuts_approve_and_reject(self):
		order = self.held_order()
		with acting_as(reviewer("Finance")):
			approve_order(order.name)
		with acting_as(reviewer("Warehouse")):
			reject_order(order.name, "no stock expected this month")
		order.reload()
		self.assertEqual(order.status, "Rejected")


class TestFourEyes(FrappeTestCase):
	def test_creator_cannot_approve_own_order_through_the_api_or_the_standard_workflow_call(self):
		creator = reviewer("Sales", key="-creator")
		frappe.get_doc("User", creator).add_roles("Order Clerk", "System Manager")
		order = make_order(
			make_customer(),
			[{"item_code": make_item(rate=100, valuation_rate=10), "qty": 1, "discount_percentage": 12}],
			submit=True,
			as_user=creator,
		)
		with self.assertRaises(FourEyesError), acting_as(creator):
			take_action(order.name, "Approve")
		with self.assertRaises(FourEyesError), acting_as(creator):
			apply_workflow(frappe.get_doc("Customer Order", order.name).as_dict(), "Approve")
		self.assertEqual(
			frappe.db.get_value("Customer Order", order.name, "workflow_state"), "Pending Sales Review"
		)

	def test_setting_allows_self_approval(self):
		creator = reviewer("Sales", key="-self")
		frappe.get_doc("User", creator).add_roles("Order Clerk")
		order = make_order(
			make_customer(),
			[{"item_code": make_item(rate=100, valuation_rate=10), "qty": 1, "discount_percentage": 12}],
			submit=True,
			as_user=creator,
		)
		with change_settings("Order Management Settings", {"allow_self_approval": 1}):
			act(creator, order, "Approve")
		self.assertEqual(order.workflow_state, "Approved")

	def test_one_person_cannot_approve_two_stages(self):
		order = TestReviewWorkflow.held_order(self)
		act(manager(), order, "Approve")
		with self.assertRaises(FourEyesError), acting_as(manager()):
			take_action(order.name, "Approve")
		self.assertEqual(
			frappe.db.get_value("Customer Order", order.name, "workflow_state"), "Pending Warehouse Review"
		)


class TestAccess(FrappeTestCase):
	def test_clerk_sees_only_own_orders_and_those_of_managed_customers(self):
		other_clerk = frappe.get_doc("User", clerk()).email.replace("clerk", "clerk-b")
		from order_mgmt.tests.utils import role_user

		other_clerk = role_user("clerk-b", ["Order Clerk", "Sales User"])
		mine = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}])
		theirs = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}], as_user=other_clerk)
		managed = make_order(
			make_customer(account_manager=clerk()),
			[{"item_code": make_item(), "qty": 1}],
			as_user=other_clerk,
		)
		with acting_as(clerk()):
			visible = set(frappe.get_list("Customer Order", pluck="name", limit=0))
			self.assertIn(mine.name, visible)
			self.assertIn(managed.name, visible)
			self.assertNotIn(theirs.name, visible)
			# What GET /api/resource/Customer Order/<name> runs:
			from frappe.client import get as api_get

			with self.assertRaises(frappe.PermissionError):
				api_get("Customer Order", theirs.name)
			self.assertEqual(api_get("Customer Order", managed.name)["name"], managed.name)

	def test_reviewers_see_orders_waiting_for_their_stage(self):
		order = make_order(make_customer(), [{"item_code": make_item(stock_qty=0), "qty": 1}], submit=True)
		with acting_as(reviewer("Warehouse")):
			self.assertIn(order.name, frappe.get_list("Customer Order", pluck="name", limit=0))
		with acting_as(reviewer("Finance")):
			self.assertNotIn(order.name, frappe.get_list("Customer Order", pluck="name", limit=0))

	def test_credit_figures_are_hidden_from_clerks(self):
		order = make_order(
			make_customer(credit_limit=100), [{"item_code": make_item(rate=200), "qty": 1}], submit=True
		)
		from frappe.client import get as api_get

		with acting_as(clerk()):
			seen = api_get("Customer Order", order.name)
		self.assertFalse(seen.get("credit_limit"))  # masked by field-level (permlevel 1) permissions
		self.assertFalse(seen.get("hold_reasons"))
		with acting_as(reviewer("Finance")):
			seen = api_get("Customer Order", order.name)
		self.assertEqual(seen["credit_limit"], 100)
		self.assertTrue(seen["hold_reasons"])


class TestAmendment(FrappeTestCase):
	def test_returned_order_is_cancelled_amended_and_reviewed_again_showing_what_changed(self):
		item = make_item(rate=100, valuation_rate=10, stock_qty=5)
		order = make_order(
			make_customer(), [{"item_code": item, "qty": 8, "discount_percentage": 12}], submit=True
		)
		self.assertEqual(order.review_route, "Sales, Warehouse")
		act(reviewer("Sales"), order, "Approve")
		act(reviewer("Warehouse"), order, "Return for Changes", "only 5 in stock: order 5")
		self.assertEqual(order.status, "Returned for Changes")
		act(clerk(), order, "Cancel")
		self.assertEqual((order.docstatus, order.cancellation_reason), (2, "only 5 in stock: order 5"))
		with acting_as(clerk()):
			amended = frappe.copy_doc(order, ignore_no_copy=False)  # as the form's Amend does
			amended.docstatus = 0
			amended.amended_from = order.name
			amended.items[0].qty = 5
			amended.insert()
			amended.submit()
		amended.reload()
		# Stock is fine now and 12% is still a discount to review; Sales approved the original: again.
		self.assertEqual(amended.review_route, "Sales")
		review = frappe.get_last_doc("Order Review", filters={"customer_order": amended.name})
		self.assertEqual(review.decision, "Pending")
		self.assertIn("8", review.changes)
		self.assertIn("5", review.changes)


class TestAlerts(FrappeTestCase):
	def test_stage_reviewers_get_a_todo_and_the_owner_hears_the_decision(self):
		finance, warehouse = reviewer("Finance"), reviewer("Warehouse")
		order = TestReviewWorkflow.held_order(self)
		todos = frappe.get_all(
			"ToDo",
			filters={"reference_type": "Customer Order", "reference_name": order.name, "status": "Open"},
			pluck="allocated_to",
		)
		self.assertIn(finance, todos)
		self.assertNotIn(clerk(), todos)
		act(finance, order, "Approve")
		self.assertNotIn(
			finance,
			frappe.get_all(
				"ToDo", filters={"reference_name": order.name, "status": "Open"}, pluck="allocated_to"
			),
		)
		self.assertIn(
			warehouse,
			frappe.get_all(
				"ToDo", filters={"reference_name": order.name, "status": "Open"}, pluck="allocated_to"
			),
		)
		self.assertTrue(
			frappe.db.exists(
				"Notification Log", {"for_user": clerk(), "document_name": order.name, "type": "Alert"}
			)
		)

	def test_overdue_reviews_are_escalated_to_order_managers_once(self):
		boss = manager()
		order = TestReviewWorkflow.held_order(self)
		review = frappe.get_last_doc("Order Review", filters={"customer_order": order.name})
		frappe.db.set_value("Order Review", review.name, "sla_due", frappe.utils.add_to_date(None, hours=-1))
		self.assertGreaterEqual(escalate_overdue_reviews(), 1)
		review.reload()
		self.assertEqual((review.is_overdue, review.escalated), (1, 1))
		notices = count("Notification Log", for_user=boss, document_name=order.name)
		self.assertGreaterEqual(notices, 1)
		escalate_overdue_reviews()
		self.assertEqual(count("Notification Log", for_user=boss, document_name=order.name), notices)


class TestConcurrentDecisions(FrappeTestCase):
	def test_two_reviewers_deciding_one_stage_make_one_decision(self):
		first, second = reviewer("Sales"), reviewer("Sales", key="-2")
		order = make_order(
			make_customer(),
			[{"item_code": make_item(rate=100, valuation_rate=10), "qty": 1, "discount_percentage": 12}],
			submit=True,
		)
		frappe.db.commit()  # the other connections must see the order and users
		results = run_concurrently(
			[
				lambda: _as(
					first, lambda: take_action(order.name, "Approve", expected_state="Pending Sales Review")
				),
				lambda: _as(
					second, lambda: take_action(order.name, "Approve", expected_state="Pending Sales Review")
				),
			]
		)
		successes = [r for r in results if isinstance(r, dict)]
		refusals = [r for r in results if isinstance(r, AlreadyDecidedError)]
		self.assertEqual((len(successes), len(refusals)), (1, 1), results)
		self.assertEqual(count("Sales Order", customer_order=order.name, docstatus=1), 1)
		self.assertEqual(count("Order Review", customer_order=order.name, decision="Approved"), 1)


def _as(user, call):
	frappe.set_user(user)
	return call()


class TestAuthorizationRuleAgreement(FrappeTestCase):
	"""ERPNext's Authorization Rule still guards the Sales Order: the user giving the final approval
	must hold its approving role. An auto-approval by a clerk without it goes On Hold with ERPNext's
	reason; an Order Manager holding the role releases it and the Sales Order is submitted once."""

	def test_sales_order_above_an_authorization_rule_needs_an_approver_with_its_role(self):
		frappe.get_doc(
			{
				"doctype": "Authorization Rule",
				"transaction": "Sales Order",
				"based_on": "Grand Total",
				"value": 1000,
				"company": order_company(),
				"approving_role": "Sales Manager",
			}
		).insert()
		order = make_order(make_customer(), [{"item_code": make_item(rate=600), "qty": 2}], submit=True)
		self.assertEqual((order.workflow_state, order.review_route), ("On Hold", ""))
		self.assertTrue([r for r in order.hold_reasons if r.rule == "Sales Order"])
		act(manager(), order, "Release", "approved above the authorization limit")
		self.assertEqual((order.workflow_state, order.status), ("Approved", "To Deliver"))
		self.assertEqual(count("Sales Order", customer_order=order.name, docstatus=1), 1)


class TestStaleForm(FrappeTestCase):
	def test_a_second_reviewer_on_a_stale_form_hears_who_decided_and_when(self):
		first, second = reviewer("Sales"), reviewer("Sales", key="-2")
		order = make_order(
			make_customer(),
			[{"item_code": make_item(rate=100, valuation_rate=10), "qty": 1, "discount_percentage": 12}],
			submit=True,
		)
		act(first, order, "Approve")
		self.assertEqual(order.workflow_state, "Approved")
		with acting_as(second):
			self.assertFalse(frappe.has_permission("Customer Order", "read", order.name))
			with self.assertRaises(AlreadyDecidedError) as caught:
				take_action(order.name, "Approve", expected_state="Pending Sales Review")
		message = str(caught.exception)
		self.assertIn(frappe.utils.get_fullname(first), message)
		decided_on = frappe.db.get_value(
			"Order Review", {"customer_order": order.name, "stage": "Sales"}, "decided_on"
		)
		self.assertIn(frappe.utils.format_datetime(decided_on), message)
		# Someone holding no role of that stage learns nothing about the order.
		with acting_as(reviewer("Finance")), self.assertRaises(frappe.PermissionError):
			take_action(order.name, "Approve", expected_state="Pending Sales Review")
		self.assertEqual(count("Order Review", customer_order=order.name, decision="Approved"), 1)


class TestDatabaseBusy(FrappeTestCase):
	"""A deadlock inside the approval: the database rolls the whole transaction back. The order is
	left as it was (a draft, or pending its stage) with a clear message, or the action is retried."""

	def sales_order_series(self) -> str:
		from frappe.model.naming import parse_naming_series

		order = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}], submit=True)
		series = frappe.db.get_value("Sales Order", order.sales_order, "naming_series")
		return parse_naming_series(series)

	def deadlock_against(self, order_name: str, series_key: str, deadlock: bool = True):
		"""Another connection takes the Sales Order naming series row (which the hand-off needs)
		and, once this connection waits for it, the order's row (which this connection holds): a
		deadlock. The other transaction has written many rows, so InnoDB picks this one as victim
		(the lighter: MariaDB compares undo records and locks). `deadlock=False`: it only holds the
		series row until this connection's wait times out."""
		import threading
		import time

		# InnoDB writes one undo record for a bulk insert into an empty table: keep tabNote non-empty
		# so that the other transaction's insert below weighs one undo record per row.
		if not frappe.db.exists("Note", {"title": "OMT deadlock weight"}):
			frappe.get_doc({"doctype": "Note", "title": "OMT deadlock weight"}).insert(
				ignore_permissions=True
			)
		frappe.db.commit()
		site, sites_path = frappe.local.site, frappe.local.sites_path
		my_connection = frappe.db.sql("select connection_id()")[0][0]
		holding, outcome = threading.Event(), {}

		def waits(expected: bool) -> bool:
			"""Until this connection waits (or no longer waits) for the naming series row."""
			for _attempt in range(400):
				# Same database user: its own connections are listed without the PROCESS privilege.
				running = frappe.db.sql(
					"select info from information_schema.processlist where id = %s", my_connection
				)
				if ("tabSeries" in ((running and running[0][0]) or "")) == expected:
					return True
				time.sleep(0.05)
			return False

		def other() -> None:
			frappe.init(site=site, sites_path=sites_path)
			frappe.connect()
			try:
				frappe.db.sql("select name from `tabSeries` where name = %s for update", series_key)
				if not deadlock:
					holding.set()
				else:
					frappe.db.sql(
						"""insert into `tabNote` (name, title, creation, modified, owner, modified_by)
						select concat('omt-deadlock-', seq, '-', %s), 'weight', now(), now(), 'Administrator',
						'Administrator' from seq_1_to_10000""",
						frappe.generate_hash(length=8),
					)
					# InnoDB never picks a transaction that wrote a non-transactional table while the other
					# did not; this side's may (Frappe logs a failed notification email to the MyISAM Error
					# Log on a site without an email account). A row in and out of MyISAM evens that out.
					frappe.db.sql(
						"insert into `__global_search` (doctype, name) values ('OMT Deadlock Test', %s)",
						series_key,
					)
					frappe.db.sql("delete from `__global_search` where doctype = 'OMT Deadlock Test'")
					holding.set()
				if not waits(True):
					outcome["error"] = "the hand-off never waited for the naming series"
					return
				if not deadlock:
					outcome["held"] = waits(False)
					return
				frappe.db.sql("select name from `tabCustomer Order` where name = %s for update", order_name)
				outcome["survived"] = True
			except Exception as error:
				outcome["error"] = repr(error)
			finally:
				frappe.db.rollback()
				frappe.destroy()

		thread = threading.Thread(target=other)
		thread.start()
		self.assertTrue(holding.wait(timeout=30), "the other connection did not take its locks")
		return thread, outcome

	def test_a_deadlock_during_auto_approval_leaves_a_draft_and_says_busy(self):
		from order_mgmt.review.actions import DatabaseBusyError

		key = self.sales_order_series()
		order = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}])
		frappe.db.commit()
		thread, outcome = self.deadlock_against(order.name, key)
		with acting_as(clerk()), self.assertRaises(DatabaseBusyError) as caught:
			frappe.get_doc("Customer Order", order.name).submit()
		thread.join(timeout=60)
		self.assertTrue(outcome.get("survived"), outcome)
		self.assertIn("busy", str(caught.exception))
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "docstatus"), 0)
		self.assertEqual(count("Sales Order", customer_order=order.name), 0)
		self.assertEqual(count("Customer Order Hold Reason", parent=order.name), 0)

	def test_a_lock_wait_timeout_during_auto_approval_says_busy_and_approves_nothing(self):
		from order_mgmt.review.actions import DatabaseBusyError

		key = self.sales_order_series()
		order = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}])
		user = clerk()
		frappe.db.commit()
		thread, outcome = self.deadlock_against(order.name, key, deadlock=False)
		frappe.db.sql("set session innodb_lock_wait_timeout = 2")
		# Frappe's connection counts (get_open_count) leave a 1 s max_statement_time on the session.
		frappe.db.sql("set session max_statement_time = 0")
		try:
			with acting_as(user), self.assertRaises(DatabaseBusyError) as caught:
				frappe.get_doc("Customer Order", order.name).submit()
		finally:
			frappe.db.sql("set session innodb_lock_wait_timeout = default")
		thread.join(timeout=60)
		self.assertTrue(outcome.get("held"), outcome)
		self.assertIsInstance(caught.exception.__cause__, frappe.QueryTimeoutError)
		self.assertFalse(frappe.db.get_value("Customer Order", order.name, "sales_order"))
		frappe.db.rollback()  # as the request that failed would
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "docstatus"), 0)
		self.assertEqual(count("Sales Order", customer_order=order.name), 0)

	def test_a_review_decision_is_retried_after_a_deadlock_and_made_once(self):
		key = self.sales_order_series()
		order = make_order(
			make_customer(),
			[{"item_code": make_item(rate=100, valuation_rate=10), "qty": 1, "discount_percentage": 12}],
			submit=True,
		)
		user = reviewer("Sales")
		frappe.db.commit()
		thread, outcome = self.deadlock_against(order.name, key)
		# Nothing written in this transaction before the action (as in an API call): retried.
		self.assertEqual(frappe.db.transaction_writes, 0)
		with acting_as(user):
			result = take_action(order.name, "Approve", expected_state="Pending Sales Review")
		thread.join(timeout=60)
		self.assertTrue(outcome.get("survived"), outcome)
		self.assertEqual(result["workflow_state"], "Approved")
		self.assertEqual(count("Sales Order", customer_order=order.name, docstatus=1), 1)
		self.assertEqual(count("Order Review", customer_order=order.name, decision="Approved"), 1)
		frappe.db.commit()

	def test_a_submit_through_take_action_is_retried_after_a_deadlock_in_the_auto_approval(self):
		key = self.sales_order_series()
		order = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}])
		user = clerk()
		frappe.db.commit()
		thread, outcome = self.deadlock_against(order.name, key)
		with acting_as(user):
			result = take_action(order.name, "Submit", expected_state=order.workflow_state or "Draft")
		thread.join(timeout=60)
		self.assertTrue(outcome.get("survived"), outcome)
		self.assertEqual(result["workflow_state"], "Approved")
		self.assertEqual(count("Sales Order", customer_order=order.name, docstatus=1), 1)
		frappe.db.commit()
