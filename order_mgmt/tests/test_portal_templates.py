"""Order templates (order_mgmt/portal/templates.py, /my-orders/templates) and changing an order while
it is in review (ordering.change_order, /my-orders/new?edit=): a customer's own templates and orders
only, prices from the server only, the desk's amend-and-review-again path for a change."""

from uuid import uuid4

import frappe
from frappe.utils import add_days, nowdate

from order_mgmt.portal import ordering, templates
from order_mgmt.review.workflow import take_action
from order_mgmt.tests.test_portal_ordering import CUSTOMER_RATE, PortalOrderingCase, make_address
from order_mgmt.tests.utils import WHOLE_UOM, acting_as, clerk, count, make_item, reviewer, unique


class TestOrderTemplates(PortalOrderingCase):
	def save(self, lines=None, user=None, name=None, **kwargs) -> dict:
		lines = lines if lines is not None else [{"item_code": self.item, "qty": 3}]
		with acting_as(user or self.user):
			return templates.save_template(
				name or unique("Weekly"), frappe.as_json({"items": lines}), **kwargs
			)

	def test_a_cart_saved_as_a_template_is_ordered_again_at_todays_prices(self):
		saved = self.save(
			[
				{"item_code": self.item, "qty": 2, "rate": 1, "discount_percentage": 90},
				{"item_code": self.second_item, "qty": 5},
			],
			name="Monday restock",
			customer=self.customer,
		)
		template = frappe.get_doc("Order Template", saved["name"])
		self.assertEqual(
			(template.customer, template.template_name, template.owner),
			(self.customer, "Monday restock", self.user),
		)
		self.assertEqual(
			[(row.item_code, row.qty, row.uom) for row in template.items],
			[(self.item, 2, WHOLE_UOM), (self.second_item, 5, WHOLE_UOM)],
		)
		self.assertFalse(saved["replaced"])

		# the same name again replaces the lines: one template per name and customer
		again = self.save([{"item_code": self.item, "qty": 4}], name="Monday restock")
		self.assertEqual((again["name"], again["replaced"]), (saved["name"], True))
		self.assertEqual(count("Order Template", customer=self.customer, template_name="Monday restock"), 1)
		self.assertEqual(
			[(r.item_code, r.qty) for r in frappe.get_doc("Order Template", saved["name"]).items],
			[(self.item, 4)],
		)

		response, html = self.render("/my-orders/templates", self.user)
		self.assertEqual(response.status_code, 200)
		self.assertIn(f'data-name="{saved["name"]}"', html)
		self.assertIn(f'href="/my-orders/new?template={saved["name"]}"', html)

		# ordering from it: the lines pre-filled, an item no longer sold listed as unavailable
		retired = make_item(rate=10)
		template = frappe.get_doc("Order Template", saved["name"])
		template.append("items", {"item_code": retired, "qty": 1})
		template.save()
		frappe.db.set_value("Item", retired, "disabled", 1)
		with acting_as(self.user):
			lines = templates.template_lines(saved["name"])
		self.assertEqual([(line.item_code, line.qty) for line in lines.lines], [(self.item, 4)])
		self.assertEqual([item.item_code for item in lines.unavailable], [retired])
		response, html = self.render("/my-orders/new", self.user, template=saved["name"])
		self.assertEqual(response.status_code, 200)
		self.assertIn('id="template-source"', html)
		self.assertIn(f'data-item="{retired}"', html)
		self.assertIn(self.item, html)

		# and the order placed from it is priced today, on the server
		order = self.place(
			cart=self.cart([{"item_code": row.item_code, "qty": row.qty, "rate": 1} for row in lines.lines])
		)
		self.assertEqual(
			frappe.db.get_value("Customer Order Item", {"parent": order["name"]}, "rate"), CUSTOMER_RATE
		)

	def test_a_template_needs_a_name_and_sellable_items(self):
		not_for_sale = make_item(rate=10, is_sales_item=0)
		with self.assertRaises(ordering.PortalOrderError):
			self.save(name="  ")
		with self.assertRaises(ordering.PortalOrderError) as refused:
			self.save([{"item_code": self.item, "qty": 1}, {"item_code": not_for_sale, "qty": 1}])
		self.assertIn("Row 2", str(refused.exception))
		with self.assertRaises(ordering.PortalOrderError):
			self.save([{"item_code": self.item, "qty": 0}])
		with self.assertRaises(ordering.PortalOrderError):
			self.save([])

	def test_another_customers_template_is_not_found_by_page_method_or_guessed_name(self):
		theirs = self.save(user=self.other_user, name="Their list")["name"]
		mine = self.save(name="My list")["name"]
		missing = "OT-99999999"
		with acting_as(self.user):
			for call in (
				lambda: templates.template_lines(theirs),
				lambda: templates.delete_template(theirs),
				lambda: templates.template_lines(missing),
				lambda: templates.delete_template(missing),
			):
				with self.assertRaises(frappe.PermissionError):
					call()
			# saving for a customer the user does not act for
			with self.assertRaises(frappe.PermissionError):
				templates.save_template(
					"Forged",
					frappe.as_json({"items": [{"item_code": self.item, "qty": 1}]}),
					customer=self.other_customer,
				)
			# Frappe's own API: the list and the document are the user's customers' only
			listed = frappe.get_list("Order Template", pluck="name")
			self.assertIn(mine, listed)
			self.assertNotIn(theirs, listed)
			self.assertTrue(frappe.has_permission("Order Template", "read", doc=mine))
			self.assertFalse(frappe.has_permission("Order Template", "read", doc=theirs))
			with self.assertRaises(frappe.PermissionError):
				frappe.client.get("Order Template", theirs)
			rows = frappe.client.get_list(
				"Order Template Item",
				fields=["parent", "item_code"],
				parent="Order Template",
				limit_page_length=0,
			)
			self.assertNotIn(theirs, {row["parent"] for row in rows})
			# a portal user cannot write templates through the API: only through save_template
			with self.assertRaises(frappe.PermissionError):
				frappe.client.insert(
					{
						"doctype": "Order Template",
						"template_name": "Sneaky",
						"customer": self.other_customer,
						"items": [{"item_code": self.item, "qty": 1}],
					}
				)
			with self.assertRaises(frappe.PermissionError):
				frappe.client.delete("Order Template", mine)
		self.assertTrue(frappe.db.exists("Order Template", theirs))
		self.assertTrue(frappe.db.exists("Order Template", mine))

		response, html = self.render("/my-orders/new", self.user, template=theirs)
		self.assertEqual(response.status_code, 403)
		response, html = self.render("/my-orders/templates", self.user)
		self.assertNotIn(theirs, html)
		self.assertNotIn("Their list", html)

	def test_a_customer_deletes_their_own_template(self):
		name = self.save()["name"]
		with acting_as(self.user):
			self.assertEqual(templates.delete_template(name), {"name": name, "deleted": True})
		self.assertFalse(frappe.db.exists("Order Template", name))
		self.assertFalse(frappe.db.exists("Order Template Item", {"parent": name}))

	def test_desk_users_keep_templates_for_a_customer(self):
		with acting_as(clerk()):
			template = frappe.get_doc(
				{
					"doctype": "Order Template",
					"template_name": "Phoned-in standard order",
					"customer": self.customer,
					"items": [{"item_code": self.second_item, "qty": 6}],
				}
			).insert()
			self.assertEqual(template.items[0].uom, WHOLE_UOM)
			# one name per customer
			with self.assertRaises(templates.TemplateError):
				frappe.get_doc(
					{
						"doctype": "Order Template",
						"template_name": "Phoned-in standard order",
						"customer": self.customer,
						"items": [{"item_code": self.item, "qty": 1}],
					}
				).insert()
			self.assertIn(template.name, frappe.get_list("Order Template", pluck="name"))
		# the customer orders from it in the portal
		response, html = self.render("/my-orders/templates", self.user)
		self.assertIn(f'data-name="{template.name}"', html)
		with acting_as(self.user):
			self.assertEqual(
				[row.item_code for row in templates.template_lines(template.name).lines], [self.second_item]
			)


class TestChangeInReview(PortalOrderingCase):
	def change(self, name, lines, user=None, key=None, **fields) -> dict:
		with acting_as(user or self.user):
			return ordering.change_order(
				name, frappe.as_json(self.cart(lines, **fields)), key or str(uuid4())
			)

	def test_an_order_in_review_is_changed_and_reviewed_again(self):
		placed = self.place(cart=self.cart(customer_po="PO-CHANGE-1", notes="first"))
		name = placed["name"]
		response, html = self.render("/my-orders/new", self.user, edit=name)
		self.assertEqual(response.status_code, 200)
		self.assertIn(f'id="portal-edit-order" value="{name}"', html)
		self.assertIn('value="PO-CHANGE-1"', html)
		self.assertIn('id="place-order"', html)

		key = str(uuid4())
		address = make_address(self.customer)
		result = self.change(
			name,
			[
				{"item_code": self.item, "qty": 5, "rate": 1},
				{"item_code": self.second_item, "qty": 1, "discount_percentage": 50},
			],
			key=key,
			customer_po="PO-CHANGE-1",
			shipping_address_name=address,
			delivery_date=add_days(nowdate(), 9),
			grand_total=1,
			customer=self.other_customer,
		)
		original = frappe.get_doc("Customer Order", name)
		self.assertEqual((original.docstatus, original.status), (2, "Cancelled"))
		self.assertTrue(original.cancellation_reason)
		self.assertEqual(count("Order Review", customer_order=name, decision="Pending"), 0)

		amendment = frappe.get_doc("Customer Order", result["name"])
		self.assertEqual(
			(result["replaces"], amendment.amended_from, amendment.name), (name, name, f"{name}-1")
		)
		self.assertEqual(
			(amendment.customer, amendment.channel, amendment.docstatus, amendment.workflow_state),
			(self.customer, "Portal", 1, "Pending Sales Review"),
		)
		self.assertEqual(
			[(line.item_code, line.qty, line.rate, line.discount_percentage) for line in amendment.items],
			[(self.item, 5, CUSTOMER_RATE, 0), (self.second_item, 1, CUSTOMER_RATE, 0)],
		)
		self.assertEqual(
			(str(amendment.delivery_date), amendment.shipping_address_name), (add_days(nowdate(), 9), address)
		)
		self.assertEqual(amendment.grand_total, amendment.net_total + amendment.total_taxes_and_charges)
		review = frappe.get_all(
			"Order Review",
			filters={"customer_order": amendment.name, "decision": "Pending"},
			fields=["stage", "changes"],
		)
		self.assertEqual([r.stage for r in review], ["Sales"])
		self.assertIn(self.second_item, review[0].changes)

		# a retried request changes nothing more
		again = self.change(name, [{"item_code": self.item, "qty": 9}], key=key)
		self.assertEqual((again["name"], again["duplicate"]), (amendment.name, True))
		# the amendment is in review too: it can be changed again
		self.assertTrue(ordering.can_change(amendment.name))

	def test_a_refused_change_leaves_the_order_as_it_was(self):
		name = self.place()["name"]
		with self.assertRaises(ordering.PortalOrderError) as refused:
			self.change(name, [{"item_code": self.item, "qty": 1}, {"item_code": "NO-SUCH", "qty": 1}])
		self.assertIn("Row 2", str(refused.exception))
		self.assertEqual(
			frappe.db.get_value("Customer Order", name, ["docstatus", "workflow_state"]),
			(1, "Pending Sales Review"),
		)
		self.assertFalse(frappe.db.exists("Customer Order", f"{name}-1"))
		# an intake refusal (fractional quantity of a whole-number UOM) after the cancel is undone too
		with self.assertRaises(ordering.PortalOrderError):
			self.change(name, [{"item_code": self.item, "qty": 1.5}])
		self.assertEqual(
			frappe.db.get_value("Customer Order", name, ["docstatus", "workflow_state"]),
			(1, "Pending Sales Review"),
		)
		self.assertEqual(count("Order Review", customer_order=name, decision="Pending"), 1)

	def test_an_approved_order_cannot_be_changed(self):
		name = self.place()["name"]
		with acting_as(reviewer("Sales")):
			take_action(name, "Approve", expected_state="Pending Sales Review")
		with self.assertRaises(ordering.ChangeNotAllowedError) as refused:
			self.change(name, [{"item_code": self.item, "qty": 1}])
		self.assertIn(name, str(refused.exception))
		self.assertIn("change", str(refused.exception))
		self.assertEqual(frappe.db.get_value("Customer Order", name, "docstatus"), 1)
		self.assertFalse(frappe.db.exists("Customer Order", f"{name}-1"))
		response, html = self.render("/my-orders/new", self.user, edit=name)
		self.assertNotEqual(response.status_code, 200)
		self.assertNotIn('id="portal-order-form"', html)

	def test_another_customers_order_cannot_be_changed(self):
		theirs = self.place(user=self.other_user)["name"]
		with self.assertRaises(frappe.PermissionError):
			self.change(theirs, [{"item_code": self.item, "qty": 1}])
		with self.assertRaises(frappe.PermissionError):
			self.change("CO-NO-SUCH", [{"item_code": self.item, "qty": 1}])
		response, _html = self.render("/my-orders/new", self.user, edit=theirs)
		self.assertEqual(response.status_code, 403)
		self.assertEqual(frappe.db.get_value("Customer Order", theirs, "docstatus"), 1)

	def test_the_change_pages_speak_chinese(self):
		name = self.place()["name"]
		with acting_as(reviewer("Sales")):
			take_action(name, "Approve", expected_state="Pending Sales Review")
		self.addCleanup(setattr, frappe.local, "lang", frappe.local.lang)
		frappe.local.lang = "zh"
		with self.assertRaises(ordering.ChangeNotAllowedError) as refused:
			self.change(name, [{"item_code": self.item, "qty": 1}])
		self.assertIn("不能再", str(refused.exception))
		_response, html = self.render("/my-orders/templates", self.user)
		self.assertIn("订单模板", html)
