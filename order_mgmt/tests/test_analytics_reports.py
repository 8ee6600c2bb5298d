"""Management analytics, second set: the Delivery Performance, Order Accuracy and Sales Analysis
reports on small hand-built sets of orders with known numbers, run as a manager through the desk's
report runner; the shared filter script; the number cards and charts of the Order Management
dashboard."""

import frappe
from frappe.desk.query_report import get_script, run
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, nowdate

from order_mgmt.accounting.invoicing import create_sales_invoice
from order_mgmt.analytics import facts
from order_mgmt.fulfilment.picking import deliver_order
from order_mgmt.fulfilment.shortage import decide_shortage
from order_mgmt.orders.cancellation import cancel_order
from order_mgmt.review.workflow import take_action
from order_mgmt.tests.test_return_request import make_request
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	company,
	make_customer,
	make_item,
	make_order,
	manager,
	receive_stock,
	reviewer,
	role_user,
	unique,
)

REPORTS = (
	"Delivery Performance",
	"Order Accuracy",
	"Sales Analysis",
	"Review Performance",
	"Order Cycle Time",
)


def run_report(report: str, user: str, **filters) -> dict:
	filters = {
		"company": company(),
		"from_date": add_days(nowdate(), -10),
		"to_date": add_days(nowdate(), 10),
		**filters,
	}
	with acting_as(user):
		return run(report, filters=filters, ignore_prepared_report=True)


def rows(result: dict) -> list[dict]:
	return [row for row in result["result"] if isinstance(row, dict)]


def picker() -> str:
	return role_user("picker", ["Stock User", "Stock Manager"])


def refresh_facts(customer: str) -> None:
	"""The customer's Order and Sales Analytics Facts after the dates written directly above (no
	events): what a commit's recomputation of the marked orders and vouchers, or a backfill, writes."""
	facts.refresh(frappe.get_all("Customer Order", filters={"customer": customer}, pluck="name"))
	for doctype in facts.SALES_VOUCHERS:
		names = frappe.get_all(doctype, filters={"customer": customer}, pluck="name")
		if names:
			facts.refresh_sales(doctype, names)


def deliver(order, on_day: int) -> str:
	with acting_as(picker()):
		note = deliver_order(order.name)
	frappe.db.set_value(
		"Delivery Note", note, "posting_date", add_days(nowdate(), on_day), update_modified=False
	)
	return note


class TestDeliveryPerformance(FrappeTestCase):
	"""Promised in 5 days (the orders' delivery date) unless said otherwise:
	A: 5 of a scarce item (3 in stock, Ship Partially) and 2 of another: delivered on day 1 (3 + 2)
	and day 3 (the other 2, after stock arrived) — both lines on time, a partial shipment;
	B: delivered on day 7 — late;
	C: promised yesterday (its Sales Order line moved), not delivered — overdue;
	D: 2 of an item out of stock, backordered, ordered 4 days ago — open, an open backorder 4 days old.
	Lines: 2 on time of 4 due (50 %), orders: 1 on time of 3 (33.33 %)."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		rule = frappe.db.get_value("Order Review Rule", "Stock shortage", "enabled")
		frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", 0)
		try:
			cls.customer = make_customer()
			scarce, plenty, none = make_item(stock_qty=3), make_item(stock_qty=50), make_item(stock_qty=0)
			cls.a = make_order(
				cls.customer, [{"item_code": scarce, "qty": 5}, {"item_code": plenty, "qty": 2}], submit=True
			)
			cls.b = make_order(cls.customer, [{"item_code": plenty, "qty": 2}], submit=True)
			cls.c = make_order(cls.customer, [{"item_code": plenty, "qty": 1}], submit=True)
			cls.d = make_order(cls.customer, [{"item_code": none, "qty": 2}], submit=True)
		finally:
			frappe.db.set_value("Order Review Rule", "Stock shortage", "enabled", rule)
		with acting_as(clerk()):
			decide_shortage(cls.a.name, cls.a.items[0].name, "Ship Partially")
			decide_shortage(cls.d.name, cls.d.items[0].name, "Backorder")
		cls.first = deliver(cls.a, 1)
		receive_stock(scarce, 2)
		cls.second = deliver(cls.a, 3)
		deliver(cls.b, 7)
		frappe.db.set_value(
			"Sales Order Item", {"parent": cls.c.sales_order}, "delivery_date", add_days(nowdate(), -1)
		)
		frappe.db.set_value("Customer Order", cls.d.name, "order_date", add_days(nowdate(), -4))
		refresh_facts(cls.customer)

	def test_the_orders_are_what_the_report_is_checked_against(self):
		for order in (self.a, self.b, self.c, self.d):
			self.assertTrue(frappe.db.get_value("Customer Order", order.name, "sales_order"))
		self.assertEqual(frappe.db.get_value("Customer Order", self.a.name, "status"), "Delivered")
		self.assertEqual(
			frappe.db.get_value("Customer Order Item", self.d.items[0].name, "shortage_action"), "Backorder"
		)

	def test_week_total(self):
		result = run_report("Delivery Performance", manager(), customer=self.customer)
		total = rows(result)[-1]
		self.assertEqual(total["week"], "Total")
		self.assertEqual(
			{
				k: total[k]
				for k in ("orders", "lines", "on_time_lines", "late_lines", "overdue_lines", "open_lines")
			},
			{
				"orders": 4,
				"lines": 5,
				"on_time_lines": 2,
				"late_lines": 1,
				"overdue_lines": 1,
				"open_lines": 1,
			},
		)
		self.assertEqual((total["line_on_time_rate"], total["order_on_time_rate"]), (50.0, 33.33))
		self.assertEqual((total["on_time_orders"], total["late_orders"]), (1, 2))
		self.assertEqual(total["partial_shipments"], 1)
		self.assertEqual((total["shortage_lines"], total["open_backorders"]), (2, 1))
		self.assertEqual((total["backorder_age_median"], total["backorder_age_max"]), (4.0, 4.0))
		self.assertTrue(result["chart"])

	def test_per_order(self):
		result = run_report("Delivery Performance", manager(), customer=self.customer, view="Order")
		by_order = {row["order"]: row for row in rows(result)}
		self.assertEqual(
			{name: row["outcome"] for name, row in by_order.items()},
			{self.a.name: "On Time", self.b.name: "Late", self.c.name: "Late", self.d.name: "Open"},
		)
		self.assertEqual(by_order[self.a.name]["deliveries"], 2)
		self.assertEqual(str(by_order[self.a.name]["delivered"]), add_days(nowdate(), 3))

	def test_per_shortage_decision(self):
		result = run_report("Delivery Performance", manager(), customer=self.customer, view="Shortage")
		self.assertEqual(
			[(r["decision"], r["lines"], r["open_lines"]) for r in rows(result)],
			[("Backorder", 1, 1), ("Ship Partially", 1, 0), ("Total", 2, 1)],
		)

	def test_filters_narrow_the_orders(self):
		result = run_report("Delivery Performance", manager(), customer=self.customer, order_type="Bulk")
		self.assertEqual(rows(result), [])
		group = frappe.db.get_value("Customer", self.customer, "customer_group")
		result = run_report("Delivery Performance", manager(), customer=self.customer, customer_group=group)
		self.assertEqual(rows(result)[-1]["orders"], 4)
		territory = frappe.db.get_value("Customer", self.customer, "territory")
		result = run_report("Delivery Performance", manager(), customer=self.customer, territory=territory)
		self.assertEqual(rows(result)[-1]["orders"], 4)
		if not frappe.db.exists("Item Group", "OMT Analytics Empty Group"):
			frappe.get_doc(
				{
					"doctype": "Item Group",
					"item_group_name": "OMT Analytics Empty Group",
					"parent_item_group": "All Item Groups",
				}
			).insert()
		for report in ("Delivery Performance", "Review Performance", "Order Cycle Time", "Order Accuracy"):
			result = run_report(
				report, manager(), customer=self.customer, item_group="OMT Analytics Empty Group"
			)
			self.assertEqual(rows(result), [], report)
		result = run_report(
			"Review Performance", manager(), customer=self.customer, item_group="All Item Groups"
		)
		self.assertEqual(rows(result)[-1]["orders"], 4)

	def test_a_clerk_is_refused(self):
		with self.assertRaises(frappe.PermissionError):
			run_report("Delivery Performance", clerk(), customer=self.customer)


class TestOrderAccuracy(FrappeTestCase):
	"""A: accurate; B: cancelled ("Customer changed mind"); C: returned for changes by a reviewer;
	D: delivered, a return requested as Wrong Item; E: amends an approved order (cancelled to change
	it, so counted once, as E). 5 orders: 1 of each (20 %)."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.customer = make_customer()
		item = make_item(stock_qty=50)
		line = [{"item_code": item, "qty": 1}]

		def order(**fields):
			return make_order(cls.customer, line, customer_po=unique("PO"), submit=True, **fields)

		cls.a, cls.b, cls.d, cls.original = order(), order(), order(), order()
		cls.c = order(order_type="Custom")
		with acting_as(manager()):
			cancel_order(cls.b.name, "Customer changed mind")
			cancel_order(cls.original.name, "Change the quantity")
		with acting_as(reviewer("Warehouse")):
			take_action(
				cls.c.name,
				"Return for Changes",
				"wrong delivery address",
				expected_state=frappe.db.get_value("Customer Order", cls.c.name, "workflow_state"),
			)
		cls.e = order(amended_from=cls.original.name)
		deliver(cls.d, 0)
		delivery = frappe._dict(item=item, order=cls.d, customer=cls.customer)
		make_request(delivery, [{"qty": 1, "reason": "Wrong Item"}], submit=True)
		refresh_facts(cls.customer)

	def test_the_orders_are_what_the_report_is_checked_against(self):
		self.assertTrue(self.original.sales_order)
		states = frappe.get_all(
			"Customer Order", filters={"customer": self.customer}, fields=["name", "docstatus", "status"]
		)
		self.assertEqual(len(states), 6)
		self.assertEqual(frappe.db.get_value("Customer Order", self.c.name, "status"), "Returned for Changes")

	def test_week_total(self):
		result = run_report("Order Accuracy", manager(), customer=self.customer)
		total = rows(result)[-1]
		self.assertEqual(total["week"], "Total")
		keys = (
			"orders",
			"changed",
			"returned_for_changes",
			"cancelled",
			"wrong_item",
			"not_as_described",
			"accurate",
		)
		self.assertEqual([total[k] for k in keys], [5, 1, 1, 1, 1, 0, 1])
		self.assertEqual((total["changed_rate"], total["accurate_rate"]), (20.0, 20.0))
		self.assertTrue(result["chart"])

	def test_cancellation_reasons(self):
		result = run_report("Order Accuracy", manager(), customer=self.customer, view="Cancellation Reason")
		self.assertEqual(
			[(r["reason"], r["orders"], r["share"]) for r in rows(result)],
			[("Customer changed mind", 1, 20.0)],
		)

	def test_a_clerk_is_refused(self):
		with self.assertRaises(frappe.PermissionError):
			run_report("Order Accuracy", clerk(), customer=self.customer)


class TestSalesAnalysis(FrappeTestCase):
	"""Items X (sells at 100, valued at 50) and Y (200, valued at 120). Invoiced today: A (2 X: 200,
	cost 100), B (1 Y + 1 X: 300, cost 170), and the customer's first invoice (a service at 1, no
	Sales Order, no cost); booked, not invoiced: C (1 X: 100). Revenue 501, cost 270, margin 231
	(46.11 %), 3 orders (A, B and the first invoice), average 167, ordered 600."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.customer = make_customer()
		cls.x = make_item(rate=100, valuation_rate=50)
		cls.y = make_item(rate=200, valuation_rate=120)
		cls.a = make_order(
			cls.customer, [{"item_code": cls.x, "qty": 2}], customer_po=unique("PO"), submit=True
		)
		cls.b = make_order(
			cls.customer,
			[{"item_code": cls.y, "qty": 1}, {"item_code": cls.x, "qty": 1}],
			customer_po=unique("PO"),
			submit=True,
		)
		cls.c = make_order(
			cls.customer, [{"item_code": cls.x, "qty": 1}], customer_po=unique("PO"), submit=True
		)
		cls.invoices = []
		for order in (cls.a, cls.b):
			deliver(order, 0)
			with acting_as(role_user("accountant", ["Accounts User", "Accounts Manager"])):
				cls.invoices.append(create_sales_invoice(order.name))
		refresh_facts(cls.customer)

	def test_the_documents_are_what_the_report_is_checked_against(self):
		totals = [frappe.db.get_value("Sales Invoice", name, "base_net_total") for name in self.invoices]
		self.assertEqual(totals, [200, 300])
		self.assertEqual(frappe.db.get_value("Sales Order", self.c.sales_order, "base_net_total"), 100)

	def test_by_customer(self):
		result = run_report("Sales Analysis", manager(), customer=self.customer)
		row, total = rows(result)
		self.assertEqual((row["key"], total["key"]), (self.customer, "Total"))
		figures = ("revenue", "cost", "margin", "margin_rate", "orders", "average_order_value", "ordered")
		self.assertEqual([row[f] for f in figures], [501, 270, 231, 46.11, 3, 167, 600])
		self.assertEqual([total[f] for f in figures], [row[f] for f in figures])
		self.assertTrue(result["chart"])

	def test_by_item(self):
		result = run_report("Sales Analysis", manager(), customer=self.customer, group_by="Item")
		by_item = {row["key"]: row for row in rows(result)}
		self.assertEqual(
			(
				by_item[self.x]["revenue"],
				by_item[self.x]["cost"],
				by_item[self.x]["orders"],
				by_item[self.x]["ordered"],
			),
			(300, 150, 2, 400),
		)
		self.assertEqual((by_item[self.y]["revenue"], by_item[self.y]["margin"]), (200, 80))
		self.assertEqual(by_item["Total"]["orders"], 3)

	def test_by_month(self):
		result = run_report("Sales Analysis", manager(), customer=self.customer, group_by="Month")
		(month,) = [row for row in rows(result) if row["month"] == nowdate()[:7]]
		self.assertEqual((month["revenue"], month["orders"]), (501, 3))

	def test_channel_filter_keeps_only_customer_orders_of_that_channel(self):
		self.assertEqual(
			rows(run_report("Sales Analysis", manager(), customer=self.customer, channel="Portal")), []
		)
		result = run_report("Sales Analysis", manager(), customer=self.customer, channel="Desk")
		self.assertEqual((rows(result)[0]["revenue"], rows(result)[0]["orders"]), (500, 2))

	def test_a_clerk_is_refused(self):
		with self.assertRaises(frappe.PermissionError):
			run_report("Sales Analysis", clerk(), customer=self.customer)


class TestDashboard(FrappeTestCase):
	"""Every number card and chart of the Order Management dashboard and workspace loads."""

	def test_every_card_and_chart_loads(self):
		from frappe.desk.doctype.dashboard_chart.dashboard_chart import get as get_chart
		from frappe.desk.doctype.number_card.number_card import get_result

		customer, line = make_customer(), [{"item_code": make_item(), "qty": 1}]
		make_order(customer, line, customer_po=unique("PO"), submit=True)
		make_order(customer, line, order_type="Custom", customer_po=unique("PO"), submit=True)  # waits
		dashboard = frappe.get_doc("Dashboard", "Order Management")
		workspace = frappe.get_doc("Workspace", "Order Management")
		cards = {row.card for row in dashboard.cards} | {
			row.number_card_name for row in workspace.number_cards
		}
		charts = {row.chart for row in dashboard.charts} | {row.chart_name for row in workspace.charts}
		self.assertGreaterEqual(len(cards), 8)
		self.assertGreaterEqual(len(charts), 3)
		with acting_as(manager()):
			for name in sorted(cards):
				card = frappe.get_doc("Number Card", name)
				if card.type == "Custom":
					value = frappe.get_attr(card.method)()["value"]
				else:
					value = get_result(card.as_dict(), card.filters_json)
				self.assertGreaterEqual(value, 0, name)
			for name in sorted(charts):
				chart = get_chart(chart_name=name, refresh=1)
				self.assertTrue(chart and chart["datasets"], name)
			today = frappe.get_doc("Number Card", "Orders Today")
			self.assertGreaterEqual(get_result(today.as_dict(), today.filters_json), 1)

	def test_custom_cards_refuse_a_clerk(self):
		from order_mgmt.analytics.cards import on_time_delivery_rate, return_rate

		for method in (on_time_delivery_rate, return_rate):
			with acting_as(clerk()), self.assertRaises(frappe.PermissionError):
				method()


class TestPolicyReplay(FrappeTestCase):
	"""Two orders of 100: one auto-approved, one Custom (held for the Warehouse stage). A draft policy
	of one rule — Sales reviews every order of 50 or more — would hold both, in Sales, and none in
	Warehouse; the auto-approved one changes outcome. The live rules replayed change nothing."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.customer = make_customer()
		line = [{"item_code": make_item(rate=100), "qty": 1}]
		cls.auto = make_order(cls.customer, line, customer_po=unique("PO"), submit=True)
		cls.custom = make_order(
			cls.customer, line, order_type="Custom", customer_po=unique("PO"), submit=True
		)
		cls.draft = [
			{
				"name": "Draft: every order",
				"condition": "Grand Total At Least",
				"stage": "Sales",
				"threshold": 50,
			}
		]

	def replay(self, user=None, **kwargs):
		from order_mgmt.analytics.policy_replay import replay_policy

		with acting_as(user or manager()):
			return replay_policy(customer=self.customer, **kwargs)

	def test_the_orders_are_what_the_replay_is_checked_against(self):
		self.assertEqual(self.auto.review_decision, "Auto-approved")
		self.assertEqual(
			(self.custom.review_decision, self.custom.review_route), ("Held for Review", "Warehouse")
		)

	def test_draft_policy(self):
		modified = frappe.db.get_value("Customer Order", self.auto.name, "modified")
		result = self.replay(rules=frappe.as_json(self.draft), orders=10)
		self.assertEqual((result["orders"], result["actual_held"], result["draft_held"]), (2, 1, 2))
		self.assertEqual(
			(result["actual_auto_approval_rate"], result["draft_auto_approval_rate"]), (50.0, 0.0)
		)
		stages = {row["stage"]: (row["actual"], row["draft"], row["difference"]) for row in result["stages"]}
		self.assertEqual(stages, {"Sales": (0, 2, 2), "Warehouse": (1, 0, -1)})
		self.assertEqual(result["rules"][0]["rule"], "Draft: every order")
		self.assertEqual(
			[(c["order"], c["actual"], c["draft"]) for c in result["changed"]],
			[(self.auto.name, "Auto-approved", "Held")],
		)
		self.assertEqual(frappe.db.get_value("Customer Order", self.auto.name, "modified"), modified)

	def test_the_live_policy_replays_what_happened(self):
		result = self.replay(orders=10)
		self.assertEqual((result["orders"], result["changed"]), (2, []))

	def test_a_clerk_is_refused_and_bad_rules_are_named(self):
		from order_mgmt.analytics.policy_replay import PolicyReplayError

		with self.assertRaises(frappe.PermissionError):
			self.replay(user=clerk(), rules=self.draft)
		with self.assertRaises(PolicyReplayError):
			self.replay(rules=[{**self.draft[0], "stage": "Nowhere"}])


class TestReportScripts(FrappeTestCase):
	def test_every_report_script_expands_the_shared_filters(self):
		for report in REPORTS + ("Return Rate",):
			if not frappe.db.exists("Report", report):
				continue
			script = get_script(report)["script"]
			self.assertNotIn("{% include", script, report)
			self.assertIn("order_mgmt.report_filters = function", script, report)
			self.assertIn(f'frappe.query_reports["{report}"]', script, report)
