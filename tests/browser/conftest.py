"""Fixtures of the browser tests: one headless Chromium (Debian's `chromium` + `chromium-driver`, driven by
selenium) for the whole run, against a real web server of the test site.

scripts/run-tests.sh starts `bench serve` for the test site, makes the data
(order_mgmt.tests.browser_setup.prepare) and runs `pytest tests/browser` with:
  BROWSER_BASE_URL   the site's address, e.g. http://test-order-mgmt.localhost:8123
  BROWSER_DATA       the JSON file prepare() wrote (users, password, customers, items, orders)
  BROWSER_ARTIFACTS  where screenshots go (default /tmp/order_mgmt-browser): a failed test leaves
                     failures/<test>.png and .html; some tests keep screenshots of what they checked.
The unit test run (`pytest tests`) does not collect this folder (norecursedirs in pyproject.toml).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from selenium import webdriver
from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT = float(os.environ.get("BROWSER_WAIT", "20"))
"""Seconds an explicit wait gives the page (server calls on a busy 2-core machine take seconds)."""
WINDOW = (1366, 900)


def artifacts() -> Path:
	path = Path(os.environ.get("BROWSER_ARTIFACTS") or "/tmp/order_mgmt-browser")
	path.mkdir(parents=True, exist_ok=True)
	return path


class Browser:
	"""The driver with the few steps the tests share; every wait is an explicit condition."""

	def __init__(self, driver, base_url: str):
		self.driver = driver
		self.base_url = base_url.rstrip("/")
		self.user = None

	# --- pages and elements -------------------------------------------------------------------

	def go(self, path: str) -> None:
		self.driver.get(self.base_url + path)

	def path(self) -> str:
		return re.sub(r"^https?://[^/]+", "", self.driver.current_url)

	def wait(self, condition, timeout: float = WAIT, message: str = ""):
		return WebDriverWait(
			self.driver,
			timeout,
			ignored_exceptions=(StaleElementReferenceException, ElementClickInterceptedException),
		).until(condition, message)

	def find(self, css: str, timeout: float = WAIT):
		"""The visible element `css` (waits for it)."""
		return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), timeout, f"{css} visible")

	def present(self, css: str, timeout: float = WAIT):
		return self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, css)), timeout, f"{css} present")

	def all(self, css: str):
		return self.driver.find_elements(By.CSS_SELECTOR, css)

	def click(self, css: str, timeout: float = WAIT) -> None:
		"""Click the element once it is clickable (found again if the page re-rendered it meanwhile)."""

		def clicked(driver) -> bool:
			element = EC.element_to_be_clickable((By.CSS_SELECTOR, css))(driver)
			if not element:
				return False
			driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
			element.click()
			return True

		self.wait(clicked, timeout, f"{css} clicked")

	def type(self, css: str, text: str) -> None:
		element = self.find(css)
		element.clear()
		element.send_keys(text)

	def text(self, css: str) -> str:
		return self.find(css).text

	def wait_text(self, css: str, fragment: str, timeout: float = WAIT) -> None:
		self.wait(
			EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), fragment),
			timeout,
			f"{fragment!r} in {css}",
		)

	def wait_js(self, expression: str, timeout: float = WAIT, message: str = ""):
		"""Wait until the JavaScript expression is truthy; returns its value."""
		script = f"try {{ return ({expression}); }} catch (e) {{ return null; }}"
		return self.wait(lambda d: d.execute_script(script), timeout, message or expression)

	def js(self, script: str, *args):
		return self.driver.execute_script(script, *args)

	def screenshot(self, name: str) -> Path:
		path = artifacts() / f"{name}.png"
		self.driver.save_screenshot(str(path))
		return path

	def status(self) -> int:
		"""The HTTP status of the page shown (fetched again: WebDriver does not report it)."""
		return self.driver.execute_async_script(
			"const done = arguments[arguments.length - 1];"
			"fetch(location.href, {credentials: 'same-origin'}).then((r) => done(r.status), () => done(0));"
		)

	# --- users ----------------------------------------------------------------------------------

	def login(self, user: str, password: str) -> None:
		"""Log in through the login page (after dropping any other user's session)."""
		if self.user == user:
			return
		# End the previous session on the server first: a request the page still had running could
		# otherwise set its cookies again after they were deleted.
		self.go("/api/method/logout")
		self.driver.delete_all_cookies()
		self.user = None
		self.go("/login")
		self.type("#login_email", user)
		self.type("#login_password", password)
		self.click(".btn-login")

		def logged_in(driver):
			cookie = driver.get_cookie("user_id")
			return cookie and unquote(cookie["value"]) == user and "/login" not in driver.current_url

		self.wait(logged_in, message=f"{user} logged in")
		self.user = user


def chromium_binary() -> str:
	for candidate in (os.environ.get("CHROMIUM_BIN"), "chromium", "chromium-browser", "google-chrome"):
		if candidate and shutil.which(candidate):
			return shutil.which(candidate)
	pytest.exit("No chromium found (install Debian's chromium and chromium-driver)", returncode=2)


@pytest.fixture(scope="session")
def data() -> dict:
	path = os.environ.get("BROWSER_DATA")
	if not path:
		pytest.exit("BROWSER_DATA is not set: run the browser tests through scripts/run-tests.sh", 2)
	with open(path) as handle:
		return json.load(handle)


@pytest.fixture(scope="session")
def driver():
	options = webdriver.ChromeOptions()
	options.binary_location = chromium_binary()
	host = urlparse(os.environ.get("BROWSER_BASE_URL") or "").hostname
	if host and host != "127.0.0.1":
		# bench serve listens on this machine: the site's name need not be in DNS or /etc/hosts
		options.add_argument(f"--host-resolver-rules=MAP {host} 127.0.0.1")
	for arg in (
		"--headless=new",
		"--no-sandbox",  # containers run it as root
		"--disable-dev-shm-usage",
		"--disable-gpu",
		f"--window-size={WINDOW[0]},{WINDOW[1]}",
		"--lang=en-US",
		"--no-first-run",
		"--disable-extensions",
	):
		options.add_argument(arg)
	options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
	service = Service(
		os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
	)
	browser = webdriver.Chrome(service=service, options=options)
	browser.set_page_load_timeout(60)
	browser.set_script_timeout(WAIT)
	yield browser
	browser.quit()


@pytest.fixture(scope="session")
def b(driver) -> Browser:
	base_url = os.environ.get("BROWSER_BASE_URL")
	if not base_url:
		pytest.exit("BROWSER_BASE_URL is not set: run the browser tests through scripts/run-tests.sh", 2)
	return Browser(driver, base_url)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
	"""A failed test leaves a screenshot and the page's HTML under BROWSER_ARTIFACTS/failures."""
	outcome = yield
	report = outcome.get_result()
	if report.when == "teardown" or not report.failed:
		return
	browser = item.funcargs.get("b")
	if not browser:
		return
	folder = artifacts() / "failures"
	folder.mkdir(exist_ok=True)
	stem = folder / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::")[-1])
	try:
		browser.driver.save_screenshot(f"{stem}.png")
		Path(f"{stem}.html").write_text(browser.driver.page_source, encoding="utf-8")
		report.sections.append(
			("browser", f"url: {browser.driver.current_url}\nscreenshot: {stem}.png\npage: {stem}.html")
		)
		print(
			f"\nSCREENSHOT of the failure: {stem}.png (page: {stem}.html, url: {browser.driver.current_url})"
		)
	except Exception as error:  # the browser itself may be what failed
		print(f"\nno screenshot of the failure: {error}")
