# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from frappe.model.document import Document

from order_mgmt import server_owned


class OrderTemplateItem(server_owned.RowSavedWithItsDocument, Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		item_code: DF.Link
		item_name: DF.Data | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		qty: DF.Float
		uom: DF.Link | None
	# end: auto-generated types

	pass
