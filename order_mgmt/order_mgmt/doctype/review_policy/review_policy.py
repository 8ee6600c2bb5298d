# Copyright (c) 2026, order_mgmt contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document

from order_mgmt import server_owned
from order_mgmt.review import policy


class ReviewPolicy(Document):
	"""A draft of the Order Review Rules; published, it becomes them (order_mgmt/review/policy.py)."""

	server_owned_fields = (
		"status",
		"version",
		"published_by",
		"published_on",
		"replay_status",
		"replay_scope",
		"replayed_on",
		"replayed_by",
		"replay_result",
	)

	def before_validate(self):
		server_owned.enforce(self)

	def validate(self):
		policy.validate_draft(self)

	def onload(self):
		self.set_onload("may_publish", policy.may_publish())
		if self.status == policy.PUBLISHED:
			self.set_onload("live_rules_match", policy.live_rules_match(self))

	def on_trash(self):
		if self.status != policy.DRAFT and not frappe.flags.in_uninstall:
			frappe.throw(
				frappe._("A published Review Policy records what went live and cannot be deleted"),
				policy.PolicyNotDraftError,
			)
