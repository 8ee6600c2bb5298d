"""The customer portal in a real browser, as a portal customer uses it: log in, place an order at
/my-orders/new, find it in /my-orders (and by its PO reference) and on its page, order it again, change
it and cancel another while they are in review, fail to open another customer's order, save a cart as
a template and order from it (and delete it), follow a delivered order's timeline, download its invoice
as PDF, leave feedback on it, ask to return part of it with a photo (told first what is missing), and
read the order list on a 390 px phone."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote
from uuid import uuid4

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select


def unique(prefix: str) -> str:
	return f"{prefix}-{uuid4().hex[:8].upper()}"


def add_to_cart(b, data, qty: int) -> str:
	"""On /my-orders/new: search the tea by its name, add it, set the quantity; returns the line's selector
	once the server has priced it."""
	b.type("#portal-item-search", data["tea_name"][:14])
	b.click(f".portal-item-result[data-item='{data['tea']}']")
	line = f".portal-cart-line[data-item='{data['tea']}']"
	b.wait_text(f"{line} .portal-line-rate", "100")  # priced by the server on its own
	set_quantity(b, line, qty)
	return line


def set_quantity(b, line: str, qty: int) -> None:
	"""Type a line's quantity and leave the field; the server reprices the cart (tea: 100 each)."""
	quantity = b.find(f"{line} input[name=qty]")
	quantity.send_keys(Keys.CONTROL, "a")  # not clear(): WebDriver's clear fires the change event
	quantity.send_keys(str(qty))
	b.click("#portal-customer-po")  # leaving the quantity reprices the cart (its change event)
	b.wait_text(f"{line} .portal-line-amount", f"{qty * 100}")
	b.wait_text(".portal-net-total", f"{qty * 100}")


@pytest.fixture(scope="module")
def placed(b, data) -> dict:
	"""An order placed through /my-orders/new: 3 of the tea, found by searching its name."""
	b.login(data["customer_user"], data["password"])
	b.go("/my-orders")
	b.click(".portal-new-order")
	b.wait_js("location.pathname === '/my-orders/new'")
	add_to_cart(b, data, 3)
	po = unique("BROWSER-PO")
	b.type("#portal-customer-po", po)
	b.type("#portal-order-notes", "Placed by the browser test")
	b.click(".portal-place-button")
	name = b.wait_js(
		"/^\\/my-orders\\/(?!new)[^/?]+$/.test(location.pathname) && decodeURIComponent(location.pathname.split('/')[2])",
		message="the page of the placed order",
	)
	b.find(".portal-order-items")
	return {"name": name, "po": po}


def test_a_customer_places_an_order_and_finds_it_in_the_list_and_on_its_page(b, data, placed):
	# the order's own page, where placing lands
	assert b.path() == f"/my-orders/{placed['name']}"
	b.wait_text(".my-account-header", placed["name"])
	b.wait_text(".my-account-header .indicator-pill", "Review")  # portal orders are confirmed by sales
	assert data["tea"] in b.text(".portal-order-items")
	assert placed["po"] in b.text(".portal-order-summary")
	b.screenshot("placed-order")

	b.go("/my-orders")
	row = f"tr.portal-order[data-name='{placed['name']}']"
	b.wait_text(row, placed["po"])
	b.click(f"{row} a")
	b.wait_js(f"location.pathname === '/my-orders/{placed['name']}'")
	b.find(".portal-order-items")
	b.screenshot("order-page")


def test_the_order_list_finds_an_order_by_its_po_reference(b, data, placed):
	b.login(data["customer_user"], data["password"])
	b.go("/my-orders")
	b.type("#filter-search", placed["po"])
	b.click("#filter-apply")
	b.wait_js(
		f"new URLSearchParams(location.search).get('q') === {json.dumps(placed['po'])}"
		" && document.readyState === 'complete'"
	)
	rows = [row.get_attribute("data-name") for row in b.all("tr.portal-order")]
	assert rows == [placed["name"]], rows
	b.find("#filter-clear")


def test_order_again_fills_a_new_cart_with_the_orders_lines_at_todays_prices(b, data, placed):
	b.login(data["customer_user"], data["password"])
	b.go(f"/my-orders/{placed['name']}")
	b.click(".portal-order-again")
	b.wait_js("location.pathname === '/my-orders/new' && location.search.includes('from=')")
	b.wait_text(".portal-reorder-source", placed["name"])
	line = f".portal-cart-line[data-item='{data['tea']}']"
	assert b.find(f"{line} input[name=qty]").get_attribute("value") in ("3", "3.0")
	b.wait_text(f"{line} .portal-line-amount", "300")
	b.wait_text(".portal-net-total", "300")
	assert len(b.all(".portal-cart-line")) == 1
	assert not b.all(".portal-unavailable")


def test_a_customer_cancels_an_order_still_in_review(b, data):
	b.login(data["customer_user"], data["password"])
	name = data["order_to_cancel"]
	b.go(f"/my-orders/{name}")
	b.click(".portal-cancel-toggle")
	b.type("#portal-cancel-form textarea[name=reason]", "Ordered twice by mistake")
	b.click("#portal-cancel-form button[type=submit]")
	b.wait_text(".my-account-header .indicator-pill", "Cancelled")  # the page reloads
	assert not b.all(".portal-cancel-toggle")


def test_another_customers_order_cannot_be_opened(b, data):
	b.login(data["customer_user"], data["password"])
	name = data["other_order"]
	b.go(f"/my-orders/{name}")
	b.wait_js("document.readyState === 'complete'")
	assert b.status() in (403, 404)
	page = b.text("body")
	assert "not found" in page.lower() or "not permitted" in page.lower(), page[:500]
	assert not b.all(".portal-order-items")
	assert data["other_customer"] not in page
	b.screenshot("other-customers-order")


def test_a_cart_saved_as_a_template_is_ordered_again_from_the_templates_page(b, data):
	b.login(data["customer_user"], data["password"])
	b.go("/my-orders/new")
	add_to_cart(b, data, 2)
	name = unique("Browser weekly tea")
	b.type("#template-name", name)
	b.click("#save-template")
	b.wait_text("#template-message", name)
	assert "text-success" in b.find("#template-message").get_attribute("class")

	b.go("/my-orders/templates")
	row = b.wait(
		lambda d: next(
			(r for r in d.find_elements(By.CSS_SELECTOR, "tr.portal-template") if name in r.text),
			None,
		),
		message=f"template {name} listed",
	)
	row.find_element(By.CSS_SELECTOR, ".portal-template-order").click()
	b.wait_js("location.pathname === '/my-orders/new' && location.search.includes('template=')")
	b.find("#template-source")
	line = f".portal-cart-line[data-item='{data['tea']}']"
	assert b.find(f"{line} input[name=qty]").get_attribute("value") in ("2", "2.0")
	b.wait_text(f"{line} .portal-line-amount", "200")  # at today's prices
	assert len(b.all(".portal-cart-line")) == 1

	b.go("/my-orders/templates")
	row = f"tr.portal-template[data-name='{template_named(b, name)}']"
	b.driver.execute_script("window.confirm = () => true")  # the "Delete template …?" question
	b.click(f"{row} .portal-template-delete")
	b.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, row), message=f"template {name} deleted")
	b.go("/my-orders/templates")
	assert name not in b.text("body")


def template_named(b, title: str) -> str:
	return b.js(
		"""return [...document.querySelectorAll("tr.portal-template")]
			.find((row) => row.innerText.includes(arguments[0])).dataset.name;""",
		title,
	)


def test_a_delivered_orders_page_shows_its_timeline_and_its_invoice_as_pdf(b, data):
	b.login(data["customer_user"], data["password"])
	b.go(f"/my-orders/{data['delivered_order']}")
	b.find("#order-timeline")
	kinds = [e.get_attribute("data-kind") for e in b.all("#order-timeline .portal-timeline-event")]
	for kind in ("submitted", "approved", "picked", "shipped", "invoiced"):
		assert kind in kinds, kinds
	assert "OMT-TRACK-4711" in b.text("#order-timeline")  # the tracking number of the shipment
	b.js("document.getElementById('order-timeline').scrollIntoView()")
	b.screenshot("order-timeline")

	link = b.find(f"#order-documents tr[data-name='{data['invoice']}'] .invoice-pdf-link")
	href = link.get_attribute("href")
	pdf = b.driver.execute_async_script(
		"""const done = arguments[arguments.length - 1];
		fetch(arguments[0], {credentials: "same-origin"})
			.then(async (r) => done({status: r.status, type: r.headers.get("Content-Type"),
				head: new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5))}))
			.catch((e) => done({error: String(e)}));""",
		href,
	)
	assert pdf.get("status") == 200 and "pdf" in (pdf.get("type") or ""), pdf
	assert pdf["head"] == "%PDF-", pdf


def test_a_customer_leaves_feedback_on_a_delivered_order_once(b, data):
	b.login(data["customer_user"], data["password"])
	name = data["delivered_order"]
	b.go(f"/my-orders/{name}")
	Select(b.find("#feedback-rating")).select_by_value("4")
	b.type("#feedback-comment", "Quick delivery, well packed")
	b.click("#feedback-submit")
	b.find("#feedback-thanks")
	b.go(f"/my-orders/{name}")
	assert b.find("#order-feedback").get_attribute("data-rating") == "4"
	assert "well packed" in b.text("#feedback-comment-text")
	assert not b.all("#feedback-form")  # once


# The smallest PNG: one transparent pixel.
PIXEL = base64.b64decode(
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def test_a_customer_asks_to_return_part_of_a_delivered_order_with_a_photo(b, data, tmp_path: Path):
	b.login(data["customer_user"], data["password"])
	b.go(f"/my-returns/new?order={quote(data['delivered_order'])}")
	line = ".portal-return-line"
	quantity = b.find(f"{line} input[name=qty]")
	quantity.send_keys(Keys.CONTROL, "a")
	quantity.send_keys("1")
	b.click("#portal-return-form button[type=submit]")
	# The server's refusal, as plain text naming the row: no reason or condition chosen yet.
	b.wait_text(".portal-return-errors", "Row 1")
	assert "<" not in b.text(".portal-return-errors")

	reason = Select(b.find(f"{line} select[name=reason]"))
	reason.select_by_index(1)
	Select(b.find(f"{line} select[name=condition]")).select_by_index(1)
	photo = tmp_path / "broken-seal.png"
	photo.write_bytes(PIXEL)
	b.find(f"{line} input[name=photo]").send_keys(str(photo))  # uploaded first, then attached
	b.click("#portal-return-form button[type=submit]")
	request = b.wait_js(
		"/^\\/my-returns\\/(?!new)[^/?]+$/.test(location.pathname) && decodeURIComponent(location.pathname.split('/')[2])",
		message="the page of the return request",
	)
	b.wait_text("body", data["delivered_item"])
	photo_link = b.find("a[href*='broken-seal']")  # the photo uploaded through upload_file
	assert photo_link.get_attribute("href"), request
	b.screenshot("return-request")


def test_a_customer_changes_an_order_still_in_review(b, data, placed):
	b.login(data["customer_user"], data["password"])
	b.go(f"/my-orders/{placed['name']}")
	b.click("#change-order")
	b.wait_js("location.pathname === '/my-orders/new' && location.search.includes('edit=')")
	line = f".portal-cart-line[data-item='{data['tea']}']"
	b.wait_text(f"{line} .portal-line-amount", "300")
	set_quantity(b, line, 4)
	b.click("#place-order")  # "Save Changes"
	amended = b.wait_js(
		"/^\\/my-orders\\/(?!new)[^/?]+$/.test(location.pathname) && decodeURIComponent(location.pathname.split('/')[2])",
		message="the page of the changed order",
	)
	assert amended != placed["name"]  # an amendment, reviewed again; the original is cancelled
	b.wait_text(".portal-order-items tbody", "4")
	b.wait_text(".my-account-header .indicator-pill", "Review")
	b.go(f"/my-orders/{placed['name']}")
	b.wait_text(".my-account-header .indicator-pill", "Cancelled")


def test_the_order_list_keeps_its_amounts_on_a_phone(b, data, placed):
	b.login(data["customer_user"], data["password"])
	size = b.driver.get_window_size()
	b.driver.set_window_size(390, 844)
	try:
		b.wait_js("window.innerWidth <= 400")
		b.go("/my-orders")
		row = f"tr.portal-order[data-name='{placed['name']}']"
		b.find(row)
		cells = b.js(
			"""return [...document.querySelectorAll(arguments[0] + " td")].map((td) => {
				const box = td.getBoundingClientRect();
				return {label: td.getAttribute("data-label"), text: td.innerText, shown: box.width > 0 && box.height > 0,
					inside: box.left >= 0 && box.right <= window.innerWidth + 1};
			});""",
			row,
		)
		total = next((cell for cell in cells if cell["label"] == "Grand Total"), None)
		assert total and total["shown"] and total["inside"] and total["text"].strip(), cells
		assert document_fits(b), "the page scrolls sideways"
		b.screenshot("my-orders-phone")
	finally:
		b.driver.set_window_size(size["width"], size["height"])


def document_fits(b) -> bool:
	return b.js("return document.documentElement.scrollWidth <= window.innerWidth + 1")
