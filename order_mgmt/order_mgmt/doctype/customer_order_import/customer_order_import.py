# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from __future__ import annotations

from frappe.model.document import Document

from order_mgmt import server_owned
from order_mgmt.orders import bulk_import


class CustomerOrderImport(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		company: DF.Link
		import_file: DF.Attach
		orders_created: DF.Int
		orders_existing: DF.Int
		orders_refused: DF.Int
		preview_log: DF.LongText | None
		refused_rows_file: DF.Attach | None
		result_log: DF.LongText | None
		rows_refused: DF.Int
		status: DF.Literal[
			"Pending", "Previewed", "Queued", "In Progress", "Completed", "Partially Completed", "Failed"
		]
		total_orders: DF.Int
		total_rows: DF.Int
	# end: auto-generated types

	server_owned_fields = (
		"status",
		"total_orders",
		"total_rows",
		"preview_log",
		"orders_created",
		"orders_existing",
		"orders_refused",
		"rows_refused",
		"refused_rows_file",
		"result_log",
	)
	"""Written by the importer only (order_mgmt.server_owned)."""

	def before_validate(self):
		server_owned.enforce(self)

	def validate(self):
		bulk_import.validate_import(self)
