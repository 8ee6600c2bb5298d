"""Browser check of the Customer Order form (headless Chromium + selenium): live pricing and the
review-route preview, as an Order Clerk sees them. Not part of run-tests.sh or CI.

Needs Debian's `chromium` and `chromium-driver`, and selenium in the bench's env
(`~/frappe-bench/env/bin/python -m pip install selenium`). Run from the bench's sites folder, on a
test site (it commits the data it makes there):

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/order_mgmt/tests/browser/customer_order_form.py SITE

It serves the site with `bench serve` on BROWSER_PORT (default 8123) for the run and stops it after.
Checked: picking an item fills its row (UOM, price-list rate from the customer's price list, rate,
amount, warehouse), the taxes and the totals without saving, with no loop of calls; a discount
reprices; the stock shows next to the item; the UOM list is the item's own; a changed UOM reprices;
a problem the save would refuse shows without a dialog and goes once fixed; the saved totals equal
the live ones; the saved draft shows its review route once, without credit or cost figures.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request

import frappe

SITE = sys.argv[1] if len(sys.argv) > 1 else "test-order-mgmt.localhost"
PORT = int(os.environ.get("BROWSER_PORT", "8123"))
BASE = f"http://{SITE}:{PORT}"
PASSWORD = "Clerk-browser-123"
results: list[tuple[str, bool, str]] = []


def make_data() -> dict:
	frappe.init(site=SITE, sites_path=".")
	frappe.connect()
	frappe.flags.in_test = True
	try:
		from frappe.utils.password import update_password

		from order_mgmt.tests.test_live_pricing import make_price_list
		from order_mgmt.tests.utils import clerk, make_customer, make_item, make_tax_template

		frappe.set_user("Administrator")
		tea = make_item(rate=100, stock_qty=5)
		box = make_item(
			rate=10,
			stock_uom="Nos",
			uoms=[{"uom": "Nos", "conversion_factor": 1}, {"uom": "Box", "conversion_factor": 12}],
		)
		data = {
			"tea": tea,
			"box": box,
			"customer": make_customer(default_price_list=make_price_list({tea: 90, box: 8})),
			"template": make_tax_template(13),
			"user": clerk(),
		}
		update_password(data["user"], PASSWORD)
		frappe.db.commit()
		frappe.clear_cache()  # the form's script as it is in the checkout
		return data
	finally:
		frappe.destroy()


def serve():
	server = subprocess.Popen(
		["bench", "--site", SITE, "serve", "--port", str(PORT), "--noreload"],
		cwd="..",
		stdout=subprocess.DEVNULL,
		stderr=subprocess.DEVNULL,
		start_new_session=True,
	)
	for _ in range(60):
		try:
			# Chromium resolves *.localhost itself; Python may not: ask the loopback with the site's Host
			request = urllib.request.Request(f"http://127.0.0.1:{PORT}/login", headers={"Host": SITE})
			urllib.request.urlopen(request, timeout=2)
			return server
		except OSError:
			time.sleep(1)
	os.killpg(server.pid, signal.SIGTERM)
	raise SystemExit(f"bench serve did not answer on {BASE}")


def check(label: str, ok: bool, detail: str = "") -> None:
	results.append((label, bool(ok), detail))
	print(("PASS " if ok else "FAIL ") + label + (f" — {detail[:200]}" if detail and not ok else ""))


def run(data: dict) -> None:
	from selenium import webdriver
	from selenium.webdriver.chrome.service import Service
	from selenium.webdriver.common.by import By
	from selenium.webdriver.support import expected_conditions as EC
	from selenium.webdriver.support.ui import WebDriverWait

	options = webdriver.ChromeOptions()
	for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1800"):
		options.add_argument(arg)
	options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
	driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)

	def js(script, *args):
		return driver.execute_script(script, *args)

	def wait_js(condition, timeout=20):
		end = time.time() + timeout
		while time.time() < end:
			if js(f"try {{ return !!({condition}); }} catch (e) {{ return false; }}"):
				return True
			time.sleep(0.25)
		return False

	def pick(item_code):
		# the grid's empty row if there is one (a new form has one), else a new row
		js(
			"""const empty = (cur_frm.doc.items || []).find((r) => !r.item_code);
			const row = empty || cur_frm.add_child("items");
			cur_frm.refresh_field("items");
			frappe.model.set_value(row.doctype, row.name, "item_code", arguments[0]);""",
			item_code,
		)

	def set_row(index, field, value):
		js(
			"frappe.model.set_value('Customer Order Item', cur_frm.doc.items[arguments[0]].name, arguments[1], arguments[2])",
			index,
			field,
			value,
		)

	try:
		driver.get(f"{BASE}/login")
		WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.ID, "login_email"))).send_keys(
			data["user"]
		)
		driver.find_element(By.ID, "login_password").send_keys(PASSWORD)
		driver.find_element(By.CSS_SELECTOR, ".btn-login").click()
		WebDriverWait(driver, 30).until(lambda d: "/app" in d.current_url)

		driver.get(f"{BASE}/app/customer-order/new")
		assert wait_js("window.cur_frm && cur_frm.doctype === 'Customer Order' && cur_frm.is_new()")
		js(
			"""window.co_calls = 0; const xcall = frappe.xcall;
			frappe.xcall = function (method) {
				if (method === "order_mgmt.orders.live_pricing.price_draft") window.co_calls++;
				return xcall.apply(this, arguments);
			};"""
		)
		js("cur_frm.set_value('customer', arguments[0])", data["customer"])
		assert wait_js("cur_frm.doc.price_list"), "the customer's defaults"
		js("cur_frm.set_value('taxes_and_charges', arguments[0])", data["template"])
		js("cur_frm.set_value('delivery_date', frappe.datetime.add_days(frappe.datetime.get_today(), 5))")
		pick(data["tea"])
		filled = wait_js(
			"cur_frm.doc.items[0].amount > 0 && cur_frm.doc.taxes.length && cur_frm.doc.grand_total > 0"
		)
		row = js("return Object.assign({}, cur_frm.doc.items[0])")
		check(
			"picking an item fills its row",
			filled and row["rate"] == 90 and row["price_list_rate"] == 90 and row["uom"] and row["warehouse"],
			str(row),
		)
		totals = js("return [cur_frm.doc.net_total, cur_frm.doc.grand_total, cur_frm.is_new()]")
		check("taxes and totals filled without saving", totals == [90, 101.7, 1], str(totals))
		time.sleep(1.5)
		check("no loop of calls", js("return window.co_calls") <= 3, str(js("return window.co_calls")))

		set_row(0, "qty", 6)
		assert wait_js("cur_frm.doc.items[0].amount === 540")
		set_row(0, "discount_percentage", 10)
		check("a discount reprices the row and totals", wait_js("cur_frm.doc.net_total === 486"))
		stock = js(
			"return $(cur_frm.fields_dict.items.grid.wrapper).find('.co-line-stock').first().prop('outerHTML')"
		)
		check(
			"the stock shows next to the item (6 asked, 5 there)",
			"indicator red" in (stock or ""),
			stock or "",
		)

		pick(data["box"])
		assert wait_js("cur_frm.doc.items[1].amount > 0")
		uoms = js(
			"""const row = cur_frm.doc.items[1];
			const q = cur_frm.fields_dict.items.grid.get_field("uom").get_query(cur_frm.doc, row.doctype, row.name);
			return frappe.call({method: "frappe.desk.search.search_link", type: "POST", async: false,
				args: {doctype: "UOM", txt: "", query: q.query, filters: q.filters}}).responseJSON.message.map((r) => r.value);"""
		)
		check("the UOM list is the item's own", sorted(uoms) == ["Box", "Nos"], str(uoms))
		set_row(1, "uom", "Box")
		check(
			"a changed UOM reprices",
			wait_js("cur_frm.doc.items[1].conversion_factor === 12 && cur_frm.doc.items[1].rate === 96"),
		)

		set_row(1, "qty", 0)
		shown = wait_js("$(cur_frm.wrapper).find('.co-pricing-message').text().includes('greater than zero')")
		check(
			"a problem the save would refuse shows without a dialog",
			shown and not js("return $('.modal.show').length"),
		)
		set_row(1, "qty", 1)
		check(
			"and goes once fixed",
			wait_js(
				"!$(cur_frm.wrapper).find('.co-pricing-message').length && cur_frm.doc.items[1].amount === 96"
			),
		)

		live = js("return [cur_frm.doc.net_total, cur_frm.doc.grand_total]")
		js("cur_frm.save()")
		saved = wait_js("!cur_frm.is_new() && !cur_frm.is_dirty()", 30)
		check(
			"the saved totals equal the live ones",
			saved and js("return [cur_frm.doc.net_total, cur_frm.doc.grand_total]") == live,
		)
		shown = wait_js("$(cur_frm.wrapper).find('.co-route-preview').text().includes('Sales')")
		time.sleep(2)
		preview = js("return $(cur_frm.wrapper).find('.co-route-preview').text()")
		check(
			"the saved draft shows its review route once, without cost figures",
			shown
			and js("return $(cur_frm.wrapper).find('.co-route-preview').length") == 1
			and "is below its cost" in preview
			and "valuation" not in preview,
			preview,
		)
		errors = [
			entry["message"]
			for entry in driver.get_log("browser")
			if entry["level"] == "SEVERE"
			and "socket.io" not in entry["message"]
			and "play() failed" not in entry["message"]
		]  # bench serve has no socket.io; the desk's sound needs a user gesture
		check("no errors in the console", not errors, str(errors))
	finally:
		driver.quit()


if __name__ == "__main__":
	data = make_data()
	server = serve()
	try:
		run(data)
	finally:
		os.killpg(server.pid, signal.SIGTERM)
	failed = sum(1 for _, ok, _ in results if not ok)
	print(f"{len(results) - failed} passed, {failed} failed")
	sys.exit(1 if failed else 0)
