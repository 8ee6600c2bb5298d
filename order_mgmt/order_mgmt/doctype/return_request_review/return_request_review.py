# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from frappe.model.document import Document

from order_mgmt import server_owned


class ReturnRequestReview(server_owned.RowSavedWithItsDocument, Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		comment: DF.SmallText | None
		decided_on: DF.Datetime | None
		decision: DF.Literal["Approved", "Rejected"]
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		reviewer: DF.Link | None
	# end: auto-generated types
