"""Batch pick lists over approved orders (priority first) and delivery from them."""

import os
import threading
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import frappe
from frappe.tests.utils import FrappeTestCase

from order_mgmt.erpnext_bridge.stock_reservation import refresh_bins
from order_mgmt.fulfilment.picking import PickingError, create_pick_list, deliver_pick_list
from order_mgmt.tests.utils import acting_as, make_customer, make_item, make_order, role_user


@contextmanager
def serving_site_assets():
	"""wkhtmltopdf loads the print stylesheets from the site's URL; tests run without a web server,
	so serve the bench's sites/ folder (where /assets lives) on a loopback port for the duration."""
	handler = partial(SimpleHTTPRequestHandler, directory=os.path.abspath(frappe.local.sites_path))
	handler.log_message = lambda *args: None
	server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
	thread = threading.Thread(target=server.serve_forever, daemon=True)
	thread.start()
	previous = frappe.local.conf.get("host_name")
	frappe.local.conf.host_name = f"http://127.0.0.1:{server.server_port}"
	try:
		yield
	finally:
		frappe.local.conf.host_name = previous
		server.shutdown()


def picker() -> str:
	return role_user("picker", ["Stock User", "Stock Manager"])


class TestPicking(FrappeTestCase):
	def setUp(self):
		self.item = make_item(stock_qty=30)
		self.orders = {
			priority: make_order(
				make_customer(), [{"item_code": self.item, "qty": qty}], priority=priority, submit=True
			)
			for priority, qty in (("Normal", 3), ("Urgent", 2), ("High", 4))
		}

	def test_batch_pick_list_covers_the_orders_most_urgent_first_and_keeps_their_reservation(self):
		with acting_as(picker()):
			name = create_pick_list([order.name for order in self.orders.values()])["pick_list"]
		pick_list = frappe.get_doc("Pick List", name)
		self.assertEqual(pick_list.docstatus, 1)
		expected = [self.orders[p].sales_order for p in ("Urgent", "High", "Normal")]
		self.assertEqual([row.sales_order for row in pick_list.locations], expected)
		self.assertEqual([row.picked_qty for row in pick_list.locations], [2, 4, 3])
		entries = frappe.get_all(
			"Stock Reservation Entry",
			filters={"item_code": self.item, "docstatus": 1, "status": ("!=", "Cancelled")},
			fields=["reserved_qty", "from_voucher_type"],
		)
		self.assertEqual(sum(e.reserved_qty for e in entries), 9)
		self.assertEqual({e.from_voucher_type for e in entries}, {"Pick List"})

	def test_delivery_from_the_pick_list_moves_stock_and_completes_the_orders(self):
		with acting_as(picker()):
			name = create_pick_list([order.name for order in self.orders.values()])["pick_list"]
			notes = deliver_pick_list(name)
		self.assertEqual(len(notes), 3)
		self.assertEqual(frappe.db.get_value("Bin", {"item_code": self.item}, "actual_qty"), 30 - 9)
		moved = frappe.get_all(
			"Stock Ledger Entry",
			filters={"item_code": self.item, "voucher_type": "Delivery Note", "is_cancelled": 0},
			pluck="actual_qty",
		)
		self.assertEqual(sorted(moved), [-4, -3, -2])
		for order in self.orders.values():
			self.assertEqual(frappe.db.get_value("Customer Order", order.name, "status"), "Delivered")
		refresh_bins([(self.item, self.orders["Normal"].items[0].warehouse)])
		bin_ = frappe.get_doc("Bin", {"item_code": self.item})
		self.assertEqual((bin_.reserved_qty, bin_.reserved_stock), (0, 0))

	def test_orders_not_approved_cannot_be_picked(self):
		held = make_order(
			make_customer(requires_order_review=1), [{"item_code": self.item, "qty": 1}], submit=True
		)
		with self.assertRaises(PickingError):  # even for those who may see it
			create_pick_list([held.name])
		with self.assertRaises(frappe.PermissionError), acting_as(picker()):  # warehouse staff don't
			create_pick_list([held.name])


class TestPickingWithoutReservation(FrappeTestCase):
	def setUp(self):
		# Single values are cached outside the transaction: put the setting back explicitly.
		frappe.db.set_single_value("Stock Settings", "enable_stock_reservation", 0)
		self.addCleanup(frappe.db.set_single_value, "Stock Settings", "enable_stock_reservation", 1)

	def test_without_stock_reservation_erpnext_locates_the_stock_to_pick(self):
		item = make_item(stock_qty=10)
		order = make_order(make_customer(), [{"item_code": item, "qty": 4}], submit=True)
		self.assertFalse(frappe.db.exists("Stock Reservation Entry", {"voucher_no": order.sales_order}))
		with acting_as(picker()):
			name = create_pick_list([order.name])["pick_list"]
			pick_list = frappe.get_doc("Pick List", name)
			self.assertEqual(pick_list.pick_manually, 0)
			self.assertEqual([(row.item_code, row.picked_qty) for row in pick_list.locations], [(item, 4)])
			(note,) = deliver_pick_list(name)
		self.assertEqual(
			frappe.db.get_value("Stock Ledger Entry", {"voucher_no": note, "is_cancelled": 0}, "actual_qty"),
			-4,
		)
		self.assertEqual(frappe.db.get_value("Customer Order", order.name, "status"), "Delivered")


class TestPickListPrintFormat(FrappeTestCase):
	def test_order_pick_list_renders_to_pdf_with_items_quantities_and_barcodes(self):
		import subprocess
		import tempfile

		item = make_item(stock_qty=20)
		item_doc = frappe.get_doc("Item", item)
		item_doc.append("barcodes", {"barcode": "6901234567892", "barcode_type": "EAN"})
		item_doc.save()
		urgent = make_order(make_customer(), [{"item_code": item, "qty": 3}], priority="Urgent", submit=True)
		normal = make_order(make_customer(), [{"item_code": item, "qty": 5}], submit=True)
		name = create_pick_list([normal.name, urgent.name])["pick_list"]
		self.assertTrue(frappe.db.exists("Print Format", {"name": "Order Pick List", "standard": "Yes"}))
		html = frappe.get_print("Pick List", name, print_format="Order Pick List")
		self.assertIn(item, html)
		self.assertIn("data:image/svg+xml;base64,", html)
		self.assertLess(html.index(urgent.name), html.index(normal.name))
		self.assertIn("拣货单", html)
		with serving_site_assets():
			pdf = frappe.get_print("Pick List", name, print_format="Order Pick List", as_pdf=True)
		self.assertTrue(pdf.startswith(b"%PDF"))
		with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
			handle.write(pdf)
			handle.flush()
			text = subprocess.run(
				["pdftotext", "-layout", handle.name, "-"], capture_output=True, text=True, check=True
			).stdout
		self.assertIn(item, text)
		self.assertIn("Total Qty", text)
		self.assertIn("8.00", text)
		self.assertIn("拣货单", text)


class TestShipping(FrappeTestCase):
	def test_shipment_tracking_shows_on_the_order_and_the_customer_is_emailed(self):
		from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

		from order_mgmt.fulfilment.shipping import shipments_of_order

		if not frappe.db.exists("Email Account", {"default_outgoing": 1, "enable_outgoing": 1}):
			frappe.get_doc(
				{
					"doctype": "Email Account",
					"email_account_name": "OMT Outgoing",
					"email_id": "orders@example.com",
					"enable_outgoing": 1,
					"default_outgoing": 1,
					"smtp_server": "127.0.0.1",
					"smtp_port": 2525,
					"password": "x",
				}
			).insert(ignore_permissions=True)
		frappe.local.outgoing_email_account = {}
		order = make_order(make_customer(), [{"item_code": make_item(), "qty": 2}], submit=True)
		note = make_delivery_note(order.sales_order)
		note.update(
			{
				"transporter_name": "SF Express",
				"lr_no": "SF1234567890",
				"lr_date": frappe.utils.nowdate(),
				"contact_email": "buyer@example.com",
			}
		)
		note.insert()
		note.submit()
		shipments = shipments_of_order(order.sales_order)
		self.assertEqual(
			[(s.name, s.carrier, s.tracking_number) for s in shipments],
			[(note.name, "SF Express", "SF1234567890")],
		)
		order.reload()
		order.run_method("onload")
		self.assertEqual(order.get_onload("shipments")[0]["tracking_number"], "SF1234567890")
		email = frappe.get_last_doc(
			"Email Queue", filters={"reference_doctype": "Delivery Note", "reference_name": note.name}
		)
		self.assertIn("SF1234567890", email.message)
		self.assertIn("buyer@example.com", [r.recipient for r in email.recipients])

	def test_without_an_email_account_shipping_still_works_and_says_why_no_email_went(self):
		from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

		for account in frappe.get_all("Email Account", pluck="name"):
			frappe.db.set_value("Email Account", account, {"default_outgoing": 0, "enable_outgoing": 0})
		frappe.local.outgoing_email_account = {}  # Frappe's per-request cache of the account
		order = make_order(make_customer(), [{"item_code": make_item(), "qty": 1}], submit=True)
		note = make_delivery_note(order.sales_order)
		note.update({"lr_no": "TRK-1", "contact_email": "buyer@example.com"})
		note.insert()
		note.submit()
		self.assertEqual(frappe.db.get_value("Delivery Note", note.name, "docstatus"), 1)
		self.assertTrue(
			frappe.db.exists("Comment", {"reference_name": note.name, "content": ("like", "%not sent%")})
		)
