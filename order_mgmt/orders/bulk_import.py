"""Customer Orders from a spreadsheet (CSV or Excel): the Frappe side of the *Customer Order Import*
DocType. (order_mgmt/bulk.py is something else: actions over orders selected in the list view.)

One row per order line; rows with the same `external_reference` make one order, whose order fields
(customer, dates, PO …) come from its first row. Each group becomes the same request the REST intake
takes (orders/external.py `group_request`) and goes through the same path (orders/external_intake.py):
customer by name or External Customer ID, items by code or barcode, the order inserted and submitted
into review as the user who runs the import, with every intake check and ERPNext's pricing.

- **Preview** checks every order as a save would (inserted in a savepoint, then rolled back) and lists
  the problems per file row and column; nothing is created.
- **Import** runs on RQ (queue long) with a progress bar; each order is created in its own savepoint
  and committed on its own, so a refusal never blocks the other orders and a worker killed mid-import
  loses no committed order.
- **Idempotent**: the external reference is claimed per customer (Order Intake Key, unique); a re-run,
  or a resumed interrupted import, finds the orders already made and creates only the rest. The same
  reference with other lines is refused as a conflict.
- **Result**: orders created (and found already imported), refused orders with their rows and
  reasons, and a CSV of the refused rows (with an `error` column) to fix and upload again.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import cint, escape_html
from frappe.utils.csvutils import read_csv_content, to_csv

from order_mgmt.orders import external, external_intake
from order_mgmt.orders.external import Group, Problem
from order_mgmt.review.actions import SAVEPOINT_DOES_NOT_EXIST

DOCTYPE = "Customer Order Import"
SYNC_PREVIEW_ORDERS = 50
"""Previews of up to this many orders run at once; larger ones run on RQ like the import."""
PROGRESS_EVERY = 5
BUSY_RETRIES = 2
"""How often an order undone by a deadlock or lock wait timeout is tried again before it is reported."""
FILE_TYPES = (".csv", ".xlsx")
IMPORT_QUEUE = "long"
ALIVE_SECONDS = 180
"""A running import tells it is alive (Redis key with its host and process) before each order; a job
RQ still lists as started but silent for this long, or whose process on this host is gone, was killed."""


class OrderImportError(frappe.ValidationError):
	"""An import file that cannot be read as orders."""


# --- the file ---------------------------------------------------------------------------------------


def validate_import(doc) -> None:
	"""The attached file is a CSV or .xlsx file (read when previewed or imported)."""
	if doc.import_file and not doc.import_file.lower().endswith(FILE_TYPES):
		frappe.throw(
			_("Import File must be a CSV or Excel (.xlsx) file, not {0}").format(
				escape_html(doc.import_file)
			),
			OrderImportError,
		)
	if doc.has_value_changed("import_file") and not doc.is_new():
		with_status = frappe._dict(status="Pending", preview_log=None)
		for fieldname, value in with_status.items():
			doc.set(fieldname, value)


def read_table(file_url: str) -> list[list]:
	file = frappe.get_doc("File", {"file_url": file_url})
	content = file.get_content()
	if file_url.lower().endswith(".xlsx"):
		from frappe.utils.xlsxutils import read_xlsx_file_from_attached_file

		return read_xlsx_file_from_attached_file(fcontent=content) or []
	return read_csv_content(content)


def file_problem_message(problem: Problem) -> str:
	if problem.code == external.EMPTY_FILE:
		return _("The file has no rows under its header row")
	if problem.code == external.UNKNOWN_COLUMN:
		return _("Column {0} is not a column of the template ({1})").format(
			escape_html(problem.field), ", ".join(external.COLUMNS)
		)
	if problem.code == external.MISSING_COLUMN:
		return _("The file has no column {0}").format(problem.field)
	if problem.code == external.NO_REFERENCE:
		return _("Row {0}: external_reference is required").format(problem.row)
	if problem.code == external.HEADER_DIFFERS:
		return _("Row {0}: {1} differs from the first row of its order ({2})").format(
			problem.row, problem.field, escape_html(str(problem.value or ""))
		)
	return problem.code


def load(doc, table: list[list] | None = None) -> tuple[list[Group], list[dict], int]:
	"""The file's orders, the problems of the file itself ({row, column, message}), and its row count.
	A file whose header cannot be read raises."""
	table = read_table(doc.import_file) if table is None else table
	rows, problems = external.table_rows(table)
	if problems:
		frappe.throw(
			"<br>".join(file_problem_message(problem) for problem in problems),
			OrderImportError,
			title=_("Cannot Read File"),
		)
	groups, row_problems = external.group_rows(rows)
	return (
		groups,
		[
			{"row": problem.row, "column": problem.field, "message": file_problem_message(problem)}
			for problem in row_problems
		],
		len(rows),
	)


# --- one order --------------------------------------------------------------------------------------


def file_errors(group: Group, errors: list[dict]) -> list[dict]:
	"""An order's errors ({row: line, field}) as file rows and columns."""
	located = []
	for error in errors:
		line = error.get("row")
		number = group.rows[line - 1][0] if line and line <= len(group.rows) else group.rows[0][0]
		located.append(
			{
				"row": number,
				"column": external.column_of(error.get("field"), line),
				"message": error["message"],
			}
		)
	return located


def reset_messages() -> int:
	frappe.local.response.pop("errors", None)
	frappe.local.message_log = []
	return 0


class FileLookups:
	"""What the orders of one file share, read once per file instead of once per order: the customers
	they name (resolved and permission-checked for the user who runs the import) and the items of their
	barcodes (one query for the file)."""

	def __init__(self, groups: list[Group]):
		codes = {
			external.cell_value("barcode", row["barcode"])
			for group in groups
			for _number, row in group.rows
			if row.get("barcode") is not None
		}
		self.barcodes = external_intake.items_of_barcodes(
			sorted(code for code in codes if isinstance(code, str))
		)
		self.customers: dict[tuple, str] = {}

	def customer(self, body: dict) -> str:
		key = (body.get("customer"), body.get("customer_external_id"))
		if key not in self.customers:
			self.customers[key] = external_intake.resolve_customer(body)  # a refusal is not kept
		return self.customers[key]


def process_group(
	group: Group, company: str, import_name: str, dry_run: bool, lookups: FileLookups | None = None
) -> dict:
	"""Check (dry run) or create one order; {reference, rows, outcome, order, errors}."""
	result = {
		"reference": group.reference,
		"rows": [number for number, _row in group.rows],
		"outcome": None,
		"order": None,
		"errors": [],
	}
	body = external.group_request(group, company)
	seen = reset_messages()
	savepoint = f"order_import_{frappe.generate_hash(length=8)}"
	frappe.db.savepoint(savepoint)
	try:
		problems = external.check_request(body)
		if problems:
			external_intake.throw_problems(problems)
		lookups = lookups or FileLookups([group])
		customer = lookups.customer(body)
		if dry_run:
			result["outcome"], result["order"] = check_only(body, customer, group.reference, lookups.barcodes)
		else:
			name, replayed = external_intake.place(
				body,
				source=external_intake.IMPORT,
				scope=customer,
				reference=group.reference,
				channel=external_intake.IMPORT,
				customer=customer,
				barcodes=lookups.barcodes,
				customer_order_import=import_name,
			)
			result["outcome"], result["order"] = ("existing" if replayed else "created"), name
	except Exception as error:
		undo(savepoint)
		if external_intake.is_busy(error) or isinstance(error, external_intake.DatabaseBusyError):
			result["busy"] = True
			errors = [
				{
					"row": None,
					"field": None,
					"message": _("The database was busy; run the import again to create this order"),
				}
			]
		elif not isinstance(
			error, frappe.ValidationError | frappe.PermissionError | frappe.DuplicateEntryError
		):
			frappe.log_error(title=_("Customer Order Import {0}").format(import_name))
			errors = [{"row": None, "field": None, "message": _("Unexpected error: {0}").format(error)}]
		else:
			errors = external_intake.errors_of(error, seen, len(group.rows))
		result["outcome"] = "refused"
		result["errors"] = file_errors(group, errors)
		return result
	if dry_run:
		frappe.db.rollback(save_point=savepoint)
	else:
		frappe.db.release_savepoint(savepoint)
	return result


def undo(savepoint: str) -> None:
	"""Back to the order's savepoint; after a deadlock the database ended the whole transaction (the
	savepoint with it): end it here too. Only this order is lost: the ones before it are committed."""
	try:
		frappe.db.rollback(save_point=savepoint)
	except Exception as error:
		if getattr(error, "args", (None,))[0] != SAVEPOINT_DOES_NOT_EXIST:
			raise
		frappe.db.rollback()


def check_only(body: dict, customer: str, reference: str, barcodes=None) -> tuple[str, str | None]:
	"""Preview: an order already imported under the reference, else the order inserted and rolled
	back by the caller (every check of a save)."""
	existing = frappe.db.get_value(
		external_intake.KEY_DOCTYPE,
		external.key_name(external_intake.IMPORT, customer, reference),
		["customer_order", "request_hash"],
		as_dict=True,
	)
	if existing:
		if existing.request_hash != external.request_hash(body):
			frappe.throw(
				external_intake.conflict_message(external_intake.IMPORT, reference, existing.customer_order),
				external_intake.IntakeConflictError,
			)
		return "existing", existing.customer_order
	order = frappe.get_doc(external_intake.order_dict(body, external_intake.IMPORT, customer, barcodes))
	order.insert()
	return "valid", None


# --- preview and import -----------------------------------------------------------------------------


def check_access(doc) -> None:
	doc.check_permission("write")
	frappe.has_permission("Customer Order", "create", throw=True)


@frappe.whitelist(methods=["POST"])
def preview(name: str) -> dict:
	"""Check every order of the file; nothing is created. Small files at once, larger ones on RQ."""
	doc = frappe.get_doc(DOCTYPE, name)
	check_access(doc)
	groups, _problems, _rows = load(doc)
	if len(groups) > SYNC_PREVIEW_ORDERS:
		set_status(doc, "Queued")
		enqueue(doc.name, dry_run=True)
		return {"queued": True}
	return run(doc.name, dry_run=True)


@frappe.whitelist(methods=["POST"])
def start_import(name: str) -> dict:
	"""Create the file's orders on RQ (queue long)."""
	doc = frappe.get_doc(DOCTYPE, name)
	check_access(doc)
	if doc.status in ("Queued", "In Progress") and is_running(doc.name):
		frappe.throw(_("Import {0} is already running").format(doc.name), OrderImportError)
	load(doc)  # a file that cannot be read is refused now, not in the job
	set_status(doc, "Queued")
	enqueue(doc.name, dry_run=False)
	return {"queued": True}


def job_id(name: str) -> str:
	"""Per import record, not only per name: a site recreated under the same name (test and staging
	sites) numbers its imports again from 1, and a job queued by the old one may still sit in Redis
	(seen on a re-created test site: the new import looked "running")."""
	creation = frappe.db.get_value("Customer Order Import", name, "creation")
	stamp = frappe.utils.get_datetime(creation).strftime("%Y%m%d%H%M%S%f") if creation else "new"
	return f"customer_order_import::{name}::{stamp}"


def is_running(name: str) -> bool:
	"""The import's job is queued, or started and alive. An import left In Progress by a worker that
	was killed is not (RQ keeps such a job "started" until its timeout, hours later): it may be started
	again, and finishes what is missing."""
	from frappe.utils.background_jobs import get_job_status

	status = get_job_status(job_id(name))
	if status == "queued":
		return True
	return status == "started" and is_alive(name)


def alive_key(name: str) -> str:
	return f"customer_order_import_alive::{job_id(name)}"


def mark_alive(name: str, key: str | None = None) -> None:
	"""`key`: the import's alive_key, when the caller has it (the job: once per run, not per order)."""
	import os
	import socket

	frappe.cache.set_value(
		key or alive_key(name),
		{"host": socket.gethostname(), "pid": os.getpid()},
		expires_in_sec=ALIVE_SECONDS,
	)


def is_alive(name: str) -> bool:
	"""The job's process said it was alive within ALIVE_SECONDS and, when it runs on this host, exists."""
	import socket

	import psutil

	alive = frappe.cache.get_value(alive_key(name))
	if not alive:
		return False
	if alive.get("host") == socket.gethostname():
		return psutil.pid_exists(alive.get("pid"))
	return True


def forget_dead_job(name: str) -> None:
	"""RQ's record of a job whose worker was killed: it would keep a new job of the same id from being
	queued (deduplication)."""
	from frappe.utils.background_jobs import get_job

	job = get_job(job_id(name))
	if job and job.get_status() == "started" and not is_alive(name):
		job.delete()


def enqueue(name: str, dry_run: bool) -> None:
	forget_dead_job(name)
	frappe.enqueue(
		"order_mgmt.orders.bulk_import.run",
		queue=IMPORT_QUEUE,
		timeout=4 * 3600,
		enqueue_after_commit=True,
		job_id=job_id(name),
		deduplicate=True,
		name=name,
		dry_run=dry_run,
	)


def set_status(doc, status: str) -> None:
	doc.db_set("status", status, update_modified=False)


def run(name: str, dry_run: bool = False) -> dict:
	"""Preview or import every order of the file (the RQ job; also called directly). A job that fails
	outside any one order is marked Failed (its committed orders stay; run it again to finish)."""
	try:
		return _run(name, dry_run)
	except Exception:
		frappe.db.rollback()
		frappe.db.set_value(DOCTYPE, name, "status", "Failed", update_modified=False)
		frappe.db.commit()
		raise


def _run(name: str, dry_run: bool) -> dict:
	doc = frappe.get_doc(DOCTYPE, name)
	alive = alive_key(doc.name)
	mark_alive(doc.name, alive)
	table = read_table(doc.import_file)
	groups, file_problems, row_count = load(doc, table)
	if not dry_run:
		set_status(doc, "In Progress")
		frappe.db.commit()
	bad_rows = {problem["row"] for problem in file_problems}
	lookups = FileLookups(groups)
	results = []
	title = _("Checking Customer Orders") if dry_run else _("Importing Customer Orders")
	for position, group in enumerate(groups, start=1):
		problems_of_group = [p for p in file_problems if p["row"] in {number for number, _ in group.rows}]
		if problems_of_group:
			results.append(
				{
					"reference": group.reference,
					"rows": [number for number, _row in group.rows],
					"outcome": "refused",
					"order": None,
					"errors": problems_of_group,
				}
			)
		else:
			mark_alive(doc.name, alive)
			for _attempt in range(BUSY_RETRIES + 1):  # a deadlock undid only this order: try it again
				result = process_group(group, doc.company, doc.name, dry_run, lookups)
				if not result.pop("busy", False):
					break
			results.append(result)
			if not dry_run:
				frappe.db.commit()  # each order on its own: a killed worker loses no committed order
		if position % PROGRESS_EVERY == 0 or position == len(groups):
			frappe.publish_progress(
				position * 100 / len(groups),
				title=title,
				doctype=DOCTYPE,
				docname=doc.name,
				description=_("{0} of {1} orders").format(position, len(groups)),
			)
	unreferenced = [
		p for p in file_problems if p["row"] in bad_rows and p["column"] == external.REFERENCE_COLUMN
	]
	if unreferenced:
		results.append(
			{
				"reference": "",
				"rows": [p["row"] for p in unreferenced],
				"outcome": "refused",
				"order": None,
				"errors": unreferenced,
			}
		)
	summary = summarise(results, len(groups), row_count)
	if dry_run:
		save_preview(doc, summary)
	else:
		save_result(doc, summary, table)
	frappe.db.commit()
	frappe.publish_realtime(
		"customer_order_import_done", {"name": doc.name}, doctype=DOCTYPE, docname=doc.name, after_commit=True
	)
	return summary


def summarise(results: list[dict], orders: int, rows: int) -> dict:
	refused = [result for result in results if result["outcome"] == "refused"]
	return {
		"orders": orders,
		"rows": rows,
		"created": [r for r in results if r["outcome"] == "created"],
		"existing": [r for r in results if r["outcome"] == "existing"],
		"valid": [r for r in results if r["outcome"] == "valid"],
		"refused": refused,
		"rows_refused": sum(len(result["rows"]) for result in refused),
	}


def save_preview(doc, summary: dict) -> None:
	doc.db_set(
		{
			"status": "Previewed",
			"total_orders": summary["orders"],
			"total_rows": summary["rows"],
			"preview_log": json.dumps(summary, default=str),
		},
		update_modified=False,
	)


def save_result(doc, summary: dict, table: list[list]) -> None:
	refused_file = refused_rows_file(doc, summary, table) if summary["refused"] else None
	if summary["refused"] and not (summary["created"] or summary["existing"]):
		status = "Failed"
	elif summary["refused"]:
		status = "Partially Completed"
	else:
		status = "Completed"
	doc.db_set(
		{
			"status": status,
			"total_orders": summary["orders"],
			"total_rows": summary["rows"],
			"orders_created": len(summary["created"]),
			"orders_existing": len(summary["existing"]),
			"orders_refused": len([r for r in summary["refused"] if r["reference"]]),
			"rows_refused": summary["rows_refused"],
			"refused_rows_file": refused_file,
			"result_log": json.dumps(summary, default=str),
		},
		update_modified=False,
	)


def refused_rows_file(doc, summary: dict, table: list[list]) -> str:
	"""The refused rows as they were in the file, with an `error` column: fix and upload again."""
	reasons: dict[int, list[str]] = {}
	for result in summary["refused"]:
		for number in result["rows"]:
			reasons.setdefault(number, [])
		for error in result["errors"]:
			text = error["message"] if not error.get("column") else f"{error['column']}: {error['message']}"
			reasons.setdefault(error["row"], []).append(text)
		for number in result["rows"]:
			if not reasons[number]:
				reasons[number].append(_("another row of order {0} was refused").format(result["reference"]))
	header = [*table[0], "error"]
	rows = [header]
	for number in sorted(reasons):
		if 1 <= number - 1 < len(table):
			rows.append([*table[number - 1], "; ".join(reasons[number])])
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": f"{doc.name}-refused-rows.csv",
			"attached_to_doctype": DOCTYPE,
			"attached_to_name": doc.name,
			"attached_to_field": "refused_rows_file",
			"is_private": 1,
			"content": to_csv(rows),
		}
	)
	file.insert(ignore_permissions=True)
	return file.file_url


# --- the template -----------------------------------------------------------------------------------

EXAMPLE = {
	"external_reference": "SHOP-1001",
	"customer": "",
	"customer_external_id": "CUST-42",
	"order_date": "2026-01-15",
	"delivery_date": "2026-01-20",
	"customer_po": "PO-1001",
	"order_type": "Standard",
	"priority": "",
	"delivery_method": "Courier",
	"notes": "",
	"item_code": "ITEM-001",
	"barcode": "",
	"qty": 2,
	"uom": "",
	"rate": "",
	"discount_percentage": "",
	"warehouse": "",
	"line_delivery_date": "",
}


def template_rows() -> list[list]:
	second = dict(EXAMPLE, item_code="", barcode="6901234567892", qty=1)
	return [
		list(external.COLUMNS),
		[EXAMPLE[c] for c in external.COLUMNS],
		[second[c] for c in external.COLUMNS],
	]


@frappe.whitelist()
def download_template(file_type: str = "csv") -> None:
	"""The import template with its columns and an example order of two lines."""
	frappe.has_permission(DOCTYPE, "create", throw=True)
	rows = template_rows()
	if file_type == "xlsx":
		from frappe.utils.xlsxutils import make_xlsx

		frappe.response["filename"] = "customer_order_import_template.xlsx"
		frappe.response["filecontent"] = make_xlsx(rows, "Customer Orders").getvalue()
	else:
		frappe.response["filename"] = "customer_order_import_template.csv"
		frappe.response["filecontent"] = to_csv(rows)
	frappe.response["type"] = "binary"


def counts_of(name: str) -> dict:
	return {
		key: cint(value)
		for key, value in frappe.db.get_value(
			DOCTYPE,
			name,
			["orders_created", "orders_existing", "orders_refused", "rows_refused"],
			as_dict=True,
		).items()
	}
