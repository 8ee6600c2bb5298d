"""Management analytics: the Review Performance and Order Cycle Time reports on a small hand-built set
of orders (auto-approved, reviewed and approved, rejected), run as a manager through the desk's
report runner; a clerk is refused."""

import frappe
from frappe.desk.query_report import run
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_to_date, flt, getdate, nowdate

from order_mgmt.accounting.invoicing import create_sales_invoice
from order_mgmt.accounting.payments import register_payment
from order_mgmt.analytics import facts
from order_mgmt.fulfilment.picking import create_pick_list, deliver_pick_list
from order_mgmt.review.workflow import take_action
from order_mgmt.tests.test_analytics_reports import refresh_facts
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	company,
	make_customer,
	make_item,
	make_order,
	manager,
	reviewer,
	role_user,
	unique,
)


def act(user: str, order, action: str, comment: str | None = None) -> None:
	with acting_as(user):
		take_action(
			order.name,
			action,
			comment,
			expected_state=frappe.db.get_value("Customer Order", order.name, "workflow_state"),
		)
	order.reload()


def run_report(report: str, user: str, **filters) -> dict:
	filters = {"company": company(), "from_date": nowdate(), "to_date": nowdate(), **filters}
	with acting_as(user):
		return run(report, filters=filters, ignore_prepared_report=True)


class TestReviewPerformance(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.customer = make_customer()
		item = make_item()
		line = [{"item_code": item, "qty": 1}]
		cls.auto = make_order(cls.customer, line, customer_po=unique("PO"), submit=True)
		# Custom orders go to the Warehouse stage (shipped rule "Custom order").
		cls.approved = make_order(
			cls.customer, line, order_type="Custom", customer_po=unique("PO"), submit=True
		)
		cls.rejected = make_order(
			cls.customer, line, order_type="Custom", customer_po=unique("PO"), submit=True
		)
		cls.reviewer = reviewer("Warehouse")
		act(cls.reviewer, cls.approved, "Approve")
		act(cls.reviewer, cls.rejected, "Reject", "not what the customer wants")
		refresh_facts(cls.customer)

	def test_the_orders_are_what_the_report_is_checked_against(self):
		self.assertEqual(self.auto.review_decision, "Auto-approved")
		self.assertEqual(self.approved.workflow_state, "Approved")
		self.assertEqual(self.rejected.workflow_state, "Rejected")

	def test_weekly_row(self):
		result = run_report("Review Performance", manager(), customer=self.customer)
		row, total = result["result"]
		self.assertEqual(total["week"], "Total")
		self.assertEqual(
			{k: v for k, v in total.items() if k != "week"}, {k: v for k, v in row.items() if k != "week"}
		)
		self.assertEqual(getdate(row["week"]).weekday(), 0)
		self.assertEqual(
			{key: row[key] for key in ("orders", "auto_approved", "manual", "held", "rejected", "returned")},
			{"orders": 3, "auto_approved": 1, "manual": 2, "held": 2, "rejected": 1, "returned": 0},
		)
		self.assertEqual(row["auto_approval_rate"], 33.33)
		self.assertEqual(row["manual_rate"], 66.67)
		self.assertEqual((row["decisions"], row["sla_breaches"]), (2, 0))
		self.assertIsNotNone(row["median_review_hours"])
		self.assertTrue(result["chart"])

	def test_other_views(self):
		by_rule = run_report("Review Performance", manager(), customer=self.customer, view="Hold Rule")
		self.assertEqual(
			[(r["rule"], r["orders"], r["share"]) for r in by_rule["result"] if isinstance(r, dict)],
			[("Custom order", 2, 66.67)],
		)
		by_reviewer = run_report("Review Performance", manager(), customer=self.customer, view="Reviewer")
		(row,) = [r for r in by_reviewer["result"] if isinstance(r, dict) and r.get("reviewer")]
		self.assertEqual(
			(row["reviewer"], row["decisions"], row["approved"], row["rejected"]), (self.reviewer, 2, 1, 1)
		)
		by_stage = run_report("Review Performance", manager(), customer=self.customer, view="Stage")
		(row,) = [r for r in by_stage["result"] if isinstance(r, dict) and r.get("stage")]
		self.assertEqual((row["stage"], row["reviews"], row["pending"]), ("Warehouse", 2, 0))

	def test_filters_narrow_the_orders(self):
		result = run_report("Review Performance", manager(), customer=self.customer, order_type="Custom")
		row, _total = result["result"]
		self.assertEqual((row["orders"], row["auto_approved"]), (2, 0))

	def test_no_permlevel_one_figures_in_the_report(self):
		result = run_report("Review Performance", manager(), customer=self.customer, view="Hold Rule")
		fields = {column["fieldname"] for column in result["columns"]}
		self.assertFalse(
			fields & {"measured_value", "threshold", "message", "credit_limit", "credit_exposure"}
		)

	def test_a_clerk_is_refused(self):
		with self.assertRaises(frappe.PermissionError):
			run_report("Review Performance", clerk(), customer=self.customer)


class TestOrderCycleTime(FrappeTestCase):
	"""A reviewed order taken to cash with known milestone dates, and an auto-approved one not yet
	delivered."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.customer = make_customer()
		line = [{"item_code": make_item(rate=100, stock_qty=50), "qty": 1}]
		cls.done = make_order(
			cls.customer,
			line,
			order_type="Custom",
			payment_terms_template="Cash on Delivery",
			customer_po=unique("PO"),
			submit=True,
		)
		act(reviewer("Warehouse"), cls.done, "Approve")
		handed_off = frappe.db.get_value("Sales Order", cls.done.sales_order, "creation")
		frappe.db.set_value(
			"Order Review",
			{"customer_order": cls.done.name},
			"requested_on",
			add_to_date(handed_off, hours=-5),
			update_modified=False,
		)
		with acting_as(role_user("picker", ["Stock User", "Stock Manager"])):
			(note,) = deliver_pick_list(create_pick_list([cls.done.name])["pick_list"])
		accountant = role_user("accountant", ["Accounts User", "Accounts Manager"])
		with acting_as(accountant):
			invoice = create_sales_invoice(cls.done.name)
			grand_total = flt(frappe.db.get_value("Sales Invoice", invoice, "grand_total"))
			(entry,) = register_payment(cls.done.name, grand_total, "Cash", reference_no=unique("REF"))
		# known milestone dates: delivered on day 2, invoiced on day 3, paid on day 10
		for doctype, name, days in (
			("Delivery Note", note, 2),
			("Sales Invoice", invoice, 3),
			("Payment Entry", entry, 10),
		):
			frappe.db.set_value(
				doctype, name, "posting_date", add_days(nowdate(), days), update_modified=False
			)
		cls.waiting = make_order(cls.customer, line, customer_po=unique("PO"), submit=True)
		refresh_facts(cls.customer)

	def test_the_orders_are_what_the_report_is_checked_against(self):
		values = frappe.db.get_value("Customer Order", self.done.name, ["payment_status", "workflow_state"])
		self.assertEqual(values, ("Paid", "Approved"))
		self.assertEqual(
			frappe.db.get_value("Customer Order", self.waiting.name, "review_decision"), "Auto-approved"
		)

	def test_per_order(self):
		result = run_report("Order Cycle Time", manager(), customer=self.customer, view="Order")
		rows = {row["order"]: row for row in result["result"]}
		self.assertEqual(set(rows), {self.done.name, self.waiting.name})
		done = rows[self.done.name]
		self.assertAlmostEqual(done["review"], 5.0, delta=0.05)
		self.assertEqual(
			[done[step] for step in ("delivery", "invoicing", "payment", "total")], [2.0, 1.0, 7.0, 10.0]
		)
		waiting = rows[self.waiting.name]
		self.assertLess(waiting["review"], 0.05)  # auto-approved: handed off on submit
		self.assertEqual(
			[waiting[step] for step in ("delivery", "invoicing", "payment", "total")], [None] * 4
		)

	def test_per_week_and_per_step(self):
		week, total = run_report("Order Cycle Time", manager(), customer=self.customer)["result"]
		self.assertEqual(total["week"], "Total")
		self.assertEqual(getdate(week["week"]).weekday(), 0)
		self.assertEqual((week["orders"], week["delivery_median"], week["total_p90"]), (2, 2.0, 10.0))
		self.assertAlmostEqual(week["review_median"], 2.5, delta=0.05)
		steps = run_report("Order Cycle Time", manager(), customer=self.customer, view="Step")["result"]
		self.assertEqual(
			[(r["orders"], r["median"]) for r in steps][1:], [(1, 2.0), (1, 1.0), (1, 7.0), (1, 10.0)]
		)
		self.assertEqual([r["step"] for r in steps if r["slowest"]], ["To Payment"])

	def test_a_clerk_is_refused(self):
		with self.assertRaises(frappe.PermissionError):
			run_report("Order Cycle Time", clerk(), customer=self.customer)


class TestDashboards(FrappeTestCase):
	def test_number_cards_and_chart_load(self):
		from frappe.desk.doctype.dashboard_chart.dashboard_chart import get as get_chart
		from frappe.desk.doctype.number_card.number_card import get_result

		make_order(
			make_customer(), [{"item_code": make_item(), "qty": 1}], customer_po=unique("PO"), submit=True
		)
		with acting_as(manager()):
			for card in ("Orders Pending Review", "Orders On Hold"):
				self.assertGreaterEqual(get_result(frappe.get_doc("Number Card", card).as_dict(), []), 0)
			chart = get_chart(chart_name="Orders per Week", refresh=1)
		self.assertTrue(chart["labels"])
		self.assertGreaterEqual(sum(chart["datasets"][0]["values"]), 1)

	def test_auto_approval_card_is_the_review_reports_total_for_this_month(self):
		from frappe.utils import get_first_day, get_last_day

		from order_mgmt.analytics.cards import auto_approval_rate

		make_order(
			make_customer(), [{"item_code": make_item(), "qty": 1}], customer_po=unique("PO"), submit=True
		)
		facts.flush()  # what the commit does: the order's facts, which card and report read
		user = manager()
		with acting_as(user):
			card = auto_approval_rate()
			company_name = frappe.defaults.get_user_default("Company") or frappe.db.get_single_value(
				"Global Defaults", "default_company"
			)
		result = run_report(
			"Review Performance",
			user,
			company=company_name,
			from_date=get_first_day(nowdate()),
			to_date=get_last_day(nowdate()),
		)
		self.assertEqual(card, {"value": result["result"][-1]["auto_approval_rate"], "fieldtype": "Percent"})
		self.assertGreater(card["value"], 0)

	def test_a_clerk_cannot_read_the_auto_approval_card(self):
		from order_mgmt.analytics.cards import auto_approval_rate

		with acting_as(clerk()), self.assertRaises(frappe.PermissionError):
			auto_approval_rate()
