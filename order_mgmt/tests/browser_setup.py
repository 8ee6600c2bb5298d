"""Data for the browser tests (tests/browser/, run by scripts/run-tests.sh after the integration suite).

    bench --site SITE execute order_mgmt.tests.browser_setup.prepare --kwargs '{"path": "/tmp/x.json"}'

Commits what it makes on the test site and writes what the tests need (users, passwords, customers,
items, orders) as JSON to `path`. Safe to re-run: users, customers, items and prices have fixed names
and are reused (their passwords and roles are set again); the orders a run acts on (one to cancel
from the portal, one for a reviewer, one delivered and invoiced) are made anew on every run.
"""

from __future__ import annotations

import json
from uuid import uuid4

import frappe
from frappe.utils import add_days, nowdate
from frappe.utils.password import update_password

PASSWORD = "Browser-Test-2026!"
"""The password of every user below (a test site only)."""

CUSTOMER_USER = "omt-browser-customer@example.com"
OTHER_USER = "omt-browser-other@example.com"
CUSTOMER = "OMT Browser Customer"
OTHER_CUSTOMER = "OMT Browser Other Customer"
DESK_CUSTOMER = "OMT Browser Desk Customer"
TEA = "OMT-BROWSER-TEA"
BOX = "OMT-BROWSER-BOX"
CHEAP = "OMT-BROWSER-CHEAP"
DESK_PRICE_LIST = "OMT Browser Prices"


def prepare(path: str | None = None) -> dict:
	from order_mgmt.tests.utils import before_tests

	frappe.set_user("Administrator")
	if not frappe.db.get_single_value("System Settings", "setup_complete"):
		before_tests()  # the integration suite did not run on this site yet: ERPNext's setup wizard
	data = build()
	frappe.db.commit()
	frappe.clear_cache()  # the form scripts and portal pages as they are in the checkout
	if path:
		with open(path, "w") as handle:
			json.dump(data, handle, indent=1)
	return data


def build() -> dict:
	from order_mgmt.tests.utils import make_tax_template, role_user

	tea = ensure_item(TEA, "Browser Oolong Tea", rate=100, stock_qty=10000)
	box = ensure_item(
		BOX,
		"Browser Tea Box",
		rate=10,
		stock_qty=10000,
		stock_uom="Nos",
		uoms=[{"uom": "Nos", "conversion_factor": 1}, {"uom": "Box", "conversion_factor": 12}],
	)
	cheap = ensure_item(CHEAP, "Browser Sample Cup", rate=100, valuation_rate=95, stock_qty=10000)
	price_list = ensure_price_list(DESK_PRICE_LIST, {tea: 90, box: 8, cheap: 100})

	customer = ensure_customer(CUSTOMER)
	other_customer = ensure_customer(OTHER_CUSTOMER)
	desk_customer = ensure_customer(DESK_CUSTOMER, default_price_list=price_list)
	ensure_portal_user(CUSTOMER_USER, customer)
	ensure_portal_user(OTHER_USER, other_customer)

	clerk = role_user("browser-clerk", ["Order Clerk", "Sales User", "Stock User"])
	reviewer = role_user("browser-sales-reviewer", ["Sales Reviewer", "Sales User"])
	manager = role_user("browser-order-manager", ["Order Manager", "Sales User", "Stock User"])
	for user in (CUSTOMER_USER, OTHER_USER, clerk, reviewer, manager):
		update_password(user, PASSWORD)

	return {
		"password": PASSWORD,
		"customer_user": CUSTOMER_USER,
		"customer": customer,
		"other_customer": other_customer,
		"desk_customer": desk_customer,
		"clerk": clerk,
		"reviewer": reviewer,
		"manager": manager,
		"tea": tea,
		"tea_name": frappe.db.get_value("Item", tea, "item_name"),
		"box": box,
		"tax_template": make_tax_template(13),
		"other_order": other_customers_order(other_customer, tea),
		"order_to_cancel": portal_order(CUSTOMER_USER, tea, qty=2),
		"held_order": held_order(desk_customer, cheap, clerk),
		"large_order": large_approved_order(desk_customer, tea, clerk),
		**delivered_and_invoiced(customer),
	}


def ensure_item(code: str, name: str, rate: float, **fields) -> str:
	"""The item, and its standard selling price (ERPNext's before_tests, run by every integration run,
	deletes every Item Price)."""
	from order_mgmt.tests.utils import PRICE_LIST, make_item

	if not frappe.db.exists("Item", code):
		return make_item(item_code=code, item_name=name, rate=rate, **fields)
	ensure_price_list(PRICE_LIST, {code: rate})
	return code


def ensure_price_list(name: str, rates: dict[str, float]) -> str:
	from order_mgmt.tests.utils import company

	if not frappe.db.exists("Price List", name):
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
		if not frappe.db.exists("Item Price", {"item_code": item_code, "price_list": name}):
			frappe.get_doc(
				{"doctype": "Item Price", "item_code": item_code, "price_list": name, "price_list_rate": rate}
			).insert()
	return name


def ensure_customer(name: str, **fields) -> str:
	from order_mgmt.tests.utils import make_customer

	existing = frappe.db.get_value("Customer", {"customer_name": name})
	return existing or make_customer(customer_name=name, **fields)


def ensure_portal_user(email: str, customer: str) -> None:
	"""A Website User with the role Customer, linked to the customer through a Contact (as
	test_portal.make_portal_user makes them, with a fixed address the browser logs in with)."""
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": "OMT Browser",
				"user_type": "Website User",
				"send_welcome_email": 0,
			}
		)
		user.insert(ignore_permissions=True)
		user.add_roles("Customer")
	if not frappe.db.exists("Contact", {"user": email}):
		frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "OMT Browser",
				"email_ids": [{"email_id": email, "is_primary": 1}],
				"user": email,
				"links": [{"link_doctype": "Customer", "link_name": customer}],
			}
		).insert(ignore_permissions=True)


def unique_po() -> str:
	return f"BROWSER-{uuid4().hex[:10].upper()}"


def other_customers_order(customer: str, item: str) -> str:
	from order_mgmt.tests.utils import make_order

	existing = frappe.db.get_value("Customer Order", {"customer": customer, "docstatus": 1})
	if existing:
		return existing
	return make_order(customer, [{"item_code": item, "qty": 1}], submit=True, customer_po=unique_po()).name


def portal_order(user: str, item: str, qty: float) -> str:
	"""An order placed by the portal user as the page places it: in review (portal orders go to Sales)."""
	from order_mgmt.portal import ordering
	from order_mgmt.tests.utils import acting_as

	cart = {
		"items": [{"item_code": item, "qty": qty}],
		"delivery_date": add_days(nowdate(), 3),
		"customer_po": unique_po(),
	}
	with acting_as(user):
		return ordering.place_order(frappe.as_json(cart), str(uuid4()))["name"]


def held_order(customer: str, item: str, clerk: str) -> str:
	"""A desk order held for the Sales review: its line is priced below cost (8% off a rate of 100,
	valuation 95), entered by the clerk so that the reviewer is not its creator."""
	from order_mgmt.tests.utils import make_order

	order = make_order(
		customer,
		[{"item_code": item, "qty": 1, "discount_percentage": 8}],
		submit=True,
		as_user=clerk,
		customer_po=unique_po(),
	)
	if order.workflow_state != "Pending Sales Review":
		raise RuntimeError(f"{order.name} is {order.workflow_state}, not Pending Sales Review")
	return order.name


def large_approved_order(customer: str, item: str, clerk: str) -> str:
	"""An approved order of the clerk's at or above the cancellation threshold (1,200 of the tea at 90 or
	100, before tax), taken through whatever review its size asks for: cancelling it needs an Order
	Manager's approval."""
	from order_mgmt.orders.cancellation import approval_threshold
	from order_mgmt.review.actions import approve_order
	from order_mgmt.tests.utils import make_order

	order = make_order(
		customer, [{"item_code": item, "qty": 1200}], submit=True, as_user=clerk, customer_po=unique_po()
	)
	for _stage in range(4):
		if order.sales_order:
			break
		approve_order(order.name, "Approved for the browser tests")  # as Administrator, not the clerk
		order.reload()
	if not order.sales_order or order.grand_total < approval_threshold():
		raise RuntimeError(f"{order.name} is {order.workflow_state} for {order.grand_total}")
	return order.name


def delivered_and_invoiced(customer: str) -> dict:
	"""An order of the portal customer through its life (test_portal_documents.lifecycle_order: reviewed,
	picked, shipped, delivered, invoiced): its timeline has every step, it takes feedback once and its
	invoice has a PDF."""
	from order_mgmt.tests.test_portal_documents import lifecycle_order

	done = lifecycle_order(customer, qty=2)
	return {"delivered_order": done.order.name, "invoice": done.invoice, "delivered_item": done.item}
