from order_mgmt.setup.install import apply_global_settings


def execute():
	"""Sites installed before stock reservation: the global settings install applies (once)."""
	apply_global_settings()
