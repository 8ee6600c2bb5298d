# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from __future__ import annotations

import frappe
from frappe.model.document import Document

from order_mgmt import server_owned


class OrderIntakeKey(Document):
	"""The claim of an idempotency key or external order reference (orders/external_intake.py)."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		customer_order: DF.Link | None
		customer_order_import: DF.Link | None
		reference: DF.Data
		request_hash: DF.Data | None
		scope: DF.Data
		source: DF.Literal["API", "Import"]
	# end: auto-generated types

	def validate(self):
		server_owned.refuse_unless_app_write(self)


def on_doctype_update():
	"""The claim is unique per (source, scope, reference) — besides the primary key derived from them."""
	frappe.db.add_unique(
		"Order Intake Key", ["source", "scope", "reference"], constraint_name="unique_intake_reference"
	)
