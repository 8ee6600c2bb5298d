"""Orders from other systems and spreadsheets: the request's shape, its fingerprint, and the grouping
of spreadsheet rows into orders (order_mgmt/orders/external.py)."""

from datetime import date, datetime

from order_mgmt.orders import external
from order_mgmt.orders.external import Group, Problem


def body(**fields):
	return {"customer": "ACME", "company": "C", "items": [{"item_code": "A", "qty": 1}], **fields}


def codes(problems):
	return [(p.code, p.field, p.row) for p in problems]


def test_a_plain_order_has_no_problems():
	assert external.check_request(body()) == []
	assert external.check_request(body(customer=None, customer_external_id="X-1")) == []
	assert external.check_request(body(items=[{"barcode": "690", "qty": 1}])) == []


def test_server_owned_and_unknown_fields_are_named():
	problems = external.check_request(
		body(grand_total=1, docstatus=1, items=[{"item_code": "A", "amount": 5}])
	)
	assert codes(problems) == [
		(external.UNKNOWN_FIELD, "grand_total", None),
		(external.UNKNOWN_FIELD, "docstatus", None),
		(external.UNKNOWN_FIELD, "amount", 1),
	]


def test_frappe_keys_and_the_key_field_are_not_unknown():
	assert (
		external.check_request(body(cmd="order_mgmt.api.create_order", idempotency_key="k", doctype="x"))
		== []
	)


def test_the_shape_of_lines():
	assert codes(external.check_request(body(items="abc"))) == [(external.NOT_A_LIST, "items", None)]
	assert codes(external.check_request(body(items=[]))) == [(external.NO_LINES, "items", None)]
	assert codes(external.check_request(body(items=["abc", {"qty": 1}]))) == [
		(external.NOT_A_ROW, "items", 1),
		(external.NO_ITEM, "item_code", 2),
	]
	too_many = [{"item_code": "A"}] * (external.MAX_LINES + 1)
	assert codes(external.check_request(body(items=too_many))) == [(external.TOO_MANY_LINES, "items", None)]


def test_references_must_be_text():
	problems = external.check_request(body(customer={"name": ["like", "%"]}, items=[{"item_code": ["A"]}]))
	assert codes(problems) == [(external.NOT_TEXT, "customer", None), (external.NOT_TEXT, "item_code", 1)]
	assert codes(external.check_request(body(customer=""))) == [(external.NO_CUSTOMER, "customer", None)]
	assert codes(external.check_request([1])) == [(external.NOT_AN_OBJECT, None, None)]


def test_keys():
	assert external.check_key("order-42") is None
	assert external.check_key(None) == Problem(external.NO_KEY, "idempotency_key")
	assert external.check_key("has space").code == external.BAD_KEY
	assert external.check_key("x" * 141).code == external.BAD_KEY
	assert external.check_key(42).code == external.BAD_KEY


def test_the_fingerprint_ignores_key_order_and_the_key_but_not_values():
	one = {"customer": "A", "items": [{"item_code": "X", "qty": 1}], "idempotency_key": "k1"}
	two = {"idempotency_key": "k2", "items": [{"qty": 1, "item_code": "X"}], "customer": "A", "cmd": "x"}
	assert external.request_hash(one) == external.request_hash(two)
	assert external.request_hash(one) != external.request_hash(
		{**one, "items": [{"item_code": "X", "qty": 2}]}
	)
	assert external.request_hash({"qty": float("nan")})  # no invalid JSON, no error


def test_key_names_are_per_source_and_scope():
	name = external.key_name("API", "user@x", "k")
	assert len(name) == 40
	assert name != external.key_name("Import", "user@x", "k")
	assert name != external.key_name("API", "other@x", "k")
	assert external.key_name("API", "a", "b|c") != external.key_name("API", "a|b", "c")


def test_order_fields_leave_out_references_resolved_on_the_server():
	fields = external.order_fields(body(customer_external_id="X", items=[{"barcode": "1", "qty": 2}]))
	assert "customer_external_id" not in fields
	assert fields["items"] == [{"qty": 2}]


TABLE = [
	["External_Reference", "customer", "item_code", "qty", "order_date", "notes"],
	["R1", "ACME", "A", 1, datetime(2026, 1, 2), "first"],
	["", "", "", "", None, ""],
	["R2", "Beta", "B", "3", None, ""],
	["R1", "ACME", "C", 2, datetime(2026, 1, 2), "first"],
	[None, "ACME", "D", 1, None, None],
	[1001.0, "Gamma", 1234.0, 1, date(2026, 1, 3), None],
]


def test_spreadsheet_rows_are_grouped_by_reference_in_file_order():
	rows, problems = external.table_rows(TABLE)
	assert problems == []
	assert [number for number, _row in rows] == [2, 4, 5, 6, 7]
	groups, problems = external.group_rows(rows)
	assert [(g.reference, [n for n, _ in g.rows]) for g in groups] == [
		("R1", [2, 5]),
		("R2", [4]),
		("1001", [7]),
	]
	assert codes(problems) == [(external.NO_REFERENCE, "external_reference", 6)]


def test_a_group_is_the_request_the_rest_intake_takes():
	rows, _ = external.table_rows(TABLE)
	groups, _ = external.group_rows(rows)
	request = external.group_request(groups[0], "C")
	assert request == {
		"customer": "ACME",
		"order_date": "2026-01-02",
		"notes": "first",
		"company": "C",
		"customer_po": "R1",
		"items": [{"item_code": "A", "qty": 1}, {"item_code": "C", "qty": 2}],
	}
	gamma = external.group_request(groups[2], "C")
	assert gamma["items"] == [{"item_code": "1234", "qty": 1}]
	assert gamma["order_date"] == "2026-01-03"
	assert external.check_request(request) == []


def test_order_fields_that_differ_within_an_order_are_named_by_row():
	rows = [
		(2, {"external_reference": "R", "customer": "A"}),
		(3, {"external_reference": "R", "customer": "B"}),
	]
	groups, problems = external.group_rows(rows)
	assert groups == [Group("R", tuple(rows))]
	assert codes(problems) == [(external.HEADER_DIFFERS, "customer", 3)]


def test_unreadable_sheets():
	assert codes(external.table_rows([])[1]) == [(external.EMPTY_FILE, None, None)]
	assert codes(external.table_rows([["external_reference"]])[1]) == [(external.EMPTY_FILE, None, None)]
	assert codes(external.table_rows([["item_code", "price"], ["A", 1]])[1]) == [
		(external.UNKNOWN_COLUMN, "price", None),
		(external.MISSING_COLUMN, "external_reference", None),
	]


def test_columns_of_errors():
	assert external.column_of("delivery_date", 2) == "line_delivery_date"
	assert external.column_of("delivery_date", None) == "delivery_date"
	assert external.column_of("qty", 1) == "qty"
	assert external.column_of(None, 1) is None
