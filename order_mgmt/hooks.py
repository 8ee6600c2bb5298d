app_name = "order_mgmt"
app_title = "Order Management"
app_publisher = "order_mgmt contributors"
app_description = "Order management for ERPNext: intake, review, fulfilment, invoicing and returns"
app_email = "dev@order-mgmt.invalid"
app_license = "MIT"
required_apps = ["erpnext"]

# Data shipped with the app and re-applied on every migrate (admins export their edits with
# `bench export-fixtures`).
fixtures = [
	{
		"dt": "Role",
		"filters": [
			[
				"name",
				"in",
				["Order Manager", "Order Clerk", "Sales Reviewer", "Finance Reviewer", "Warehouse Reviewer"],
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
				],
			]
		],
	},
	{
		"dt": "Workflow Action Master",
		"filters": [
			["name", "in", ["Submit", "Submit for Review", "Return for Changes", "Hold", "Release", "Cancel"]]
		],
	},
	{"dt": "Workflow", "filters": [["name", "=", "Customer Order Review"]]},
	"Order Review Stage",
	"Order Review Rule",
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
				],
			]
		],
	},
]

after_install = "order_mgmt.setup.install.after_install"
after_migrate = "order_mgmt.setup.install.after_migrate"
before_uninstall = "order_mgmt.setup.install.before_uninstall"

doctype_list_js = {"Customer Order": "public/js/customer_order_list.js"}

override_doctype_dashboards = {
	"Sales Order": "order_mgmt.erpnext_bridge.dashboards.sales_order_dashboard",
	"Customer": "order_mgmt.erpnext_bridge.dashboards.customer_dashboard",
}

doc_events = {
	"Sales Order": {
		"on_change": "order_mgmt.orders.tracking.on_sales_order_change",
	},
	"Delivery Note": {
		"on_submit": [
			"order_mgmt.orders.tracking.on_fulfilment_document",
			"order_mgmt.fulfilment.shipping.notify_customer_of_shipment",
		],
		"on_cancel": "order_mgmt.orders.tracking.on_fulfilment_document",
	},
	"Sales Invoice": {
		"on_submit": "order_mgmt.orders.tracking.on_fulfilment_document",
		"on_cancel": "order_mgmt.orders.tracking.on_fulfilment_document",
	},
}

# Test sites: complete ERPNext's setup wizard (and its test defaults) before our suite runs;
# `run-tests --app order_mgmt` only runs this app's before_tests hooks.
before_tests = "order_mgmt.tests.utils.before_tests"

permission_query_conditions = {
	"Customer Order": "order_mgmt.review.permissions.customer_order_query",
	"Order Review": "order_mgmt.review.permissions.order_review_query",
}

has_permission = {
	"Customer Order": "order_mgmt.review.permissions.customer_order_has_permission",
	"Order Review": "order_mgmt.review.permissions.order_review_has_permission",
}

scheduler_events = {
	"hourly": ["order_mgmt.review.sla.escalate_overdue_reviews"],
}

jinja = {
	"methods": [
		"order_mgmt.print_formats.barcode.barcode_svg",
		"order_mgmt.print_formats.pick_list.pick_list_context",
		"order_mgmt.print_formats.invoice.invoice_context",
	],
}
