"""The portal's order list, /my-orders (order_mgmt/portal/orders.py order_list): paginated, filtered by
status, order date range and a search in order number and PO reference — the customer's own orders
only, whatever the filters say."""

from unittest.mock import patch
from urllib.parse import parse_qs, urlparse

import frappe
from frappe.utils import add_days, nowdate

from order_mgmt.portal import ordering
from order_mgmt.portal import orders as portal_orders
from order_mgmt.tests.test_portal_ordering import PortalOrderingCase
from order_mgmt.tests.utils import acting_as, make_order


class TestOrderList(PortalOrderingCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.po = frappe.generate_hash(length=8).upper()
		cls.pending = cls.place_as(cls.user, f"ALPHA-{cls.po}-1")
		cls.cancelled = cls.place_as(cls.user, f"BETA-{cls.po}-2")
		with acting_as(cls.user):
			ordering.cancel_order(cls.cancelled, "no longer needed")
		cls.old = make_order(
			cls.customer, [{"item_code": cls.second_item, "qty": 2}], submit=True, customer_po=f"OLD-{cls.po}"
		).name
		frappe.db.set_value("Customer Order", cls.old, "order_date", add_days(nowdate(), -30))
		cls.theirs = cls.place_as(cls.other_user, f"ALPHA-{cls.po}-9")

	@classmethod
	def place_as(cls, user, po) -> str:
		from uuid import uuid4

		cart = {
			"items": [{"item_code": cls.item, "qty": 1}],
			"delivery_date": add_days(nowdate(), 3),
			"customer_po": po,
		}
		with acting_as(user):
			return ordering.place_order(frappe.as_json(cart), str(uuid4()))["name"]

	def names(self, **filters) -> list[str]:
		with acting_as(self.user):
			return [row.name for row in portal_orders.order_list(filters=filters).orders]

	def test_filters_by_status_date_range_and_search(self):
		self.assertEqual(set(self.names()), {self.pending, self.cancelled, self.old})
		self.assertEqual(self.names(status="Cancelled"), [self.cancelled])
		self.assertEqual(self.names(status="Pending Review"), [self.pending])
		self.assertEqual(set(self.names(from_date=add_days(nowdate(), -5))), {self.pending, self.cancelled})
		self.assertEqual(self.names(to_date=add_days(nowdate(), -5)), [self.old])
		self.assertEqual(
			self.names(from_date=add_days(nowdate(), -40), to_date=add_days(nowdate(), -20)), [self.old]
		)
		# the search: PO reference or order number, the customer's own orders only
		self.assertEqual(self.names(q=f"ALPHA-{self.po}"), [self.pending])
		self.assertEqual(self.names(q=self.old), [self.old])
		self.assertEqual(self.names(q=self.theirs), [])
		self.assertEqual(self.names(q="%"), [])  # LIKE's wildcards are taken literally
		self.assertEqual(self.names(q="_"), [])

	def test_a_filter_naming_another_customer_or_nonsense_is_ignored(self):
		"""Only status, dates and search are read; a customer in the query string changes nothing."""
		response, html = self.render(
			"/my-orders",
			self.user,
			customer=self.other_customer,
			status="'; drop table x; --",
			from_date="not a date",
			q=f"{self.po}",
		)
		self.assertEqual(response.status_code, 200)
		self.assertIn(self.pending, html)
		self.assertNotIn(self.theirs, html)
		self.assertIn('id="order-filters"', html)

	def test_pages_keep_their_filters(self):
		with patch.object(portal_orders, "PAGE_LENGTH", 1):
			response, html = self.render("/my-orders", self.user, q=self.po)
			self.assertEqual(response.status_code, 200)
			self.assertIn('id="orders-older"', html)
			self.assertNotIn('id="orders-newer"', html)
			with acting_as(self.user):
				first = portal_orders.order_list(filters={"q": self.po})
				second = portal_orders.order_list(page=2, filters={"q": self.po})
				third = portal_orders.order_list(page=3, filters={"q": self.po})
			self.assertEqual(parse_qs(urlparse(first.older_url).query), {"q": [self.po], "page": ["2"]})
			self.assertEqual(parse_qs(urlparse(second.newer_url).query), {"q": [self.po], "page": ["1"]})
			self.assertFalse(third.has_next)
			seen = [page.orders[0].name for page in (first, second, third)]
			self.assertEqual(set(seen), {self.pending, self.cancelled, self.old})
			self.assertEqual(seen[-1], self.old)  # newest first: the backdated order last

	def test_no_matching_orders_says_so(self):
		response, html = self.render("/my-orders", self.user, q="NO-SUCH-ORDER-XYZ")
		self.assertIn('id="no-matching-orders"', html)
		self.assertIn('id="filter-clear"', html)
		self.addCleanup(setattr, frappe.local, "lang", frappe.local.lang)
		frappe.local.lang = "zh"
		_response, html = self.render("/my-orders", self.user, q="NO-SUCH-ORDER-XYZ")
		self.assertIn("没有符合筛选条件的订单", html)

	def test_the_list_query_has_its_index(self):
		"""customer, order_date, creation: one customer's orders newest first, read in index order."""
		self.assertTrue(frappe.db.has_index("tabCustomer Order", "customer_order_date_creation"))
