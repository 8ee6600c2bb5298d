"""Child tables are listed with their parent's record-level rules: Frappe's list APIs on a child DocType
(frappe.client.get_list and frappe.desk.reportview.get with a parent DocType) check only the parent's
role permission, so the app's permission_query_conditions cover the child DocTypes too
(review/permissions.py, returns/permissions.py)."""

import json

import frappe
import frappe.client
import frappe.desk.reportview
from frappe.tests.utils import FrappeTestCase

from order_mgmt.tests.test_return_request import delivered_order, make_request
from order_mgmt.tests.utils import acting_as, clerk, make_customer, make_item, make_order, make_user, manager

LINE_FIELDS = ["parent", "item_code", "qty", "rate"]


def lines_via_client(orders: list[str]) -> set[str]:
	rows = frappe.client.get_list(
		"Customer Order Item",
		fields=LINE_FIELDS,
		filters={"parent": ("in", orders)},
		parent="Customer Order",
		limit_page_length=0,
	)
	return {row["parent"] for row in rows}


def parents_listed(child: str, parent: str, names: list[str]) -> set[str]:
	rows = frappe.client.get_list(
		child, fields=["parent"], filters={"parent": ("in", names)}, parent=parent, limit_page_length=0
	)
	return {row["parent"] for row in rows}


def lines_via_reportview(orders: list[str]) -> set[str]:
	frappe.local.form_dict = frappe._dict(
		doctype="Customer Order Item",
		fields=json.dumps([f"`tabCustomer Order Item`.`{field}`" for field in LINE_FIELDS]),
		filters=json.dumps([["Customer Order Item", "parent", "in", orders]]),
		parent_doctype="Customer Order",
		page_length=0,
	)
	try:
		result = frappe.desk.reportview.get()
	finally:
		frappe.local.form_dict = frappe._dict()
	index = result["keys"].index("parent") if result else 0
	return {row[index] for row in (result or {}).get("values", [])}


class TestChildTableAccess(FrappeTestCase):
	def setUp(self):
		self.clerk_a, self.clerk_b = make_user(["Order Clerk"]), make_user(["Order Clerk"])
		customer, item = make_customer(), make_item(rate=100)
		self.order_a = make_order(customer, [{"item_code": item, "qty": 1}], as_user=self.clerk_a).name
		self.order_b = make_order(customer, [{"item_code": item, "qty": 2}], as_user=self.clerk_b).name
		self.orders = [self.order_a, self.order_b]

	def test_a_clerk_lists_the_lines_of_their_own_orders_only(self):
		for list_lines in (lines_via_client, lines_via_reportview):
			with acting_as(self.clerk_a):
				self.assertEqual(list_lines(self.orders), {self.order_a}, list_lines.__name__)
			with acting_as(self.clerk_b):
				self.assertEqual(list_lines(self.orders), {self.order_b}, list_lines.__name__)

	def test_a_manager_lists_every_orders_lines(self):
		for list_lines in (lines_via_client, lines_via_reportview):
			with acting_as(manager()):
				self.assertEqual(list_lines(self.orders), set(self.orders), list_lines.__name__)

	def test_return_request_rows_follow_the_request(self):
		request = make_request(delivered_order(qty=2), [{"qty": 1}])
		outsider = self.clerk_a
		for child in ("Return Request Item", "Return Request Review"):
			with acting_as(outsider):
				self.assertEqual(parents_listed(child, "Return Request", [request.name]), set(), child)
		with acting_as(clerk()):
			self.assertEqual(
				parents_listed("Return Request Item", "Return Request", [request.name]), {request.name}
			)
		with acting_as(outsider):  # the hold reasons and review checks of others' orders: none either
			self.assertEqual(
				parents_listed("Customer Order Hold Reason", "Customer Order", self.orders), set()
			)
			self.assertEqual(
				parents_listed(
					"Order Review Check", "Order Review", frappe.get_all("Order Review", pluck="name")
				),
				set(),
			)
