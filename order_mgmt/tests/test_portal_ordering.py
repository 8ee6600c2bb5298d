"""Ordering in the customer portal (order_mgmt/portal/ordering.py, /my-orders/new): a portal customer
places an order that is priced, validated and reviewed like a desk order; whatever the browser sends
for prices, customer, company or channel is ignored; one order per idempotency key; placement is
rate-limited; re-order and cancel-in-review act on the customer's own orders only."""

from urllib.parse import quote
from uuid import uuid4

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, flt, nowdate, set_request

from order_mgmt.erpnext_bridge.sales_order import price_order
from order_mgmt.portal import ordering
from order_mgmt.review.workflow import take_action
from order_mgmt.tests.test_portal import PortalTestCase, make_portal_user
from order_mgmt.tests.utils import (
	acting_as,
	company,
	count,
	make_customer,
	make_item,
	make_order,
	order_doc,
	reviewer,
	run_concurrently,
	unique,
)

STANDARD_RATE = 100.0
CUSTOMER_RATE = 80.0


def make_price_list(rates: dict[str, float]) -> str:
	"""A selling price list of the company's currency with the given item rates."""
	name = unique("OMT Portal PL")
	frappe.get_doc(
		{
			"doctype": "Price List",
			"price_list_name": name,
			"selling": 1,
			"enabled": 1,
			"currency": frappe.get_cached_value("Company", company(), "default_currency"),
		}
	).insert()
	for item_code, rate in rates.items():
		frappe.get_doc(
			{"doctype": "Item Price", "item_code": item_code, "price_list": name, "price_list_rate": rate}
		).insert()
	return name


def make_address(customer: str) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Address",
				"address_title": unique("OMT Warehouse"),
				"address_type": "Shipping",
				"address_line1": "1 Test Road",
				"city": "Shanghai",
				"country": frappe.get_cached_value("Company", company(), "country"),
				"is_shipping_address": 1,
				"links": [{"link_doctype": "Customer", "link_name": customer}],
			}
		)
		.insert()
		.name
	)


class PortalOrderingCase(PortalTestCase):
	"""A customer with their own price list (CUSTOMER_RATE, the standard list says STANDARD_RATE), an
	address and a portal user; another customer with their portal user."""

	@classmethod
	def setUpClass(cls):
		super(PortalTestCase, cls).setUpClass()  # not PortalTestCase's delivered orders
		from frappe.website.utils import clear_website_cache

		clear_website_cache()
		cls.item = make_item(rate=STANDARD_RATE)
		cls.second_item = make_item(rate=STANDARD_RATE)
		cls.price_list = make_price_list({cls.item: CUSTOMER_RATE, cls.second_item: CUSTOMER_RATE})
		cls.customer = make_customer(default_price_list=cls.price_list)
		cls.address = make_address(cls.customer)
		cls.user = make_portal_user(cls.customer, key="orders")
		cls.other_customer = make_customer()
		cls.other_user = make_portal_user(cls.other_customer, key="other-orders")

	def tearDown(self):
		frappe.response.pop("portal_errors", None)
		super().tearDown()

	def cart(self, lines=None, **fields) -> dict:
		return {
			"items": lines if lines is not None else [{"item_code": self.item, "qty": 3}],
			"delivery_date": add_days(nowdate(), 3),
			"customer_po": unique("PO"),  # the duplicate guard refuses the same lines twice a day
			**fields,
		}

	def place(self, user=None, cart=None, key=None, **kwargs) -> dict:
		with acting_as(user or self.user):
			return ordering.place_order(frappe.as_json(cart or self.cart()), key or str(uuid4()), **kwargs)


class TestPortalOrdering(PortalOrderingCase):
	# --- placing -------------------------------------------------------------------------------

	def test_a_placed_order_is_a_portal_order_at_the_customers_prices_pending_sales_review(self):
		key = str(uuid4())
		cart = self.cart(shipping_address_name=self.address, customer_po="PO-PORTAL-1", notes="Ring twice")
		result = self.place(cart=cart, key=key)

		order = frappe.get_doc("Customer Order", result["name"])
		self.assertEqual(
			(order.customer, order.company, order.channel, order.docstatus),
			(self.customer, company(), "Portal", 1),
		)
		self.assertEqual((order.workflow_state, order.status), ("Pending Sales Review", "Pending Review"))
		self.assertEqual(result["route"], f"/my-orders/{order.name}")
		self.assertFalse(result["duplicate"])
		self.assertEqual(order.owner, self.user)
		self.assertTrue(
			frappe.db.exists(
				"Comment",
				{
					"reference_doctype": "Customer Order",
					"reference_name": order.name,
					"content": ("like", f"%{self.user}%"),
				},
			)
		)
		self.assertEqual(
			(order.shipping_address_name, order.customer_po, order.notes, order.portal_request_key),
			(self.address, "PO-PORTAL-1", "Ring twice", key),
		)
		(line,) = order.items
		self.assertEqual((line.item_code, line.qty, line.rate), (self.item, 3, CUSTOMER_RATE))
		self.assertEqual(order.price_list, self.price_list)
		# the portal's reason for review is recorded like any other
		self.assertEqual(
			count("Order Review", customer_order=order.name, stage="Sales", decision="Pending"), 1
		)

		# the same numbers as a desk order of the same lines
		desk = order_doc(self.customer, [{"item_code": self.item, "qty": 3}])
		price_order(desk)
		self.assertEqual(
			(flt(order.net_total), flt(order.grand_total)), (flt(desk.net_total), flt(desk.grand_total))
		)

		# and the customer sees it in their list
		response, html = self.render("/my-orders", self.user)
		self.assertEqual(response.status_code, 200)
		self.assertIn(order.name, html)

	def test_the_price_call_answers_the_servers_prices_taxes_and_totals(self):
		with acting_as(self.user):
			priced = ordering.price_cart(
				frappe.as_json(self.cart([{"item_code": self.item, "qty": 2, "rate": 1}]))
			)
		self.assertEqual(priced["errors"], [])
		(line,) = priced["lines"]
		self.assertEqual((line["row"], line["item_code"], line["qty"]), (1, self.item, "2"))
		self.assertIn("80.00", line["rate"])
		self.assertIn("160.00", line["amount"])
		self.assertIn("160.00", priced["totals"]["net_total"])
		self.assertEqual(count("Customer Order", customer=self.customer, docstatus=0), 0)  # nothing saved

	def test_rates_customer_company_and_channel_sent_by_the_browser_are_ignored(self):
		other_company = frappe.get_all("Company", filters={"name": ("!=", company())}, pluck="name", limit=1)
		cart = self.cart(
			[
				{
					"item_code": self.item,
					"qty": 1,
					"rate": 1,
					"price_list_rate": 1,
					"discount_percentage": 90,
					"amount": 1,
					"warehouse": "No Such Warehouse",
				}
			],
			customer=self.other_customer,
			company=(other_company or ["Forged Company"])[0],
			channel="Desk",
			grand_total=1,
			price_list="Standard Selling",
			portal_request_key="forged-key-000",
			status="Approved",
			workflow_state="Approved",
		)
		order = frappe.get_doc("Customer Order", self.place(cart=cart)["name"])
		self.assertEqual(
			(order.customer, order.company, order.channel, order.workflow_state),
			(self.customer, company(), "Portal", "Pending Sales Review"),
		)
		self.assertEqual((order.items[0].rate, order.items[0].discount_percentage), (CUSTOMER_RATE, 0))
		self.assertNotEqual(order.portal_request_key, "forged-key-000")

		# a customer the user does not act for looks like one that does not exist
		with self.assertRaises(frappe.PermissionError):
			self.place(customer=self.other_customer)

	def test_the_same_request_key_twice_places_one_order(self):
		key = str(uuid4())
		first = self.place(key=key)
		second = self.place(key=key, cart=self.cart([{"item_code": self.item, "qty": 7}]))
		self.assertEqual(second["name"], first["name"])
		self.assertTrue(second["duplicate"])
		self.assertEqual(count("Customer Order", customer=self.customer, portal_request_key=key), 1)
		self.assertEqual(frappe.db.get_value("Customer Order Item", {"parent": first["name"]}, "qty"), 3)

		# the key is the customer's own: another customer's cart with it is their own order
		theirs = self.place(user=self.other_user, key=key)
		self.assertNotEqual(theirs["name"], first["name"])
		self.assertEqual(
			frappe.db.get_value("Customer Order", theirs["name"], "customer"), self.other_customer
		)

	def test_an_item_that_cannot_be_sold_is_refused_naming_its_row(self):
		not_for_sale = make_item(rate=10, is_sales_item=0)
		before = count("Customer Order", customer=self.customer)
		lines = [{"item_code": self.item, "qty": 1}, {"item_code": not_for_sale, "qty": 1}]
		with self.assertRaises(ordering.PortalOrderError) as refused:
			self.place(cart=self.cart(lines))
		self.assertIn("Row 2", str(refused.exception))
		self.assertIn(not_for_sale, str(refused.exception))
		self.assertEqual(
			[(e["row"], e["field"]) for e in frappe.response["portal_errors"]], [(2, "item_code")]
		)
		self.assertEqual(count("Customer Order", customer=self.customer), before)

		# every line's problem at once, each with its row and field
		with acting_as(self.user):
			priced = ordering.price_cart(
				frappe.as_json(
					self.cart([{"item_code": self.item, "qty": 0}, {"item_code": "NO-SUCH", "qty": 1}])
				)
			)
		self.assertEqual([(e["row"], e["field"]) for e in priced["errors"]], [(1, "qty"), (2, "item_code")])

	def test_the_same_lines_again_with_a_new_key_meet_the_duplicate_guard(self):
		"""Idempotency is per cart; a second cart with the same lines and PO reference is a duplicate
		order, which intake refuses for every channel."""
		cart = self.cart(customer_po=unique("PO-DUP"))
		first = self.place(cart=cart)
		with self.assertRaises(ordering.PortalOrderError) as refused:
			self.place(cart=cart)
		self.assertIn(first["name"], str(refused.exception))
		self.assertEqual(count("Customer Order", customer=self.customer, customer_po=cart["customer_po"]), 1)

	def test_an_intake_refusal_names_the_row(self):
		"""The DocType's own checks run on portal orders: a fractional quantity of a whole-number UOM."""
		with self.assertRaises(ordering.PortalOrderError) as refused:
			self.place(
				cart=self.cart([{"item_code": self.item, "qty": 1}, {"item_code": self.item, "qty": 1.5}])
			)
		self.assertIn("Row 2", str(refused.exception))
		self.assertEqual([e["row"] for e in frappe.response["portal_errors"]], [2])

	def test_another_customers_address_and_a_past_delivery_date_are_refused(self):
		their_address = make_address(self.other_customer)
		with self.assertRaises(ordering.PortalOrderError):
			self.place(
				cart=self.cart(shipping_address_name=their_address, delivery_date=add_days(nowdate(), -1))
			)
		self.assertEqual(
			sorted(e["field"] for e in frappe.response["portal_errors"]),
			["delivery_date", "shipping_address_name"],
		)

	def test_placing_orders_is_rate_limited_per_user(self):
		cmd = "order_mgmt.portal.ordering.place_order"
		set_request(method="POST", path=f"/api/method/{cmd}")
		counter = frappe.cache.make_key(f"rl:{cmd}:{self.user}")
		self.addCleanup(frappe.cache.delete, counter)
		frappe.cache.setex(counter, ordering.PLACE_ORDER_WINDOW, ordering.PLACE_ORDER_LIMIT)
		before = count("Customer Order", customer=self.customer)
		with acting_as(self.user):
			frappe.local.form_dict = frappe._dict(cmd=cmd)  # as the request handler sets it
			with self.assertRaises(frappe.RateLimitExceededError):
				ordering.place_order(frappe.as_json(self.cart()), str(uuid4()), customer=self.customer)
		self.assertEqual(count("Customer Order", customer=self.customer), before)

		# the limit is the user's, whatever the request says: another user still places orders
		other_counter = frappe.cache.make_key(f"rl:{cmd}:{self.other_user}")
		self.addCleanup(frappe.cache.delete, other_counter)
		with acting_as(self.other_user):
			frappe.local.form_dict = frappe._dict(cmd=cmd, _portal_rate_limit_user=self.user)
			ordering.place_order(frappe.as_json(self.cart()), str(uuid4()))
		self.assertEqual(int(frappe.cache.get(other_counter)), 1)

	# --- re-order ------------------------------------------------------------------------------

	def test_order_again_prefills_the_lines_and_lists_items_no_longer_sold(self):
		retired = make_item(rate=STANDARD_RATE)
		placed = self.place(
			cart=self.cart([{"item_code": self.second_item, "qty": 4}, {"item_code": retired, "qty": 2}])
		)
		frappe.db.set_value("Item", retired, "disabled", 1)
		with acting_as(self.user):
			again = ordering.reorder_lines(placed["name"])
		self.assertEqual([(line.item_code, line.qty) for line in again.lines], [(self.second_item, 4)])
		self.assertEqual([item.item_code for item in again.unavailable], [retired])

		response, html = self.render("/my-orders/new", self.user, **{"from": placed["name"]})
		self.assertEqual(response.status_code, 200)
		self.assertIn('id="portal-order-form"', html)
		self.assertIn(self.second_item, html)
		self.assertIn('class="alert alert-warning portal-unavailable"', html)
		self.assertIn(f'data-item="{retired}"', html)
		self.assertIn("place_order", html)  # the page script

		response, html = self.render(f"/my-orders/{placed['name']}", self.user)
		self.assertIn(f"/my-orders/new?from={quote(placed['name'])}", html)

	def test_another_customers_order_cannot_be_reordered_or_cancelled(self):
		theirs = self.place(user=self.other_user)["name"]
		with acting_as(self.user):
			for call in (
				lambda: ordering.reorder_lines(theirs),
				lambda: ordering.cancel_order(theirs, "not mine"),
				lambda: ordering.reorder_lines("CO-NO-SUCH-ORDER"),
			):
				with self.assertRaises(frappe.PermissionError):
					call()
		response, html = self.render("/my-orders/new", self.user, **{"from": theirs})
		self.assertEqual(response.status_code, 403)
		self.assertEqual(frappe.db.get_value("Customer Order", theirs, "docstatus"), 1)

	# --- cancel while in review ----------------------------------------------------------------

	def test_an_order_in_review_can_be_cancelled_with_a_reason(self):
		name = self.place()["name"]
		response, html = self.render(f"/my-orders/{name}", self.user)
		self.assertIn('id="portal-cancel-form"', html)
		self.assertEqual(count("ToDo", reference_name=name, status="Open") > 0, True)

		with acting_as(self.user), self.assertRaises(ordering.PortalOrderError):
			ordering.cancel_order(name, "  ")
		with acting_as(self.user):
			result = ordering.cancel_order(name, "Ordered the wrong size")
		order = frappe.get_doc("Customer Order", name)
		self.assertEqual(
			(
				order.docstatus,
				order.status,
				order.workflow_state,
				order.cancellation_reason,
				result["status"],
			),
			(2, "Cancelled", "Cancelled", "Ordered the wrong size", "Cancelled"),
		)
		self.assertEqual(order.modified_by, self.user)
		self.assertEqual(count("ToDo", reference_name=name, status="Open"), 0)  # reviewers' tasks closed

		response, html = self.render(f"/my-orders/{name}", self.user)
		self.assertNotIn('id="portal-cancel-form"', html)

	def test_an_approved_order_cannot_be_cancelled_from_the_portal(self):
		name = self.place()["name"]
		with acting_as(reviewer("Sales")):
			take_action(name, "Approve", expected_state="Pending Sales Review")
		self.assertEqual(frappe.db.get_value("Customer Order", name, "workflow_state"), "Approved")
		response, html = self.render(f"/my-orders/{name}", self.user)
		self.assertNotIn('id="portal-cancel-form"', html)

		with acting_as(self.user), self.assertRaises(ordering.CancelNotAllowedError) as refused:
			ordering.cancel_order(name, "too late")
		self.assertIn(name, str(refused.exception))
		self.assertEqual(frappe.db.get_value("Customer Order", name, "docstatus"), 1)

		# a desk order auto-approved on submit is refused the same way
		desk = make_order(self.customer, [{"item_code": self.item, "qty": 1}], submit=True)
		with acting_as(self.user), self.assertRaises(ordering.CancelNotAllowedError):
			ordering.cancel_order(desk.name, "too late")

	# --- the pages -----------------------------------------------------------------------------

	def test_the_new_order_page_offers_the_customers_addresses(self):
		response, html = self.render("/my-orders", self.user)
		self.assertIn('href="/my-orders/new"', html)
		response, html = self.render("/my-orders/new", self.user)
		self.assertEqual(response.status_code, 200)
		self.assertIn(f'value="{self.address}"', html)
		self.assertNotIn(make_address(self.other_customer), html)

		response, _html = self.render("/my-orders/new", "Guest")
		self.assertEqual(response.status_code, 302)

		with acting_as(self.user):
			found = ordering.search_items(self.item)
		self.assertEqual([item["item_code"] for item in found], [self.item])

	def test_the_ordering_pages_speak_chinese(self):
		self.addCleanup(setattr, frappe.local, "lang", frappe.local.lang)
		frappe.local.lang = "zh"
		_response, html = self.render("/my-orders/new", self.user)
		self.assertIn("下单", html)
		with acting_as(self.user), self.assertRaises(ordering.PortalOrderError) as refused:
			self.place(cart=self.cart([{"item_code": "NO-SUCH", "qty": 1}]))
		self.assertIn("第 1 行", str(refused.exception))


class TestConcurrentPlacement(FrappeTestCase):
	def test_a_double_click_places_one_order(self):
		"""Two requests with one cart's key at once: the second waits for the customer lock, then must
		see the first one's order (a locking read: its snapshot predates the first's commit)."""
		item = make_item(rate=50)
		customer = make_customer()
		user = make_portal_user(customer, key="double")
		frappe.db.commit()  # the other connections must see the customer, item and user
		key = str(uuid4())
		cart = frappe.as_json(
			{"items": [{"item_code": item, "qty": 2}], "delivery_date": add_days(nowdate(), 2)}
		)

		def place():
			frappe.set_user(user)
			return ordering.place_order(cart, key)

		results = run_concurrently([place, place])
		names = {result["name"] for result in results if isinstance(result, dict)}
		self.assertEqual(len(names), 1, results)
		self.assertEqual(count("Customer Order", customer=customer), 1)
