"""Bulk actions over many selected orders (list view): the same order names in, the same rule for
running them as a background job on RQ above the threshold in settings, the same progress bar."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import cint

from order_mgmt.settings import get_settings


def order_names(value: str | list[str]) -> list[str]:
	"""The selected orders, as the list view sends them (a JSON list, or one name), once each."""
	names = frappe.parse_json(value) if isinstance(value, str) else value
	if isinstance(names, str):
		names = [names]
	return list(dict.fromkeys(names))


def check_can_act(names: list[str], creates: str) -> None:
	"""The user may create `creates` and read every selected order."""
	frappe.has_permission(creates, "create", throw=True)
	for name in names:
		frappe.has_permission("Customer Order", "read", name, throw=True)


def is_large(names: list[str]) -> bool:
	threshold = cint(get_settings().background_pick_list_threshold)
	return bool(threshold) and len(names) > threshold


def enqueue_if_large(method: str, names: list[str]) -> dict | None:
	"""Enqueue `method(order_names=names)` on the long queue when the selection is over the
	threshold; the job runs as the user who asked. None: run it now."""
	if not is_large(names):
		return None
	job = frappe.enqueue(method, queue="long", timeout=3600, order_names=names)
	return {"queued": True, "job_id": job.id if job else None, "orders": len(names)}


def publish_progress(title: str, done: int, total: int, what: str) -> None:
	frappe.publish_progress(
		done * 100 / total, title=title, description=_("{0} of {1}: {2}").format(done, total, what)
	)
