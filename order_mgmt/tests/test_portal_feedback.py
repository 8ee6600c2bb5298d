"""Feedback after delivery (order_mgmt/portal/feedback.py, the order page's feedback form): once per
order, only once delivered, only the customer's own orders; the fields are server-owned; desk users
see the rating on the order and in the Customer Satisfaction report."""

import frappe
from frappe.utils import nowdate

from order_mgmt.order_mgmt.report.customer_satisfaction import customer_satisfaction
from order_mgmt.portal import feedback
from order_mgmt.tests.test_portal import PortalTestCase
from order_mgmt.tests.test_portal_ordering import PortalOrderingCase
from order_mgmt.tests.utils import acting_as, clerk, manager, order_doc


class TestFeedback(PortalTestCase):
	def test_a_delivered_order_is_rated_once_and_desk_users_see_it(self):
		name = self.mine.order.name
		self.assertIn(frappe.db.get_value("Customer Order", name, "status"), feedback.FEEDBACK_STATUSES)
		response, html = self.render(f"/my-orders/{name}", self.user)
		self.assertEqual(response.status_code, 200)
		self.assertIn('id="feedback-form"', html)
		self.assertIn('id="feedback-rating"', html)

		with acting_as(self.user):
			for bad in (0, 6, "five", None, 4.5):
				with self.assertRaises(feedback.FeedbackError):
					feedback.leave_feedback(name, bad, "x")
			self.assertEqual(
				feedback.leave_feedback(name, "4", "  Quick delivery  "), {"name": name, "rating": 4}
			)
			with self.assertRaises(feedback.FeedbackError) as refused:
				feedback.leave_feedback(name, 1, "changed my mind")
		self.assertIn(name, str(refused.exception))
		row = frappe.db.get_value(
			"Customer Order", name, ["feedback_rating", "feedback_comment", "feedback_on"], as_dict=True
		)
		self.assertEqual((row.feedback_rating, row.feedback_comment), (4, "Quick delivery"))
		self.assertTrue(row.feedback_on)

		response, html = self.render(f"/my-orders/{name}", self.user)
		self.assertNotIn('id="feedback-form"', html)
		self.assertIn('id="order-feedback" data-rating="4"', html)
		self.assertIn("Quick delivery", html)

		# desk users read it on the order and in the report
		with acting_as(manager()):
			doc = frappe.get_doc("Customer Order", name)
			self.assertEqual((doc.feedback_rating, doc.feedback_comment), (4, "Quick delivery"))
			_columns, data, _message, _chart = customer_satisfaction.execute(
				{"from_date": nowdate(), "to_date": nowdate()}
			)
		month = nowdate()[:7]
		totals = [r for r in data if r["month"] == month and r["is_total"]]
		self.assertEqual(len(totals), 1)
		self.assertGreaterEqual(totals[0]["responses"], 1)
		self.assertTrue(any(r["month"] == month and not r["is_total"] for r in data))

	def test_feedback_fields_are_server_owned(self):
		"""Not through the desk or the REST API: only the portal method writes them."""
		delivery, _user = self.fresh()
		name = delivery.order.name
		with acting_as(manager()):
			doc = frappe.get_doc("Customer Order", name)
			doc.feedback_rating = 1
			doc.feedback_comment = "forged"
			try:
				doc.save()
			except frappe.ValidationError:
				pass  # Frappe's own "cannot change after submit" is as good
		self.assertEqual(
			frappe.db.get_value("Customer Order", name, ["feedback_rating", "feedback_comment"]), (0, None)
		)
		# a new order sent with feedback (frappe.client.insert, /api/resource): discarded
		with acting_as(clerk()):
			draft = frappe.client.insert(
				order_doc(
					delivery.customer,
					[{"item_code": delivery.item, "qty": 1}],
					feedback_rating=5,
					feedback_comment="forged",
					feedback_on="2026-01-01 00:00:00",
				).as_dict()
			)
		self.assertEqual(
			frappe.db.get_value(
				"Customer Order", draft["name"], ["feedback_rating", "feedback_comment", "feedback_on"]
			),
			(0, None, None),
		)
		from order_mgmt.order_mgmt.doctype.customer_order.customer_order import CustomerOrder

		for field in ("feedback_rating", "feedback_comment", "feedback_on"):
			self.assertIn(field, CustomerOrder.server_owned_fields)

	def test_another_customers_order_cannot_be_rated(self):
		theirs = self.theirs.order.name
		with acting_as(self.user):
			for name in (theirs, "CO-NO-SUCH"):
				with self.assertRaises(frappe.PermissionError):
					feedback.leave_feedback(name, 5, "not mine")
		self.assertFalse(frappe.db.get_value("Customer Order", theirs, "feedback_rating"))


class TestFeedbackBeforeDelivery(PortalOrderingCase):
	def test_an_order_not_delivered_cannot_be_rated(self):
		name = self.place()["name"]
		response, html = self.render(f"/my-orders/{name}", self.user)
		self.assertNotIn('id="feedback-form"', html)
		self.assertIn('id="change-order"', html)  # in review: it can still be changed
		with acting_as(self.user), self.assertRaises(feedback.FeedbackError) as refused:
			feedback.leave_feedback(name, 5, "too early")
		self.assertIn("delivered", str(refused.exception))
		self.assertFalse(frappe.db.get_value("Customer Order", name, "feedback_rating"))

	def test_feedback_speaks_chinese(self):
		name = self.place()["name"]
		self.addCleanup(setattr, frappe.local, "lang", frappe.local.lang)
		frappe.local.lang = "zh"
		with acting_as(self.user), self.assertRaises(feedback.FeedbackError) as refused:
			feedback.leave_feedback(name, 5, "too early")
		self.assertIn("交货", str(refused.exception))
