# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from frappe.model.document import Document

from order_mgmt import server_owned


class ReturnRequestItem(server_owned.RowSavedWithItsDocument, Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		already_returned_qty: DF.Float
		amount: DF.Currency
		condition: DF.Literal["", "Unopened", "Opened", "Damaged", "Defective"]
		delivered_qty: DF.Float
		delivery_note: DF.Link | None
		delivery_note_item: DF.Data | None
		item_code: DF.Link
		item_name: DF.Data | None
		notes: DF.SmallText | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		photo: DF.AttachImage | None
		qty: DF.Float
		rate: DF.Currency
		reason: DF.Link
		sales_order_item: DF.Data | None
		uom: DF.Link | None
	# end: auto-generated types
