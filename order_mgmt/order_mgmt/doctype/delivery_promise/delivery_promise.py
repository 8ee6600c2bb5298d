"""A ship date committed to a Customer Order line (written by order_mgmt.fulfilment.promising only)."""

from frappe.model.document import Document

from order_mgmt import server_owned


class DeliveryPromise(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		customer: DF.Link | None
		customer_order: DF.Link | None
		from_stock: DF.Check
		item_code: DF.Link | None
		order_item: DF.Data | None
		original_promised_on: DF.Date | None
		priority: DF.Data | None
		promised_on: DF.Date | None
		qty: DF.Float
		reason: DF.SmallText | None
		repromise_count: DF.Int
		repromised_by: DF.Link | None
		sales_order: DF.Link | None
		source_doctype: DF.Link | None
		source_name: DF.DynamicLink | None
		status: DF.Literal["Open", "Re-promised", "Released", "Fulfilled"]
		warehouse: DF.Link | None
	# end: auto-generated types

	def before_validate(self):
		server_owned.refuse_unless_app_write(self)
