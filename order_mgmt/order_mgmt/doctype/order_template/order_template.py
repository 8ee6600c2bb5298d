# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from frappe.model.document import Document

from order_mgmt.portal import templates


class OrderTemplate(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from order_mgmt.order_mgmt.doctype.order_template_item.order_template_item import OrderTemplateItem

		customer: DF.Link
		customer_name: DF.Data | None
		items: DF.Table[OrderTemplateItem]
		notes: DF.SmallText | None
		template_name: DF.Data
	# end: auto-generated types

	def validate(self):
		templates.validate_template(self)
