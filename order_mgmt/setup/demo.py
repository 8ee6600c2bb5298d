"""A demo company, customers, stocked and priced items, and orders in every state the desk shows.

Run by scripts/bench-setup.sh after it completes the setup wizard; safe to re-run (everything is looked up before it is made).
All stock and money moves through ERPNext's own documents.
"""

from __future__ import annotations

import frappe
from frappe.utils import add_days, nowdate

from order_mgmt.utils import acting_as

DEMO_COMPANY = "Order Demo Trading Co."
DEMO_ABBR = "ODT"
DEMO_PRICE_LIST = "Standard Selling"

DEMO_ITEMS = (
	# code, name, selling rate, valuation rate, stock qty
	("OM-TEA-250", "Oolong Tea 250 g", 88.0, 40.0, 500),
	("OM-MUG-01", "Porcelain Mug", 45.0, 18.0, 200),
	("OM-KETTLE-1", "Electric Kettle 1.5 L", 299.0, 160.0, 40),
	("OM-SET-GIFT", "Tea Gift Set", 680.0, 350.0, 5),
)
DEMO_CUSTOMERS = (
	# name, vip, review every order, credit limit
	("Shanghai Teahouse Ltd.", 0, 0, 0),
	("Beijing Gifts Co.", 1, 0, 200000),
	("Hangzhou Newcomer Store", 0, 1, 0),
)


def make_demo_data() -> None:
	company = (
		frappe.db.get_single_value("Global Defaults", "default_company")
		or frappe.get_all("Company", pluck="name", limit=1)[0]
	)
	warehouse = frappe.db.get_value(
		"Warehouse", {"company": company, "is_group": 0, "warehouse_name": "Stores"}
	)
	for code, name, rate, valuation, qty in DEMO_ITEMS:
		_ensure_item(code, name, rate, valuation, qty, company, warehouse)
	for name, vip, review, credit_limit in DEMO_CUSTOMERS:
		_ensure_customer(name, vip, review, credit_limit, company)
	if not frappe.db.exists("Customer Order", {"notes": ("like", "Demo:%")}):
		_make_demo_orders(company, warehouse)
	_make_more_demo_orders(company, warehouse)
	_ensure_portal_user()
	frappe.db.commit()


def _ensure_item(code, name, rate, valuation, qty, company, warehouse) -> None:
	if not frappe.db.exists("Item", code):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": code,
				"item_name": name,
				"item_group": "Products",
				"stock_uom": "Nos",
				"is_stock_item": 1,
				"valuation_rate": valuation,
				"item_defaults": [{"company": company, "default_warehouse": warehouse}],
			}
		).insert()
	if not frappe.db.exists("Item Price", {"item_code": code, "price_list": DEMO_PRICE_LIST}):
		frappe.get_doc(
			{
				"doctype": "Item Price",
				"item_code": code,
				"price_list": DEMO_PRICE_LIST,
				"price_list_rate": rate,
			}
		).insert()
	if not frappe.db.exists("Bin", {"item_code": code, "warehouse": warehouse}):
		entry = frappe.get_doc(
			{
				"doctype": "Stock Entry",
				"stock_entry_type": "Material Receipt",
				"company": company,
				"items": [{"item_code": code, "qty": qty, "t_warehouse": warehouse, "basic_rate": valuation}],
			}
		)
		entry.insert()
		entry.submit()


def _ensure_customer(name, vip, review, credit_limit, company) -> None:
	if frappe.db.exists("Customer", name):
		return
	customer = frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": name,
			"customer_type": "Company",
			"customer_group": "Commercial",
			"territory": "All Territories",
			"is_vip_customer": vip,
			"requires_order_review": review,
		}
	)
	if credit_limit:
		customer.append("credit_limits", {"company": company, "credit_limit": credit_limit})
	customer.insert()


DEMO_PASSWORD = "Order-Demo-2026!"
DEMO_USERS = (
	# email, first name, roles
	("clerk@order-demo.example", "Clara Clerk", ["Order Clerk", "Sales User", "Stock User"]),
	("sales.reviewer@order-demo.example", "Sam Sales", ["Sales Reviewer", "Sales User"]),
	("finance.reviewer@order-demo.example", "Fiona Finance", ["Finance Reviewer", "Accounts User"]),
	("warehouse.reviewer@order-demo.example", "Wang Warehouse", ["Warehouse Reviewer", "Stock User"]),
	("manager@order-demo.example", "Mia Manager", ["Order Manager", "Sales Manager", "Stock User"]),
)
CLERK, SALES, FINANCE, WAREHOUSE, MANAGER = (user[0] for user in DEMO_USERS)
PORTAL_USER = ("customer@order-demo.example", "Shanghai Teahouse Buyer", "Shanghai Teahouse Ltd.")
"""A Website User (role Customer) linked to the customer through a Contact: the portal's demo login."""


def _ensure_portal_user() -> None:
	email, name, customer = PORTAL_USER
	if frappe.db.exists("User", email) or not frappe.db.exists("Customer", customer):
		return
	user = frappe.get_doc(
		{
			"doctype": "User",
			"email": email,
			"first_name": name,
			"user_type": "Website User",
			"send_welcome_email": 0,
			"new_password": DEMO_PASSWORD,
		}
	)
	user.insert(ignore_permissions=True)
	user.add_roles("Customer")
	frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": name,
			"email_ids": [{"email_id": email, "is_primary": 1}],
			"user": email,
			"links": [{"link_doctype": "Customer", "link_name": customer}],
		}
	).insert(ignore_permissions=True)


def _ensure_users() -> None:
	for email, name, roles in DEMO_USERS:
		if frappe.db.exists("User", email):
			continue
		user = frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": name,
				"send_welcome_email": 0,
				"new_password": DEMO_PASSWORD,
			}
		)
		user.insert(ignore_permissions=True)
		user.add_roles(*roles)


def _order(customer, company, warehouse, lines, note, submit=False, **extra):
	with acting_as(CLERK):
		order = frappe.get_doc(
			{
				"doctype": "Customer Order",
				"customer": customer,
				"company": company,
				"order_date": nowdate(),
				"delivery_date": add_days(nowdate(), 7),
				"channel": "Desk",
				"notes": f"Demo: {note}",
				"items": [
					{"item_code": code, "qty": qty, "warehouse": warehouse, **more}
					for code, qty, more in lines
				],
				**extra,
			}
		)
		order.insert()
		if submit:
			order.submit()
	order.reload()
	return order


def _act(user, order, action, comment=None):
	from order_mgmt.review.workflow import take_action

	with acting_as(user):
		take_action(order.name, action, comment, expected_state=order.workflow_state)
	order.reload()
	return order


def _make_demo_orders(company, warehouse) -> None:
	from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

	_ensure_users()
	# A new customer's first order: finance reviews it, then it is delivered and invoiced.
	first = _order(
		"Shanghai Teahouse Ltd.",
		company,
		warehouse,
		[("OM-TEA-250", 10, {})],
		"first order, reviewed by finance, delivered and invoiced",
		submit=True,
	)
	_act(FINANCE, first, "Approve", "First order: terms checked")
	_deliver_and_invoice(first.sales_order)
	_pay(first, "Alipay")

	_order("Shanghai Teahouse Ltd.", company, warehouse, [("OM-MUG-01", 12, {})], "draft, not yet submitted")
	_order(
		"Shanghai Teahouse Ltd.",
		company,
		warehouse,
		[("OM-TEA-250", 20, {}), ("OM-MUG-01", 20, {})],
		"auto-approved",
		submit=True,
		customer_po="PO-DEMO-1",
	)
	delivered = _order(
		"Shanghai Teahouse Ltd.",
		company,
		warehouse,
		[("OM-KETTLE-1", 2, {})],
		"auto-approved and delivered",
		submit=True,
	)
	if delivered.sales_order:
		dn = make_delivery_note(delivered.sales_order)
		dn.insert()
		dn.submit()
		_return_request(delivered, dn.name)

	# Prepaid terms: approved, but nothing is picked or shipped until it is paid.
	_order(
		"Shanghai Teahouse Ltd.",
		company,
		warehouse,
		[("OM-MUG-01", 6, {})],
		"prepaid, waiting for payment before picking",
		submit=True,
		payment_terms_template="Prepaid",
		customer_po="PO-DEMO-PREPAID",
	)

	# A new customer, short of stock and discounted: sales and finance approved, the warehouse decides.
	held = _order(
		"Beijing Gifts Co.",
		company,
		warehouse,
		[("OM-SET-GIFT", 8, {"discount_percentage": 15})],
		"sales and finance approved, waiting for the warehouse",
		submit=True,
		priority="Urgent",
	)
	_act(SALES, held, "Approve", "Strategic customer: discount agreed")
	_act(FINANCE, held, "Approve", "New customer: prepayment terms agreed")

	_order(
		"Beijing Gifts Co.",
		company,
		warehouse,
		[("OM-KETTLE-1", 3, {"discount_percentage": 12})],
		"waiting for sales review (then finance: new customer)",
		submit=True,
	)

	returned = _order(
		"Beijing Gifts Co.",
		company,
		warehouse,
		[("OM-SET-GIFT", 6, {})],
		"returned for changes by the warehouse",
		submit=True,
		order_type="Custom",
	)
	_act(FINANCE, returned, "Approve")
	_act(WAREHOUSE, returned, "Return for Changes", "Only 5 gift sets can be made this month: reduce to 5")

	rejected = _order(
		"Hangzhou Newcomer Store",
		company,
		warehouse,
		[("OM-KETTLE-1", 1, {})],
		"rejected by finance",
		submit=True,
	)
	_act(FINANCE, rejected, "Reject", "Customer could not confirm the delivery address")


def _make_more_demo_orders(company, warehouse) -> None:
	"""The remaining states the desk shows: Pending Finance Review, On Hold, Cancelled and Partly
	Delivered — each made once (also on a demo site made before they were added)."""
	from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

	_ensure_users()

	def missing(note: str) -> bool:
		return not frappe.db.exists("Customer Order", {"notes": f"Demo: {note}"})

	note = "waiting for finance review (customer flagged: review every order)"
	if missing(note):
		_order("Hangzhou Newcomer Store", company, warehouse, [("OM-MUG-01", 24, {})], note, submit=True)

	note = "short of stock, put on hold by the order manager"
	if missing(note):
		on_hold = _order(
			"Shanghai Teahouse Ltd.", company, warehouse, [("OM-SET-GIFT", 7, {})], note, submit=True
		)
		if on_hold.workflow_state == "Pending Warehouse Review":
			_act(MANAGER, on_hold, "Hold", "Waiting for the supplier's confirmation of the gift sets")

	note = "approved, then cancelled at the customer's request"
	if missing(note):
		cancelled = _order(
			"Shanghai Teahouse Ltd.", company, warehouse, [("OM-MUG-01", 4, {})], note, submit=True
		)
		if cancelled.workflow_state == "Approved":
			_act(MANAGER, cancelled, "Cancel", "The customer ordered through another channel")

	note = "partly delivered: the tea has shipped, the mugs follow"
	if missing(note):
		partly = _order(
			"Shanghai Teahouse Ltd.",
			company,
			warehouse,
			[("OM-TEA-250", 10, {}), ("OM-MUG-01", 10, {})],
			note,
			submit=True,
		)
		if partly.sales_order:
			dn = make_delivery_note(partly.sales_order)
			dn.set("items", [row for row in dn.items if row.item_code == "OM-TEA-250"])
			dn.insert()
			dn.submit()


def _pay(order, mode: str) -> None:
	from order_mgmt.accounting.payments import payment_figures, register_payment

	figures = payment_figures(order.sales_order)
	if figures.outstanding > 0:
		register_payment(order.name, figures.outstanding, mode, reference_no=f"DEMO-{order.name}")


def _return_request(order, delivery_note: str) -> None:
	"""The customer sends one kettle back unopened: a refund request waiting for review."""
	line = frappe.db.get_value(
		"Delivery Note Item", {"parent": delivery_note}, ["name", "item_code"], as_dict=True
	)
	with acting_as(CLERK):
		request = frappe.get_doc(
			{
				"doctype": "Return Request",
				"customer": order.customer,
				"customer_order": order.name,
				"resolution_type": "Refund",
				"notes": "Demo: the customer ordered one kettle too many",
				"items": [
					{
						"item_code": line.item_code,
						"delivery_note": delivery_note,
						"delivery_note_item": line.name,
						"qty": 1,
						"reason": "No Longer Needed",
						"condition": "Unopened",
					}
				],
			}
		)
		request.insert()
		request.submit()


def _deliver_and_invoice(sales_order: str) -> None:
	from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note
	from erpnext.stock.doctype.delivery_note.delivery_note import make_sales_invoice

	dn = make_delivery_note(sales_order)
	dn.insert()
	dn.submit()
	invoice = make_sales_invoice(dn.name)
	invoice.insert()
	invoice.submit()
