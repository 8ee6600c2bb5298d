"""Review Policies (review/policy.py) and their replay (analytics/policy_replay.py): a draft copies the
live rules, publishing makes it live with a version and supersedes the one before, only managers
publish, the facts a review decided on are frozen on its Order Review and the replay decides on them
(not on what is true today), the replay runs inline or as an RQ job and changes nothing on any order."""

import json
from unittest.mock import patch

import frappe
import frappe.client
from frappe.tests.utils import FrappeTestCase
from frappe.utils.background_jobs import get_redis_conn
from rq.job import Job

from order_mgmt.analytics import policy_replay
from order_mgmt.review import policy
from order_mgmt.review.policy import PolicyNotDraftError
from order_mgmt.tests.utils import (
	acting_as,
	clerk,
	make_customer,
	make_item,
	make_order,
	make_user,
	manager,
	reviewer,
)


def draft(rules: list[dict], title: str = "OMT policy") -> str:
	"""A draft policy of `rules` (rule_name, condition, stage, threshold, match_value), as a manager."""
	with acting_as(manager()):
		doc = frappe.get_doc({"doctype": "Review Policy", "title": title, "rules": rules}).insert()
	return doc.name


LARGE = {"rule_name": "OMT Large", "condition": "Grand Total At Least", "stage": "Sales", "threshold": 500}
FLAGGED = {"rule_name": "OMT Flagged", "condition": "Flagged Customer", "stage": "Finance"}


class PolicyTestCase(FrappeTestCase):
	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()  # publishing rewrites the live rules: every test starts from the shipped ones


class TestDraftAndPublish(PolicyTestCase):
	def test_a_draft_from_the_live_rules_copies_them(self):
		with acting_as(manager()):
			name = policy.new_draft_from_live_rules()
		doc = frappe.get_doc("Review Policy", name)
		self.assertEqual((doc.status, doc.version, doc.published_by), ("Draft", 0, None))
		fields = (
			"rule_name",
			"enabled",
			"applies_to_changes",
			"condition",
			"threshold",
			"match_value",
			"stage",
		)
		live = sorted(tuple(row[f] for f in fields) for row in policy.live_rule_rows())
		self.assertTrue(live)
		self.assertEqual(sorted(tuple(row.get(f) for f in fields) for row in doc.rules), live)

	def test_the_form_fills_a_draft_with_the_live_rules_for_those_who_may_read_them(self):
		""" "Fill from Live Rules" reads the rows through the server (one list of fields): reviewers and
		managers get every live rule; a clerk, who may not read the rules, is refused."""
		for user in (manager(), reviewer("Sales")):
			with acting_as(user):
				self.assertEqual(policy.get_live_rule_rows(), policy.live_rule_rows())
		with acting_as(clerk()), self.assertRaises(frappe.PermissionError):
			policy.get_live_rule_rows()

	def test_publishing_replaces_the_live_rules_with_a_version_and_supersedes(self):
		live_before = frappe.get_all("Order Review Rule", filters={"enabled": 1}, pluck="name")
		self.assertIn("Large order", live_before)
		first = draft(
			[{**LARGE, "rule_name": "Large order", "threshold": 500, "applies_to_changes": 0}, FLAGGED]
		)
		with acting_as(manager()):
			result = policy.publish(first)
		doc = frappe.get_doc("Review Policy", first)
		self.assertEqual((doc.status, doc.published_by), ("Published", manager()))
		self.assertTrue(doc.published_on)
		self.assertEqual(result["version"], doc.version)
		self.assertGreaterEqual(doc.version, 1)
		live = {
			row.name: row
			for row in frappe.get_all(
				"Order Review Rule",
				filters={"enabled": 1},
				fields=["name", "condition", "stage", "threshold"],
			)
		}
		self.assertEqual(set(live), {"Large order", "OMT Flagged"})
		self.assertEqual(live["Large order"].threshold, 500)
		self.assertEqual(frappe.db.get_value("Order Review Rule", "Large order", "applies_to_changes"), 0)
		# the rules the policy leaves out are switched off, not deleted (past hold reasons name them)
		for name in set(live_before) - {"Large order"}:
			self.assertEqual(frappe.db.get_value("Order Review Rule", name, "enabled"), 0, name)
		self.assertTrue(policy.live_rules_match(doc))

		second = draft([LARGE])
		user = make_user(["System Manager"])
		with acting_as(user):
			policy.publish(second)
		self.assertEqual(frappe.db.get_value("Review Policy", first, "status"), "Superseded")
		second_doc = frappe.get_doc("Review Policy", second)
		self.assertEqual((second_doc.status, second_doc.version), ("Published", doc.version + 1))
		self.assertEqual(second_doc.published_by, user)
		self.assertEqual(
			frappe.get_all("Order Review Rule", filters={"enabled": 1}, pluck="name"), ["OMT Large"]
		)
		self.assertEqual(frappe.db.get_value("Order Review Rule", "Large order", "enabled"), 0)
		self.assertFalse(policy.live_rules_match(doc))

	def test_the_review_engine_decides_by_the_published_rules(self):
		item = make_item(rate=100, stock_qty=50)
		customer = make_customer()
		small = make_order(customer, [{"item_code": item, "qty": 2}], submit=True)
		self.assertEqual(small.review_decision, "Auto-approved")
		with acting_as(manager()):
			policy.publish(draft([{**LARGE, "threshold": 150}]))
		held = make_order(customer, [{"item_code": item, "qty": 3}], submit=True)
		self.assertEqual((held.review_decision, held.review_route), ("Held for Review", "Sales"))
		self.assertEqual([row.rule for row in held.hold_reasons], ["OMT Large"])

	def test_a_published_policy_is_not_edited_or_published_again(self):
		name = draft([LARGE])
		with acting_as(manager()):
			policy.publish(name)
			doc = frappe.get_doc("Review Policy", name)
			doc.rules[0].threshold = 900
			with self.assertRaises(PolicyNotDraftError):
				doc.save()
			with self.assertRaises(PolicyNotDraftError):
				policy.publish(name)
			with self.assertRaises(PolicyNotDraftError):
				frappe.delete_doc("Review Policy", name)

	def test_after_migrate_the_published_policy_is_put_back_over_the_fixtures(self):
		with acting_as(manager()):
			policy.publish(draft([LARGE]))
		frappe.db.set_value("Order Review Rule", "Large order", "enabled", 1)  # as the fixtures' re-import
		policy.reapply_published_policy()
		self.assertEqual(
			frappe.get_all("Order Review Rule", filters={"enabled": 1}, pluck="name"), ["OMT Large"]
		)

	def test_a_draft_row_is_checked_as_a_live_rule_would_be(self):
		with self.assertRaises(policy.ReviewPolicyError):
			draft([{**LARGE, "threshold": 0}])
		with self.assertRaises(policy.ReviewPolicyError):
			draft([LARGE, LARGE])
		with self.assertRaises((policy.ReviewPolicyError, frappe.LinkValidationError)):
			draft([{**LARGE, "stage": "No Such Stage"}])


class TestWhoMayPublish(PolicyTestCase):
	def test_only_order_and_system_managers_publish(self):
		grid = {
			"Order Clerk": clerk(),
			"Sales Reviewer": reviewer("Sales"),
			"Finance Reviewer": reviewer("Finance"),
			"Warehouse Reviewer": reviewer("Warehouse"),
		}
		name = draft([LARGE])
		for role, user in grid.items():
			with acting_as(user), self.assertRaises(frappe.PermissionError, msg=role):
				policy.publish(name)
			frappe.clear_last_message()
			with acting_as(user), self.assertRaises(frappe.PermissionError, msg=role):
				policy.new_draft_from_live_rules()
			frappe.clear_last_message()
			with acting_as(user), self.assertRaises(frappe.PermissionError, msg=role):
				policy_replay.replay_review_policy(name, orders=10)
			frappe.clear_last_message()
		self.assertEqual(frappe.db.get_value("Review Policy", name, "status"), "Draft")
		with acting_as(clerk()), self.assertRaises(frappe.PermissionError):
			frappe.client.get("Review Policy", name)
		for user in (manager(), make_user(["System Manager"])):
			name = draft([LARGE])
			with acting_as(user):
				policy.publish(name)
			self.assertEqual(frappe.db.get_value("Review Policy", name, "published_by"), user)

	def test_server_owned_fields_sent_by_a_client_are_refused(self):
		sent = {
			"status": "Published",
			"version": 99,
			"published_by": "Administrator",
			"published_on": "2026-01-01 00:00:00",
			"replay_status": "Done",
			"replay_result": json.dumps({"orders": 1}),
		}
		with acting_as(manager()):
			doc = frappe.client.insert(
				{"doctype": "Review Policy", "title": "OMT sent", "rules": [LARGE], **sent}
			)
			stored = frappe.get_doc("Review Policy", doc["name"])
			self.assertEqual(
				(stored.status, stored.version, stored.published_by, stored.published_on),
				("Draft", 0, None, None),
			)
			self.assertFalse(stored.replay_status or stored.replay_result)
			frappe.client.save({**stored.as_dict(), **sent})
		stored.reload()
		self.assertEqual((stored.status, stored.version, stored.published_by), ("Draft", 0, None))
		self.assertFalse(stored.replay_result)
		self.assertEqual(frappe.get_all("Order Review Rule", filters={"name": "OMT Large"}), [])


class TestReplay(PolicyTestCase):
	"""Live: OMT Large (Sales, 500). A flagged customer's order of 600 (and taxes) is held by it, and its review
	freezes the facts (flagged). The customer is unflagged since. The draft holds flagged customers
	(Finance) and has no large-order rule: on the frozen facts the order is still held — by Finance
	instead of Sales; rebuilt from the order (no frozen facts) it would be auto-approved."""

	def setUp(self):
		with acting_as(manager()):
			policy.publish(draft([LARGE], "OMT live"))
		self.customer = make_customer(requires_order_review=1)
		item = make_item(rate=100, stock_qty=50)
		self.order = make_order(self.customer, [{"item_code": item, "qty": 6}], submit=True)
		frappe.db.set_value("Customer", self.customer, "requires_order_review", 0)
		self.policy = draft([FLAGGED], "OMT draft")

	def replayed(self) -> dict:
		with acting_as(manager()):
			policy_replay.replay_review_policy(self.policy, orders=10, customer=self.customer)
		return json.loads(frappe.db.get_value("Review Policy", self.policy, "replay_result"))

	def test_the_review_freezes_the_facts_it_decided_on(self):
		self.assertEqual(self.order.review_route, "Sales")
		self.assertGreaterEqual(self.order.base_grand_total, 600)  # 6 × 100 and the default taxes
		review = frappe.get_last_doc("Order Review", filters={"customer_order": self.order.name})
		facts = json.loads(review.decision_facts)
		self.assertEqual(facts["grand_total"], self.order.base_grand_total)
		self.assertTrue(facts["flagged_for_review"])
		self.assertTrue(facts["has_prior_invoice"])
		self.assertEqual((facts["lines"][0]["stock_qty"], facts["lines"][0]["projected_qty"]), (6, 50))

	def test_the_frozen_facts_reach_reviewers_not_the_clerk_who_entered_the_order(self):
		review = frappe.get_last_doc("Order Review", filters={"customer_order": self.order.name}).name
		with acting_as(reviewer("Sales")):
			self.assertTrue(frappe.client.get("Order Review", review).get("decision_facts"))
		with acting_as(clerk()):
			seen = frappe.client.get("Order Review", review)
			listed = frappe.client.get_list(
				"Order Review", fields=["name", "decision_facts"], filters={"name": review}
			)
		self.assertEqual(seen["customer_order"], self.order.name)  # the clerk reads the review …
		self.assertFalse(seen.get("decision_facts"))  # … but not the facts it froze
		self.assertFalse(any(row.get("decision_facts") for row in listed))

	def test_an_order_approved_at_once_freezes_its_facts_for_reviewers_only(self):
		item = make_item(rate=100, stock_qty=50)
		order = make_order(make_customer(), [{"item_code": item, "qty": 2}], submit=True)
		self.assertTrue(order.sales_order)  # approved at once: no Order Review
		self.assertFalse(frappe.get_all("Order Review", filters={"customer_order": order.name}))
		facts = json.loads(frappe.db.get_value("Customer Order", order.name, "decision_facts"))
		self.assertEqual(facts["grand_total"], order.base_grand_total)
		self.assertEqual(facts["lines"][0]["stock_qty"], 2)
		self.assertIn(order.name, policy_replay.frozen_facts([order.name]))
		with acting_as(manager()):  # a reviewer reads only the orders of their stages; a manager, all
			self.assertTrue(frappe.client.get("Customer Order", order.name).get("decision_facts"))
		with acting_as(clerk()):
			self.assertFalse(frappe.client.get("Customer Order", order.name).get("decision_facts"))
			listed = frappe.client.get_list(
				"Customer Order", fields=["name", "decision_facts"], filters={"name": order.name}
			)
		self.assertFalse(any(row.get("decision_facts") for row in listed))
		versions = frappe.get_all(
			"Version", filters={"ref_doctype": "Customer Order", "docname": order.name}, pluck="data"
		)
		self.assertFalse(any("decision_facts" in (data or "") for data in versions))

	def test_the_replay_decides_on_the_frozen_facts(self):
		result = self.replayed()
		self.assertEqual(
			(result["orders"], result["rebuilt"], result["actual_held"], result["draft_held"]), (1, 0, 1, 1)
		)
		self.assertEqual((result["actual_auto_approval_rate"], result["draft_auto_approval_rate"]), (0, 0))
		self.assertEqual(
			[(s["stage"], s["actual"], s["draft"], s["difference"]) for s in result["stages"]],
			[("Finance", 0, 1, 1), ("Sales", 1, 0, -1)],
		)
		self.assertEqual(
			[(r["rule"], r["actual"], r["draft"]) for r in result["rules"]],
			[("OMT Flagged", 0, 1), ("OMT Large", 1, 0)],
		)
		self.assertEqual((result["changed_total"], result["changed"]), (0, []))
		stored = frappe.get_doc("Review Policy", self.policy)
		self.assertEqual((stored.replay_status, stored.replayed_by), ("Done", manager()))
		self.assertTrue(stored.replayed_on)

	def test_without_frozen_facts_the_order_is_rebuilt_and_counted(self):
		frappe.db.set_value("Order Review", {"customer_order": self.order.name}, "decision_facts", None)
		frappe.db.set_value("Customer Order", self.order.name, "decision_facts", None)
		result = self.replayed()
		self.assertEqual((result["rebuilt"], result["draft_held"], result["changed_total"]), (1, 0, 1))
		self.assertEqual(
			result["changed"][0] | {"order_date": None},
			{
				"order": self.order.name,
				"order_date": None,
				"actual": "Held",
				"draft": "Auto-approved",
				"actual_rules": ["OMT Large"],
				"draft_rules": [],
			},
		)

	def test_the_job_reports_progress_and_stores_the_result(self):
		seen = []
		stages = policy_replay.enabled_stages()
		rules = policy_replay.policy_rules(
			frappe.get_doc("Review Policy", self.policy), {s.name for s in stages}
		)
		other = make_order(
			self.customer, [{"item_code": self.order.items[0].item_code, "qty": 1}], submit=True
		)
		rows = policy_replay.scope_orders(10, customer=self.customer)
		self.assertEqual({row.name for row in rows}, {self.order.name, other.name})
		with patch.object(policy_replay, "CHUNK", 1):
			policy_replay.run(rules, stages, rows, lambda done, total: seen.append((done, total)))
		self.assertEqual(seen, [(1, 2), (2, 2)])
		with acting_as(manager()):
			result = policy_replay.run_policy_replay(self.policy, 10, customer=self.customer)
		# the order approved at once opened no review: its facts are the ones it froze itself
		self.assertEqual((result["orders"], result["rebuilt"]), (2, 0))
		self.assertEqual(frappe.db.get_value("Review Policy", self.policy, "replay_status"), "Done")

	def test_above_the_threshold_the_replay_is_queued_on_rq(self):
		with patch.object(policy_replay, "BACKGROUND_THRESHOLD", 0), acting_as(manager()):
			result = policy_replay.replay_review_policy(self.policy, orders=10, customer=self.customer)
		self.assertTrue(result["queued"])
		job = Job.fetch(result["job_id"], connection=get_redis_conn())
		self.addCleanup(job.delete)
		self.assertEqual(job.kwargs["method"], "order_mgmt.analytics.policy_replay.run_policy_replay")
		self.assertEqual(job.kwargs["kwargs"]["policy"], self.policy)
		self.assertEqual(job.kwargs["user"], manager())
		self.assertEqual(frappe.db.get_value("Review Policy", self.policy, "replay_status"), "Queued")
		self.assertFalse(frappe.db.get_value("Review Policy", self.policy, "replay_result"))

	def test_the_replay_changes_nothing_on_any_order(self):
		def state():
			order = frappe.get_doc("Customer Order", self.order.name).as_dict()
			reviews = frappe.get_all(
				"Order Review", filters={"customer_order": self.order.name}, fields=["*"]
			)
			return (
				order,
				reviews,
				frappe.get_all("Order Review Rule", fields=["*"], order_by="name"),
				frappe.db.count("Version", {"docname": self.order.name}),
				frappe.db.count("Comment", {"reference_name": self.order.name}),
			)

		before = state()
		self.replayed()
		with acting_as(manager()):
			policy_replay.run_policy_replay(self.policy, 10, customer=self.customer)
			policy_replay.replay_policy(rules=[{**FLAGGED, "name": "x"}], orders=10, customer=self.customer)
		self.assertEqual(state(), before)
