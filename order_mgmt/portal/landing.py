"""Where a portal user lands: their orders after login (hooks.py role_home_page), a way back from
Frappe's 403 page, and a CSRF token for their session.

Frappe's "Not Permitted" page (NotPermittedPage, rendered with www/message.html) always offers a
"Login" button; to a user who is logged in — a customer who followed a stale or foreign link — it
should offer the way back to their own pages instead.

Frappe checks the X-Frappe-CSRF-Token header of a POST only when the session has a token
(frappe.auth.HTTPRequest.validate_csrf_token), and it makes one only when the desk (/app) is opened:
a portal customer's session had none, so their POSTs were not checked at all. A website user's
session now gets its token on the first page it renders (update_website_context) — the page after
login, as the login page sends the user on — exactly as a desk session gets it from /app; the pages
carry it as frappe.csrf_token, which the portal's scripts send. (Not at login itself: Frappe checks
the token in the login request right after creating the session.)
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.website.utils import get_home_page

PORTAL_HOME = "/my-orders"


def home_of_user() -> str:
	"""The logged-in user's home: the desk for system users, else their portal home page."""
	if frappe.get_cached_value("User", frappe.session.user, "user_type") == "System User":
		return "/app"
	return "/" + get_home_page()


def ensure_csrf_token() -> None:
	"""A logged-in website user's session gets its CSRF token (desk sessions get theirs from /app)."""
	if frappe.session.user == "Guest" or not getattr(frappe.local, "session_obj", None):
		return
	if frappe.get_cached_value("User", frappe.session.user, "user_type") == "System User":
		return
	from frappe.sessions import get_csrf_token

	get_csrf_token()


def portal_page_context(context) -> None:
	"""update_website_context: every page of a logged-in website user carries the session's CSRF token;
	the 403 page offers the way back."""
	ensure_csrf_token()
	not_permitted_way_back(context)


def not_permitted_way_back(context) -> None:
	"""On the 403 page of a logged-in user, the button leads home, not to login."""
	if frappe.session.user == "Guest":
		return
	response = getattr(frappe.local, "response", None)
	page = response.get("context") if response else None
	if not isinstance(page, dict) or not str(page.get("primary_action") or "").startswith("/login"):
		return
	home = home_of_user()
	page.update(
		primary_action=home,
		primary_label=_("Back to My Orders") if home == PORTAL_HOME else _("Back to Home"),
	)
