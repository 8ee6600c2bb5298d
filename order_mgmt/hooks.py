app_name = "order_mgmt"
app_title = "Order Management"
app_publisher = "order_mgmt contributors"
app_description = "Order management for ERPNext: intake, review, fulfilment, invoicing and returns"
app_email = "dev@order-mgmt.invalid"
app_license = "MIT"
required_apps = ["erpnext"]
