"""An approved order that may miss its promise (written by order_mgmt.fulfilment.risk_sweep only)."""

from frappe.model.document import Document

from order_mgmt import server_owned


class OrderRisk(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		assessed_on: DF.Datetime | None
		customer: DF.Link | None
		customer_order: DF.Link
		grade: DF.Literal["", "Low", "Medium", "High"]
		grand_total: DF.Currency
		promised_on: DF.Date | None
		reason_codes: DF.Data | None
		reasons: DF.SmallText | None
		resolved_on: DF.Datetime | None
		responsible: DF.Data | None
		status: DF.Literal["Open", "Resolved"]
	# end: auto-generated types

	def before_validate(self):
		server_owned.refuse_unless_app_write(self)
