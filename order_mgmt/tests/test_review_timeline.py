"""The order's timeline tells the review story: one entry per decision (reviewer and comment), no Version
noise ("0 to null", review fields changing while the order still waits for another stage), and the ToDos
and alerts of a review written in their recipient's language."""

import json

import frappe
from frappe.desk.form.load import get_docinfo
from frappe.tests.utils import FrappeTestCase

from order_mgmt.review.workflow import take_action
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	make_customer,
	make_item,
	make_order,
	reviewer,
	role_user,
)

REVIEW_FIELDS = {
	"workflow_state",
	"status",
	"review_decision",
	"current_review_stage",
	"following_review_stage",
	"reviewed_by",
	"reviewed_on",
	"review_comment",
}
EMPTY = (None, "", 0, 0.0, "0")


def act(user: str, order, action: str, comment: str | None = None):
	with acting_as(user):
		take_action(
			order.name,
			action,
			comment,
			expected_state=frappe.db.get_value("Customer Order", order.name, "workflow_state"),
		)
	order.reload()


def two_stage_order(**fields):
	"""Needs Finance (credit) then Warehouse (stock)."""
	return make_order(
		make_customer(credit_limit=100),
		[{"item_code": make_item(rate=200, stock_qty=0), "qty": 1}],
		submit=True,
		**fields,
	)


def decision_entries(order_name: str) -> list[frappe._dict]:
	return frappe.get_all(
		"Comment",
		filters={"reference_doctype": "Customer Order", "reference_name": order_name, "comment_type": "Info"},
		fields=["content", "owner", "comment_email"],
		order_by="creation asc",
	)


def version_changes(order_name: str) -> list[list]:
	changes = []
	for raw in frappe.get_all(
		"Version", filters={"ref_doctype": "Customer Order", "docname": order_name}, pluck="data"
	):
		changes.extend(json.loads(raw).get("changed") or [])
	return changes


class TestReviewTimeline(FrappeTestCase):
	def test_two_stage_approval_leaves_two_decision_entries_with_reviewer_and_comment(self):
		order = two_stage_order()
		finance, warehouse = reviewer("Finance"), reviewer("Warehouse")
		act(finance, order, "Approve", "terms agreed with the customer")
		act(warehouse, order, "Approve", "stock arrives Monday")
		self.assertEqual(order.workflow_state, "Approved")
		entries = decision_entries(order.name)
		self.assertEqual(len(entries), 2, entries)
		for entry, user, stage, comment in (
			(entries[0], finance, "Finance", "terms agreed with the customer"),
			(entries[1], warehouse, "Warehouse", "stock arrives Monday"),
		):
			self.assertEqual(entry.owner, user)
			self.assertIn(frappe.utils.get_fullname(user), entry.content)
			self.assertIn(stage, entry.content)
			self.assertIn("Approved", entry.content)
			self.assertIn(comment, entry.content)

	def test_decision_entries_are_in_the_form_timeline_and_carry_no_credit_figures(self):
		order = two_stage_order()
		act(reviewer("Finance"), order, "Return for Changes", "<b>split</b> the order")
		with acting_as(clerk()):
			docinfo = get_docinfo(frappe.get_doc("Customer Order", order.name)) or frappe.response.docinfo
		contents = [c.content for c in docinfo.info_logs]
		self.assertTrue(any("Returned for Changes" in c for c in contents), contents)
		text = " ".join(contents)
		self.assertIn("&lt;b&gt;split&lt;/b&gt;", text)  # the reviewer's comment is escaped
		self.assertNotIn("200", text)  # exposure
		self.assertNotIn("100", text)  # credit limit

	def test_no_version_noise_after_a_two_stage_approval(self):
		order = two_stage_order()
		act(reviewer("Finance"), order, "Approve", "ok")
		changes = version_changes(order.name)
		self.assertFalse(
			[c for c in changes if c[0] in REVIEW_FIELDS], f"review fields in the versions: {changes}"
		)
		self.assertEqual(order.review_decision, "Held for Review")  # still waits for Warehouse
		act(reviewer("Warehouse"), order, "Approve")
		changes = version_changes(order.name)
		noise = [c for c in changes if c[1] in EMPTY and c[2] in EMPTY]
		self.assertFalse(noise, f"0/null noise in the versions: {noise}")
		self.assertFalse([c for c in changes if c[0] in REVIEW_FIELDS], changes)
		self.assertEqual(order.review_decision, "Approved")


class TestMessagesInTheRecipientsLanguage(FrappeTestCase):
	def setUp(self):
		self.zh_reviewer = role_user("finance-reviewer-zh", ["Finance Reviewer"])
		frappe.db.set_value("User", self.zh_reviewer, "language", "zh")
		self.addCleanup(frappe.db.set_value, "User", self.zh_reviewer, "language", None)

	def test_review_todo_is_written_in_each_reviewers_language(self):
		order = two_stage_order()
		todos = dict(
			frappe.get_all(
				"ToDo",
				filters={"reference_type": "Customer Order", "reference_name": order.name, "status": "Open"},
				fields=["allocated_to", "description"],
				as_list=True,
			)
		)
		self.assertIn(self.zh_reviewer, todos)
		self.assertIn("审核", todos[self.zh_reviewer])
		self.assertNotIn("Review ", todos[self.zh_reviewer])
		english = todos.get(reviewer("Finance"))
		self.assertTrue(english and english.startswith("Review "), todos)

	def test_decision_alert_is_written_in_the_owners_language(self):
		zh_clerk = role_user("clerk-zh", ["Order Clerk", "Sales User", "Stock User"])
		frappe.db.set_value("User", zh_clerk, "language", "zh")
		self.addCleanup(frappe.db.set_value, "User", zh_clerk, "language", None)
		order = two_stage_order(as_user=zh_clerk)
		act(reviewer("Finance"), order, "Reject", "no")
		subject = frappe.get_all(
			"Notification Log",
			filters={"for_user": zh_clerk, "document_name": order.name},
			pluck="subject",
		)
		self.assertTrue(subject)
		self.assertIn("阶段", subject[0])
