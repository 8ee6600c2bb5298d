# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

from frappe.model.document import Document

from order_mgmt import server_owned


class ReviewPolicyRule(server_owned.RowSavedWithItsDocument, Document):
	"""A rule of a Review Policy: the fields of Order Review Rule (review/policy.py publishes them)."""
