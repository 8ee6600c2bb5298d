"""Modes of payment shipped as fixtures (Bank Transfer, Card, Cash, Alipay, WeChat Pay) and their
account per company, which fixtures cannot carry (accounts belong to each site's companies).

Frappe re-imports fixtures on every migrate by replacing the records, child rows included, so the
accounts are kept aside before the migrate and put back after it; companies without one get a
default: the company's cash account for Cash, its default bank account for Bank Transfer, and a
clearing ledger of its own (under the company's bank accounts group) for Card, Alipay and WeChat
Pay, where the payment provider settles later. Admins may change any of them afterwards.

A company created after installation gets its accounts at once (`on_company_update`, a Company doc
event running after ERPNext's own on_update has made the company's chart of accounts and its Cash
account), not at the next migrate. Rows that exist are never changed: admins' choices stand.
"""

from __future__ import annotations

import frappe

MODES = ("Bank Transfer", "Card", "Cash", "Alipay", "WeChat Pay")
CLEARING_ACCOUNTS = {
	"Card": "Card Clearing",
	"Alipay": "Alipay Clearing",
	"WeChat Pay": "WeChat Pay Clearing",
}
CACHE_KEY = "order_mgmt:mode_of_payment_accounts"


def keep_accounts_before_migrate() -> None:
	rows = frappe.get_all(
		"Mode of Payment Account",
		filters={"parenttype": "Mode of Payment", "parent": ("in", MODES)},
		fields=["parent", "company", "default_account"],
	)
	frappe.cache.set_value(CACHE_KEY, [dict(row) for row in rows], expires_in_sec=3600)


def ensure_accounts() -> None:
	"""Install and migrate: every company gets what it lacks; accounts kept before migrate go back."""
	kept = frappe.cache.get_value(CACHE_KEY) or []
	frappe.cache.delete_value(CACHE_KEY)
	add_missing_accounts(frappe.get_all("Company", pluck="name"), kept)


def on_company_update(doc, method=None) -> None:
	"""Company doc event (on_update, after ERPNext's own): the company's missing accounts, now."""
	add_missing_accounts([doc.name])


def add_missing_accounts(companies: list[str], kept: list[dict] | None = None) -> None:
	for mode in MODES:
		if not frappe.db.exists("Mode of Payment", mode):
			continue
		have = set(
			frappe.get_all(
				"Mode of Payment Account",
				filters={"parenttype": "Mode of Payment", "parent": mode},
				pluck="company",
			)
		)
		if not kept and have.issuperset(companies):
			continue
		doc = frappe.get_doc("Mode of Payment", mode)
		changed = False
		for row in kept or []:
			if (
				row["parent"] == mode
				and row["company"] not in have
				and frappe.db.exists("Account", row["default_account"])
			):
				doc.append("accounts", {"company": row["company"], "default_account": row["default_account"]})
				have.add(row["company"])
				changed = True
		for company in companies:
			if company in have:
				continue
			account = default_account(mode, company)
			if account:
				doc.append("accounts", {"company": company, "default_account": account})
				changed = True
		if changed:
			doc.flags.ignore_permissions = True
			doc.save()


def default_account(mode: str, company: str) -> str | None:
	values = frappe.db.get_value(
		"Company", company, ["default_cash_account", "default_bank_account", "abbr"], as_dict=True
	)
	if mode == "Cash":
		return values.default_cash_account
	if mode == "Bank Transfer" and values.default_bank_account:
		return values.default_bank_account
	return clearing_account(CLEARING_ACCOUNTS.get(mode, "Bank Transfer Receipts"), company, values.abbr)


def clearing_account(account_name: str, company: str, abbr: str) -> str | None:
	name = f"{account_name} - {abbr}"
	if frappe.db.exists("Account", name):
		return name
	parent = frappe.db.get_value(
		"Account", {"company": company, "account_type": "Bank", "is_group": 1}, "name", order_by="lft"
	)
	if not parent:
		return None
	account = frappe.get_doc(
		{
			"doctype": "Account",
			"account_name": account_name,
			"company": company,
			"parent_account": parent,
			"account_type": "Bank",
			"is_group": 0,
		}
	)
	account.flags.ignore_permissions = True
	account.insert()
	return account.name
