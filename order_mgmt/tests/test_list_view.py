"""The Customer Order list's "Waiting for Me" filter asks the server which review stages the user's
roles review (order_mgmt.review.permissions.get_my_review_stages)."""

import frappe
import frappe.translate
from frappe.tests.utils import FrappeTestCase

from order_mgmt.review.permissions import get_my_review_stages
from order_mgmt.tests.utils import acting_as, clerk, reviewer


class TestWaitingForMe(FrappeTestCase):
	def test_a_reviewer_gets_the_stages_of_their_roles(self):
		with acting_as(reviewer("Sales")):
			self.assertEqual(get_my_review_stages(), ["Sales"])
		with acting_as(reviewer("Finance")):
			self.assertEqual(get_my_review_stages(), ["Finance"])

	def test_a_clerk_reviews_no_stage(self):
		with acting_as(clerk()):
			self.assertEqual(get_my_review_stages(), [])

	def test_it_is_whitelisted_for_desk_users_only(self):
		self.assertIn(get_my_review_stages, frappe.whitelisted)
		website_user = "omt-list-view-website@example.com"
		if not frappe.db.exists("User", website_user):
			frappe.get_doc(
				{
					"doctype": "User",
					"email": website_user,
					"first_name": "OMT Website",
					"send_welcome_email": 0,
					"user_type": "Website User",
				}
			).insert(ignore_permissions=True)
		self.assertEqual(frappe.db.get_value("User", website_user, "user_type"), "Website User")
		for user in (website_user, "Guest"):
			with acting_as(user), self.assertRaises(frappe.PermissionError):
				get_my_review_stages()


class TestDeskWordingInChinese(FrappeTestCase):
	def test_the_site_translates_the_desk_wording(self):
		frappe.translate.clear_cache()  # cached per site; zh.csv may have changed since the last run
		self.assertEqual(frappe._("Desk", "zh", "Customer Order"), "后台录入")
		# Frappe's Select formatter (read-only field, list and report views) translates with no context,
		# so the context-less word reads the same (README: "Global settings this app changes").
		self.assertEqual(frappe._("Desk", "zh"), "后台录入")
		self.assertEqual(frappe._("Submit for Review", "zh"), "提交审核")
		self.assertEqual(frappe._("{} Short", "zh"), "{} 单缺货")
		self.assertEqual(frappe._("Pending {0} Review", "zh").format(frappe._("Sales", "zh")), "待销售审核")
