# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from frappe.model.document import Document


class ReturnReason(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		description: DF.SmallText | None
		enabled: DF.Check
		reason_name: DF.Data
		requires_photo: DF.Check
		restockable: DF.Check
	# end: auto-generated types

	pass
