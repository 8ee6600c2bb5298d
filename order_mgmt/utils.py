"""Small helpers shared across the app."""

from __future__ import annotations

from contextlib import contextmanager

import frappe


@contextmanager
def acting_as(user: str):
	"""Run a block as another user (demo data, tests, and system follow-ups of an approval)."""
	previous = frappe.session.user
	frappe.set_user(user)
	try:
		yield
	finally:
		frappe.set_user(previous)
