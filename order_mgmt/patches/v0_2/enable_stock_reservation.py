from order_mgmt.setup.install import enable_stock_reservation


def execute():
	enable_stock_reservation()
