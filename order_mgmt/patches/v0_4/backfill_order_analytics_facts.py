"""Fill the Order Analytics Facts (analytics/facts.py) for the orders made before they existed."""

from order_mgmt.analytics import facts


def execute():
	facts.backfill()
