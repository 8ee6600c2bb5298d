"""Versions written before order_mgmt.review.restricted_fields: drop their permlevel-1 values (credit
limit and exposure, review checks, line valuation), which the form timeline showed to everyone."""

import frappe

from order_mgmt.review.restricted_fields import doctypes_with_restricted_fields, stripped_data


def execute():
	doctypes = doctypes_with_restricted_fields()
	if not doctypes:
		return
	for version in frappe.get_all(
		"Version", filters={"ref_doctype": ("in", doctypes)}, fields=["name", "ref_doctype", "data"]
	):
		if not version.data:
			continue
		data = stripped_data(version.ref_doctype, version.data)
		if data != version.data:
			frappe.db.set_value("Version", version.name, "data", data, update_modified=False)
