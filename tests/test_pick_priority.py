from order_mgmt.fulfilment.priority import pick_sequence


def names(orders):
	return [order["name"] for order in pick_sequence(orders)]


def test_urgent_then_high_then_normal():
	orders = [
		{"name": "A", "priority": "Normal"},
		{"name": "B", "priority": "Urgent"},
		{"name": "C", "priority": "High"},
	]
	assert names(orders) == ["B", "C", "A"]


def test_empty_priority_counts_as_normal_and_ties_break_on_delivery_then_order_date():
	orders = [
		{"name": "A", "priority": "", "delivery_date": "2026-12-02", "order_date": "2026-11-01"},
		{"name": "B", "priority": "Normal", "delivery_date": "2026-12-01", "order_date": "2026-11-03"},
		{"name": "C", "priority": None, "delivery_date": "2026-12-01", "order_date": "2026-11-02"},
	]
	assert names(orders) == ["C", "B", "A"]
