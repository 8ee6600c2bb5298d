"""A small replay of promising over a generated half-year: never over-promised, promises kept when
supply did not slip, and late lines flagged ahead when their slip was announced."""

from order_mgmt.benchmarks.promise_replay import run


def test_replay_keeps_promises_and_never_over_promises():
	result = run(orders=1500, items=10, seed=3, slip_share=0.3, unannounced_share=0.0)
	assert result["over_promise_audits_failed"] == 0
	assert result["kept_rate_unslipped"] >= 95
	assert result["median_gap_days"] <= 1
	assert result["alert_recall"] >= 90 and result["alert_precision"] >= 60
