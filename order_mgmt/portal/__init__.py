"""The customer web portal: a logged-in customer's orders and return requests (pages in www/).

Portal users have no desk permission on Customer Order or Return Request: every page and method
here finds the user's customers (customers.py) and checks each document against them before
reading it with the database API. A document of another customer looks exactly like one that
does not exist, so that nothing about other customers leaks.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urlencode

import frappe
from frappe import _


def require_login() -> None:
	"""Send a guest to the login page, and back here afterwards (302: the login is temporary)."""
	if frappe.session.user != "Guest":
		return
	request = getattr(frappe.local, "request", None)
	target = request.full_path.rstrip("?") if request else "/me"
	frappe.local.flags.redirect_location = "/login?" + urlencode({"redirect-to": target})
	raise frappe.Redirect(302)


def not_found(doctype: str, name):
	"""The same answer for another customer's document as for one that does not exist."""
	frappe.throw(
		_("{0} {1} was not found in your account").format(
			_(doctype), frappe.utils.escape_html(str(name or ""))
		),
		frappe.PermissionError,
		title=_("Not Permitted"),
	)


def plain(value) -> str:
	"""Free text as its writer typed it. Frappe stores text that looks like HTML sanitised (so
	"<" comes back as "&lt;"); the templates escape every value, so undo Frappe's escaping first
	rather than show it twice."""
	return html.unescape(str(value)) if value else ""


def js_messages(script: str | Path) -> dict[str, str]:
	"""The translations of the __("...") strings of a page script, for frappe._messages (web pages
	load no translations of their own)."""
	from frappe.translate import extract_messages_from_javascript_code

	code = Path(script).read_text(encoding="utf-8")
	return {message: _(message) for _line, message, _context in extract_messages_from_javascript_code(code)}
