"""Live pricing on the Customer Order form: the same numbers as the save, UOMs of the item, and the
review-route preview without permlevel-1 figures for clerks (order_mgmt/orders/live_pricing.py)."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, flt, nowdate

from order_mgmt.erpnext_bridge.sales_order import TAX_FIELDS, TOTAL_FIELDS
from order_mgmt.orders.live_pricing import (
	PRICED_LINE_FIELDS,
	LivePricingPermissionError,
	item_uom_query,
	price_draft,
	route_preview,
)
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	company,
	count,
	make_customer,
	make_item,
	make_order,
	make_tax_template,
	make_user,
	manager,
	unique,
	warehouse,
)

COMPARED_TAX_FIELDS = [f for f in TAX_FIELDS if f not in ("item_wise_tax_detail", "dont_recompute_tax")]


def make_price_list(prices: dict[str, float]) -> str:
	price_list = frappe.get_doc(
		{
			"doctype": "Price List",
			"price_list_name": unique("OMT Live"),
			"selling": 1,
			"currency": frappe.get_cached_value("Company", company(), "default_currency"),
		}
	).insert()
	for item_code, rate in prices.items():
		frappe.get_doc(
			{
				"doctype": "Item Price",
				"item_code": item_code,
				"price_list": price_list.name,
				"price_list_rate": rate,
			}
		).insert()
	return price_list.name


def make_rate_rule(item_code: str, rate: float, min_qty: float) -> str:
	"""An ERPNext Pricing Rule: `rate` for `min_qty` or more of the item."""
	return (
		frappe.get_doc(
			{
				"doctype": "Pricing Rule",
				"title": unique("OMT Live Rule"),
				"apply_on": "Item Code",
				"items": [{"item_code": item_code}],
				"selling": 1,
				"company": company(),
				"min_qty": min_qty,
				"rate_or_discount": "Rate",
				"rate": rate,
				"currency": frappe.get_cached_value("Company", company(), "default_currency"),
			}
		)
		.insert()
		.name
	)


def form_draft(customer: str, lines: list[dict], **header) -> dict:
	"""What the form sends: unsaved rows with the desk's temporary names, and figures a client could forge."""
	return {
		"doctype": "Customer Order",
		"name": "new-customer-order-1",
		"__islocal": 1,
		"customer": customer,
		"company": company(),
		"order_date": nowdate(),
		"delivery_date": add_days(nowdate(), 5),
		"grand_total": 1,
		"net_total": 1,
		"taxes": [{"charge_type": "Actual", "tax_amount": 99999, "description": "forged"}],
		"items": [
			{"name": f"new-customer-order-item-{index}", "warehouse": warehouse(), **line}
			for index, line in enumerate(lines, start=1)
		],
		**header,
	}


def saved_values(draft: dict) -> dict:
	"""The same draft saved by the clerk (the form sends what it holds, with the rows' own values)."""
	values = {k: v for k, v in draft.items() if k not in ("name", "__islocal")}
	values["items"] = [{k: v for k, v in row.items() if k != "name"} for row in draft["items"]]
	with acting_as(clerk()):
		order = frappe.get_doc(values).insert()
	return order


class TestLivePricing(FrappeTestCase):
	def test_live_prices_taxes_and_totals_equal_what_the_save_stores(self):
		tea, mug, box_item = (
			make_item(rate=100),
			make_item(rate=40),
			make_item(
				rate=10,
				stock_uom="Nos",
				uoms=[{"uom": "Nos", "conversion_factor": 1}, {"uom": "Box", "conversion_factor": 12}],
			),
		)
		own_list = make_price_list({tea: 90, mug: 35, box_item: 8})
		make_rate_rule(tea, 70, min_qty=10)
		customer = make_customer(default_price_list=own_list)
		template = make_tax_template(13)
		draft = form_draft(
			customer,
			[
				{
					"item_code": tea,
					"qty": 12,
					"price_list_rate": 1,
					"amount": 1,
				},  # pricing rule; forged figures
				{"item_code": mug, "qty": 3, "discount_percentage": 5},  # the clerk's discount
				{"item_code": box_item, "qty": 2, "uom": "Box", "conversion_factor": 1},
				{"item_code": mug, "qty": 1, "rate": 30},  # the clerk's rate
			],
			price_list=own_list,
			taxes_and_charges=template,
		)
		orders_before = count("Customer Order")

		with acting_as(clerk()):
			live = price_draft(frappe.as_json(draft))

		self.assertIsNone(live["message"])
		self.assertEqual(count("Customer Order"), orders_before, "pricing saved nothing")
		self.assertEqual(
			[row["name"] for row in live["items"]],
			[row["name"] for row in draft["items"]],
			"rows mapped back",
		)
		self.assertEqual(live["items"][0]["price_list_rate"], 70, "the pricing rule's rate")
		self.assertEqual(live["items"][1]["rate"], 35 * 0.95, "the clerk's discount is kept")
		self.assertEqual(live["items"][2]["conversion_factor"], 12, "the item's conversion, not the client's")
		self.assertEqual(live["items"][2]["amount"], 2 * 12 * 8)
		self.assertEqual(live["items"][3]["rate"], 30, "the clerk's rate is kept")
		self.assertEqual([tax["rate"] for tax in live["taxes"]], [13])

		order = saved_values(draft)
		for line, priced in zip(order.items, live["items"], strict=True):
			for fieldname in PRICED_LINE_FIELDS:
				self.assertEqual(
					str(line.get(fieldname)), str(priced[fieldname]), f"row {line.idx}: {fieldname}"
				)
		self.assertEqual(len(order.taxes), len(live["taxes"]))
		for tax, priced in zip(order.taxes, live["taxes"], strict=True):
			for fieldname in COMPARED_TAX_FIELDS:
				self.assertEqual(str(tax.get(fieldname)), str(priced[fieldname]), f"tax {fieldname}")
		for fieldname in TOTAL_FIELDS:
			self.assertEqual(flt(order.get(fieldname)), live["totals"][fieldname], fieldname)
		self.assertEqual(order.taxes_and_charges, live["header"]["taxes_and_charges"])
		self.assertNotEqual(order.grand_total, 1)

	def test_stock_availability_per_line_from_the_bin(self):
		stocked, service = (
			make_item(rate=10, stock_qty=5),
			make_item(rate=10, is_stock_item=0, stock_uom="Nos"),
		)
		draft = form_draft(
			make_customer(),
			[
				{"item_code": stocked, "qty": 3},
				{"item_code": stocked, "qty": 3},
				{"item_code": service, "qty": 1},
			],
		)
		with acting_as(clerk()):
			live = price_draft(draft)

		first, second, third = (row["stock"] for row in live["items"])
		self.assertEqual((first["actual_qty"], first["projected_qty"], first["short"]), (5, 5, False))
		self.assertTrue(second["short"], "6 asked of the same Bin's 5")
		self.assertEqual(third, {"is_stock_item": 0})

	def test_a_draft_the_save_would_refuse_gets_its_reason_without_a_dialog(self):
		item = make_item(rate=100, max_discount=10)
		customer = make_customer()
		user = clerk()
		frappe.local.message_log = []
		with acting_as(user):
			zero = price_draft(form_draft(customer, [{"item_code": item, "qty": 0}]))
			messages_after_zero = list(frappe.local.message_log)
			too_cheap = price_draft(form_draft(customer, [{"item_code": item, "qty": 1, "rate": 50}]))
			unfinished = price_draft(form_draft(customer, [{"qty": 1}]))

		self.assertIn("Quantity must be greater than zero", zero["message"])
		self.assertEqual(zero["items"], [])
		self.assertEqual(messages_after_zero, [], "no message dialog on the form")
		self.assertIn("below", too_cheap["message"])
		self.assertEqual(too_cheap["items"][0]["rate"], 50, "figures come with a problem found after pricing")
		self.assertEqual((unfinished["items"], unfinished["message"]), ([], None))

	def test_values_of_the_wrong_shape_are_refused_quietly(self):
		item, customer = make_item(rate=10), make_customer()
		filter_as_link = form_draft(customer, [{"item_code": item, "qty": 1}])
		filter_as_link["customer"] = {"name": ["like", "%"]}
		with acting_as(clerk()):
			refused = price_draft(filter_as_link)
			no_rows = price_draft({**form_draft(customer, []), "items": "not a table"})
			self.assertRaises(frappe.ValidationError, price_draft, "[1, 2]")
		self.assertIn("must be text", refused["message"])
		self.assertEqual((no_rows["items"], no_rows["message"]), ([], None))

	def test_user_who_may_not_create_or_write_orders_is_refused(self):
		item = make_item(rate=10)
		reader = make_user(["Stock User"])  # reads Customer Orders, may not create or change them
		draft = form_draft(make_customer(), [{"item_code": item, "qty": 1}])
		with acting_as(reader):
			self.assertRaises(LivePricingPermissionError, price_draft, draft)
			self.assertRaises(
				LivePricingPermissionError, item_uom_query, "UOM", "", "name", 0, 20, {"item_code": item}
			)

	def test_a_saved_order_is_priced_only_by_who_may_change_it(self):
		item = make_item(rate=10)
		order = make_order(make_customer(), [{"item_code": item, "qty": 1}])
		other_clerk = make_user(["Order Clerk", "Sales User"])
		draft = {**form_draft(order.customer, [{"item_code": item, "qty": 2}]), "name": order.name}
		draft.pop("__islocal")
		with acting_as(other_clerk):
			self.assertRaises(LivePricingPermissionError, price_draft, draft)
		with acting_as(clerk()):
			self.assertEqual(price_draft(draft)["items"][0]["amount"], 20)

	def test_uom_query_offers_only_the_items_own_uoms(self):
		item = make_item(
			rate=10,
			stock_uom="Nos",
			uoms=[{"uom": "Nos", "conversion_factor": 1}, {"uom": "Box", "conversion_factor": 12}],
		)
		with acting_as(clerk()):
			offered = item_uom_query("UOM", "", "name", 0, 20, {"item_code": item})
			typed = item_uom_query("UOM", "bo", "name", 0, 20, {"item_code": item})
			nothing = item_uom_query("UOM", "", "name", 0, 20, {})
		self.assertEqual({row[0]: flt(row[1]) for row in offered}, {"Nos": 1, "Box": 12})
		self.assertEqual([row[0] for row in typed], ["Box"])
		self.assertEqual(nothing, [])


class TestRoutePreview(FrappeTestCase):
	def setUp(self):
		self.item = make_item(rate=100, valuation_rate=50)
		self.customer = make_customer(credit_limit=150)
		# over the credit limit (Finance) and 20 % off (Sales)
		self.order = make_order(
			self.customer, [{"item_code": self.item, "qty": 2, "discount_percentage": 20}]
		)

	def test_preview_names_the_stages_and_reasons_the_save_decided(self):
		with acting_as(manager()):
			preview = route_preview(self.order.name)
		self.assertTrue(preview["draft"])
		self.assertEqual(preview["route"], ["Sales", "Finance"])
		self.assertEqual(", ".join(preview["route"]), self.order.review_route)
		self.assertFalse(preview["figures_hidden"])
		by_stage = {reason["stage"]: reason["message"] for reason in preview["reasons"]}
		self.assertIn("20", by_stage["Sales"])
		self.assertIn("150", by_stage["Finance"], "a reviewer sees the credit limit")

	def test_clerk_sees_the_stages_without_credit_figures(self):
		with acting_as(clerk()):
			preview = route_preview(self.order.name)
		self.assertEqual(preview["route"], ["Sales", "Finance"])
		self.assertTrue(preview["figures_hidden"])
		credit = [reason for reason in preview["reasons"] if reason["stage"] == "Finance"]
		self.assertEqual(len(credit), 1)
		self.assertEqual(credit[0]["message"], "The customer's credit exposure is over its credit limit")
		for reason in preview["reasons"]:
			self.assertNotIn("150", reason["message"].replace(self.item, ""))
			self.assertEqual(set(reason), {"stage", "line", "message"})

	def test_preview_writes_nothing_and_needs_read_access(self):
		modified = self.order.modified
		stranger = make_user(["Order Clerk"])
		with acting_as(clerk()):
			route_preview(self.order.name)
		self.assertEqual(frappe.db.get_value("Customer Order", self.order.name, "modified"), modified)
		with acting_as(stranger):
			self.assertRaises(frappe.PermissionError, route_preview, self.order.name)
