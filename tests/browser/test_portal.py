"""The customer portal in a real browser, as a portal customer uses it: log in, place an order at
/my-orders/new, find it in /my-orders and on its page, order it again, cancel an order still in review,
and fail to open another customer's order."""

from __future__ import annotations

from uuid import uuid4

import pytest
from selenium.webdriver.common.keys import Keys


def unique(prefix: str) -> str:
	return f"{prefix}-{uuid4().hex[:8].upper()}"


@pytest.fixture(scope="module")
def placed(b, data) -> dict:
	"""An order placed through /my-orders/new: 3 of the tea, found by searching its name."""
	b.login(data["customer_user"], data["password"])
	b.go("/my-orders")
	b.click(".portal-new-order")
	b.wait_js("location.pathname === '/my-orders/new'")
	b.type("#portal-item-search", data["tea_name"][:14])
	b.click(f".portal-item-result[data-item='{data['tea']}']")
	line = f".portal-cart-line[data-item='{data['tea']}']"
	b.wait_text(f"{line} .portal-line-rate", "100")  # priced by the server on its own
	qty = b.find(f"{line} input[name=qty]")
	qty.send_keys(Keys.CONTROL, "a")  # not clear(): WebDriver's clear fires the change event
	qty.send_keys("3")
	b.click("#portal-customer-po")  # leaving the quantity reprices the cart (its change event)
	b.wait_text(f"{line} .portal-line-amount", "300")
	b.wait_text(".portal-net-total", "300")
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
