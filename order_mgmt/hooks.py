app_name = "order_mgmt"
app_title = "Order Management"
app_publisher = "order_mgmt contributors"
app_description = "Order management for ERPNext: intake, review, fulfilment, invoicing and returns"
app_email = "dev@order-mgmt.invalid"
app_license = "MIT"
# "frappe/erpnext", not "erpnext": Frappe 15.75 resolves a bare name through GitHub's API on install-app.
required_apps = ["frappe/erpnext"]

# Data shipped with the app and re-applied on every migrate (admins export their edits with
# `bench export-fixtures`).
fixtures = [
	{
		"dt": "Role",
		"filters": [
			[
				"name",
				"in",
				[
					"Order Manager",
					"Order Clerk",
					"Sales Reviewer",
					"Finance Reviewer",
					"Warehouse Reviewer",
					"Customer Service",
				],
			]
		],
	},
	{
		"dt": "Workflow State",
		"filters": [
			[
				"name",
				"in",
				[
					"Draft",
					"Pending Sales Review",
					"Pending Finance Review",
					"Pending Warehouse Review",
					"Returned for Changes",
					"On Hold",
					"Cancelled",
					"Submitted",
					"Under Review",
					"Goods Received",
					"Refunded",
					"Replaced",
					"Credited",
					"Closed",
				],
			]
		],
	},
	{
		"dt": "Workflow Action Master",
		"filters": [
			[
				"name",
				"in",
				[
					"Submit",
					"Submit for Review",
					"Return for Changes",
					"Hold",
					"Release",
					"Cancel",
					"Start Review",
					"Receive Goods",
					"Refund",
					"Replace",
					"Issue Store Credit",
					"Close",
				],
			]
		],
	},
	{"dt": "Workflow", "filters": [["name", "in", ["Customer Order Review", "Return Request Review"]]]},
	"Order Review Stage",
	{
		"dt": "Mode of Payment",
		"filters": [["name", "in", ["Bank Transfer", "Card", "Cash", "Alipay", "WeChat Pay"]]],
	},
	{
		"dt": "Payment Term",
		"filters": [
			[
				"name",
				"in",
				[
					"Prepaid in Full",
					"Deposit 30%",
					"Balance Before Shipment",
					"Cash on Delivery",
					"Net 30",
					"Installment 1 of 3",
					"Installment 2 of 3",
					"Installment 3 of 3",
				],
			]
		],
	},
	{
		"dt": "Payment Terms Template",
		"filters": [
			["name", "in", ["Prepaid", "Deposit 30%", "Cash on Delivery", "Net 30", "3 Installments"]]
		],
	},
	"Order Review Rule",
	"Return Reason",
	"Cancellation Reason",
	{
		"dt": "Custom Field",
		"filters": [
			[
				"name",
				"in",
				[
					"Sales Order-customer_order",
					"Customer-is_vip_customer",
					"Customer-requires_order_review",
					"Customer-external_customer_id",
					"Payment Terms Template-order_payment_gate",
					"Payment Terms Template-deposit_percentage",
					"Item-is_returnable",
					"Delivery Note-return_request",
					"Sales Invoice-return_request",
					"Warehouse-promise_buffer_days",
					"Item Group-promise_buffer_days",
				],
			]
		],
	},
]

after_install = "order_mgmt.setup.install.after_install"
after_sync = "order_mgmt.setup.install.after_sync"
after_migrate = [
	"order_mgmt.setup.install.after_migrate",
	# the fixtures' re-import overwrote the shipped Order Review Rules: the published Review Policy back
	"order_mgmt.review.policy.reapply_published_policy",
]
before_migrate = "order_mgmt.accounting.modes_of_payment.keep_accounts_before_migrate"
before_uninstall = "order_mgmt.setup.install.before_uninstall"

doctype_list_js = {"Customer Order": "public/js/customer_order_list.js"}

override_doctype_dashboards = {
	"Sales Order": "order_mgmt.erpnext_bridge.dashboards.sales_order_dashboard",
	"Customer": "order_mgmt.erpnext_bridge.dashboards.customer_dashboard",
}

doc_events = {
	"Company": {
		# After ERPNext's own on_update, which makes the company's chart of accounts.
		"on_update": "order_mgmt.accounting.modes_of_payment.on_company_update",
	},
	"Version": {
		# The form timeline shows Versions unfiltered: no permlevel-1 values in them (review/restricted_fields.py).
		"before_insert": "order_mgmt.review.restricted_fields.strip_restricted_fields",
	},
	"Sales Order": {
		"validate": "order_mgmt.erpnext_bridge.sales_order.validate_customer_order_link",
		"on_change": "order_mgmt.orders.tracking.on_sales_order_change",
		# Change requests stay as history of a cancelled order (after ERPNext's own on_cancel).
		"on_cancel": "order_mgmt.orders.change_request.keep_change_requests_as_history",
	},
	"Customer Order": {
		"on_cancel": "order_mgmt.orders.change_request.on_order_cancel",
	},
	"Delivery Note": {
		"before_submit": "order_mgmt.accounting.gating.before_delivery_note_submit",
		"on_submit": [
			"order_mgmt.orders.tracking.on_fulfilment_document",
			"order_mgmt.fulfilment.shipping.notify_customer_of_shipment",
			"order_mgmt.fulfilment.risk_sweep.on_order_event",
		],
		"on_cancel": "order_mgmt.orders.tracking.on_fulfilment_document",
	},
	"Sales Invoice": {
		"on_submit": [
			"order_mgmt.orders.tracking.on_fulfilment_document",
			"order_mgmt.accounting.payments.on_invoice_change",
		],
		"on_cancel": [
			"order_mgmt.orders.tracking.on_fulfilment_document",
			"order_mgmt.accounting.payments.on_invoice_change",
		],
	},
	"Pick List": {
		"before_submit": "order_mgmt.accounting.gating.before_pick_list_submit",
		"on_submit": "order_mgmt.fulfilment.risk_sweep.on_order_event",
	},
	# Supply moved: re-check delivery promises on the items it touches (fulfilment/promising.py).
	"Purchase Order": {
		"on_submit": "order_mgmt.fulfilment.promising.on_supply_change",
		"on_update_after_submit": "order_mgmt.fulfilment.promising.on_supply_change",
		"on_cancel": "order_mgmt.fulfilment.promising.on_supply_change",
	},
	"Work Order": {
		"on_update_after_submit": "order_mgmt.fulfilment.promising.on_supply_change",
		"on_cancel": "order_mgmt.fulfilment.promising.on_supply_change",
	},
	"Material Request": {
		"on_cancel": "order_mgmt.fulfilment.promising.on_supply_change",
	},
	"Purchase Receipt": {
		"on_submit": "order_mgmt.fulfilment.promising.on_supply_change",
		"on_cancel": "order_mgmt.fulfilment.promising.on_supply_change",
	},
	"Stock Reconciliation": {
		"on_submit": "order_mgmt.fulfilment.promising.on_supply_change",
	},
	"Payment Entry": {
		"on_submit": [
			"order_mgmt.accounting.payments.on_payment_submit",
			"order_mgmt.fulfilment.risk_sweep.on_order_event",
		],
		"on_cancel": "order_mgmt.accounting.payments.on_payment_cancel",
	},
	# Order and Sales Analytics Facts (analytics/facts.py): mark the orders and vouchers a change touches
	# (these DocTypes are facts.WATCHED); orders recomputed by a job after the commit, vouchers at it.
	(
		"Customer Order",
		"Order Review",
		"Sales Order",
		"Delivery Note",
		"Sales Invoice",
		"Payment Entry",
		"Return Request",
		"Order Change Request",
	): {
		"on_change": "order_mgmt.analytics.facts.on_document_change",
		"on_trash": "order_mgmt.analytics.facts.on_document_change",
	},
}

# Test sites: complete ERPNext's setup wizard (and its test defaults) before our suite runs;
# `run-tests --app order_mgmt` only runs this app's before_tests hooks.
before_tests = "order_mgmt.tests.utils.before_tests"

permission_query_conditions = {
	"Customer Order": "order_mgmt.review.permissions.customer_order_query",
	"Order Review": "order_mgmt.review.permissions.order_review_query",
	"Return Request": "order_mgmt.returns.permissions.return_request_query",
	# Child tables listed on their own (frappe.client.get_list / reportview with a parent DocType).
	"Customer Order Item": "order_mgmt.review.permissions.customer_order_child_query",
	"Customer Order Hold Reason": "order_mgmt.review.permissions.customer_order_child_query",
	"Customer Order Cancellation Decision": "order_mgmt.review.permissions.customer_order_child_query",
	"Order Review Check": "order_mgmt.review.permissions.order_review_child_query",
	"Return Request Item": "order_mgmt.returns.permissions.return_request_child_query",
	"Return Request Review": "order_mgmt.returns.permissions.return_request_child_query",
	"Order Template": "order_mgmt.portal.templates.template_query",
	"Order Template Item": "order_mgmt.portal.templates.template_item_query",
}

has_permission = {
	"Customer Order": "order_mgmt.review.permissions.customer_order_has_permission",
	"Order Review": "order_mgmt.review.permissions.order_review_has_permission",
	"Return Request": "order_mgmt.returns.permissions.return_request_has_permission",
	"Order Template": "order_mgmt.portal.templates.template_has_permission",
}

scheduler_events = {
	"hourly": [
		"order_mgmt.review.sla.escalate_overdue_reviews",
		"order_mgmt.fulfilment.risk_sweep.hourly_sweep",
		"order_mgmt.analytics.facts.resync_after_reposts",
		"order_mgmt.analytics.facts.refresh_marked",  # a safety net: the commit queues the job itself
		"order_mgmt.erpnext_bridge.stock_reservation.refresh_waiting_bins",  # the same for Bins
	],
}

jinja = {
	"methods": [
		"order_mgmt.print_formats.barcode.barcode_svg",
		"order_mgmt.print_formats.pick_list.pick_list_context",
		"order_mgmt.print_formats.invoice.invoice_context",
	],
}

# Customer portal (www/my-orders, www/my-returns; order_mgmt/portal): the static /my-orders/new and
# /my-returns/new are listed before the dynamic rules that would otherwise take "new" for a name.
website_route_rules = [
	{"from_route": "/my-orders/new", "to_route": "my-orders/new"},
	{"from_route": "/my-orders/templates", "to_route": "my-orders/templates"},
	{"from_route": "/my-orders/<name>", "to_route": "my-orders/order"},
	{"from_route": "/my-returns/new", "to_route": "my-returns/new"},
	{"from_route": "/my-returns/<name>", "to_route": "my-returns/request"},
]

# Portal Settings' menu (setup/portal_menu.py: once per site, ERPNext's customer pages are disabled and
# these come first; admins may change them there). A reference_doctype is needed: Frappe's sync_menu
# drops menu rows without one.
standard_portal_menu_items = [
	{"title": "My Orders", "route": "/my-orders", "reference_doctype": "Customer Order", "role": "Customer"},
	{
		"title": "My Order Templates",
		"route": "/my-orders/templates",
		"reference_doctype": "Order Template",
		"role": "Customer",
	},
	{
		"title": "Return Requests",
		"route": "/my-returns",
		"reference_doctype": "Return Request",
		"role": "Customer",
	},
]

# Portal customers land on their orders after login, unless an admin set a home page for the role
# Customer or Portal Settings' default portal home (Frappe reads those first).
role_home_page = {"Customer": "my-orders"}

# Every page of a logged-in user carries the session's CSRF token (Frappe makes one only for the desk,
# and checks POSTs only when there is one), and the 403 page offers them the way back instead of
# "Login" (portal/landing.py).
update_website_context = ["order_mgmt.portal.landing.portal_page_context"]
