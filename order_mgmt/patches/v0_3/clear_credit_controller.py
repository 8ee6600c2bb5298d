"""Earlier versions set Accounts Settings' Credit Controller to Finance Reviewer, on install and again
on every migrate. ERPNext lets that role past the credit limit on every Sales Order of the site (and
Administrator, who holds every role), not only on orders approved through this app's credit review.
The app no longer needs it: a finance reviewer's approval covers only that order's own Sales Order
(order_mgmt/accounting/credit.py). Where the setting still holds the value the app put there, it is
cleared back to ERPNext's default (nobody passes); any other value is the admin's and stays."""

import frappe

APP_VALUE = "Finance Reviewer"


def execute():
	if frappe.db.get_single_value("Accounts Settings", "credit_controller") == APP_VALUE:
		frappe.db.set_single_value("Accounts Settings", "credit_controller", None)
		print(
			"order_mgmt: Accounts Settings' Credit Controller was 'Finance Reviewer' (set by earlier "
			"versions of this app) and is now empty; set it again if you want that role to pass "
			"credit limits on every Sales Order."
		)
