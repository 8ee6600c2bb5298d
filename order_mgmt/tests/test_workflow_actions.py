"""Frappe's Workflow Actions for Customer Orders only where a reviewer decides (review/workflow_actions.py)."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.workflow.doctype.workflow_action import workflow_action

from order_mgmt.review.workflow import take_action
from order_mgmt.tests.utils import acting_as, make_customer, make_item, make_order, reviewer


def actions(order_name: str) -> list[tuple[str, str, list[str]]]:
	"""(workflow state, status, permitted roles) of the order's Workflow Actions, oldest first."""
	rows = frappe.get_all(
		"Workflow Action",
		filters={"reference_doctype": "Customer Order", "reference_name": order_name},
		fields=["name", "workflow_state", "status"],
		order_by="creation asc",
	)
	return [
		(
			row.workflow_state,
			row.status,
			sorted(frappe.get_all("Workflow Action Permitted Role", {"parent": row.name}, pluck="role")),
		)
		for row in rows
	]


class TestWorkflowActions(FrappeTestCase):
	def test_the_wrapper_is_what_frappes_hook_calls(self):
		from order_mgmt.review import workflow_actions

		self.assertIs(workflow_action.process_workflow_actions, workflow_actions.process_workflow_actions)

	def test_draft_and_auto_approved_order_ask_nobody(self):
		order = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}])
		self.assertEqual(actions(order.name), [], "a draft is its creator's: no Submit action for all clerks")
		order.submit()
		order.reload()
		self.assertEqual(order.workflow_state, "Approved")
		self.assertEqual(actions(order.name), [], "an approved order awaits no decision")

	def test_held_order_lists_its_stage_and_completes_it_on_approval(self):
		order = make_order(
			make_customer(),
			[{"item_code": make_item(rate=100, valuation_rate=10), "qty": 1, "discount_percentage": 10}],
			submit=True,
		)
		self.assertEqual(order.workflow_state, "Pending Sales Review")
		self.assertEqual(
			actions(order.name), [("Pending Sales Review", "Open", ["Order Manager", "Sales Reviewer"])]
		)
		with acting_as(reviewer("Sales")):
			take_action(order.name, "Approve", None, expected_state="Pending Sales Review")
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "workflow_state"), "Approved")
		self.assertEqual(
			actions(order.name),
			[("Pending Sales Review", "Completed", ["Order Manager", "Sales Reviewer"])],
			"the reviewer's action is completed; the approved order gets no new one",
		)

	def test_other_doctypes_keep_frappes_bookkeeping(self):
		from order_mgmt.review import workflow_actions

		original = workflow_action.process_workflow_actions.__wrapped__
		self.assertIs(original, workflow_actions._frappe_process_workflow_actions)
		self.assertEqual(
			(original.__module__, original.__name__), (workflow_action.__name__, "process_workflow_actions")
		)


def assignment_alerts(order_name: str) -> dict[str, int]:
	"""Assignment notifications about the order, per user."""
	users = frappe.get_all(
		"Notification Log",
		filters={"document_type": "Customer Order", "document_name": order_name, "type": "Assignment"},
		pluck="for_user",
	)
	return {user: users.count(user) for user in set(users)}


class TestClosingAssignments(FrappeTestCase):
	"""review.notifications.close_stage_assignments leaves what Frappe's close_all_assignments left."""

	def test_approval_closes_the_stage_todos_as_frappe_would(self):
		order = make_order(
			make_customer(),
			[{"item_code": make_item(rate=100, valuation_rate=10), "qty": 1, "discount_percentage": 10}],
			submit=True,
		)
		todos = frappe.get_all(
			"ToDo",
			filters={"reference_type": "Customer Order", "reference_name": order.name, "status": "Open"},
			fields=["name", "allocated_to", "assigned_by"],
		)
		self.assertTrue(todos, "the Sales stage's reviewers are assigned")
		told_before = assignment_alerts(order.name)
		self.assertTrue(frappe.db.get_value("Customer Order", order.name, "_assign"))
		approver = reviewer("Sales")
		with acting_as(approver):
			take_action(order.name, "Approve", None, expected_state="Pending Sales Review")
		self.assertEqual(
			{row.name: "Closed" for row in todos},
			dict(
				frappe.get_all(
					"ToDo", {"name": ("in", [t.name for t in todos])}, ["name", "status"], as_list=True
				)
			),
		)
		self.assertFalse(frappe.db.get_value("Customer Order", order.name, "_assign"))
		comments = frappe.get_all(
			"Comment",
			filters={
				"reference_doctype": "Customer Order",
				"reference_name": order.name,
				"comment_type": "Assignment Completed",
			},
			pluck="content",
		)
		self.assertEqual(len(comments), len(todos), comments)
		self.assertTrue(
			any("removed their assignment" in text for text in comments)
			or approver not in [t.allocated_to for t in todos]
		)
		told_after = assignment_alerts(order.name)
		for todo in todos:
			# Frappe tells every assignee but the one who closed it (and a self-assignment's)
			if todo.allocated_to not in (todo.assigned_by, approver):
				self.assertEqual(
					told_after.get(todo.allocated_to, 0), told_before.get(todo.allocated_to, 0) + 1
				)
