"""The offline engine's test table: utterances and what they must be understood as, at a fixed
`NOW` (Wednesday 25 November 2026, 10:00 in London, GMT). Shared by tests/test_local_engine.py
and bench/ai_local.py.

`offered=None` means every registered tool (an admin); `VIEWER` is what a viewer is offered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

TIMEZONE = "Europe/London"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo(TIMEZONE))
VIEWER = ("team_members", "semantic_search")


@dataclass(frozen=True)
class Case:
    text: str
    expect: str  # a tool name, or one of help / greeting / thanks / unknown
    args: dict[str, Any] = field(default_factory=dict)
    offered: tuple[str, ...] | None = None
    unavailable: str | None = None
    missing: tuple[str, ...] = ()


def _team(text: str, **args: Any) -> Case:
    return Case(text, "team_members", args)


def _invite(text: str, missing: tuple[str, ...] = (), **args: Any) -> Case:
    return Case(text, "invite_member", args, missing=missing)


def _audit(text: str, **args: Any) -> Case:
    return Case(text, "search_audit_log", args)


def _search(text: str, **args: Any) -> Case:
    return Case(text, "semantic_search", args)


TEAM = [
    _team("who is on the team"),
    _team("list all team members"),
    _team("show me the admins", role="admin"),
    _team("which members don't have MFA?", mfa_enabled=False),
    _team("who hasn't set up two-factor yet", mfa_enabled=False),
    _team("list viewers", role="viewer"),
    _team("team members without 2FA", mfa_enabled=False),
    _team("who has MFA turned on", mfa_enabled=True),
    _team("show admins with two-factor turned on", role="admin", mfa_enabled=True),
    _team("how many people are in our organization"),
    _team("who are the read-only users on my team", role="viewer"),
    _team("give me a list of everyone in the org"),
    _team("are there any admins without multi-factor authentication", role="admin", mfa_enabled=False),
    _team("members with 2fa on", mfa_enabled=True),
    _team("which users have not enabled two factor authentication", mfa_enabled=False),
    _team("who's missing 2FA", mfa_enabled=False),
    _team("show me everyone who has secured their account with MFA", mfa_enabled=True),
    _team("show me the regular members", role="member"),
    _team("list the people with the administrator role", role="admin"),
    _team("team roster please"),
    _team("Who still needs to set up MFA?", mfa_enabled=False),
    _team("which colleagues have two-step verification enabled", mfa_enabled=True),
    _team("hi, who are the admins?", role="admin"),
]

INVITE = [
    _invite("invite bob@example.com", email="bob@example.com"),
    _invite("invite alice@acme.io as an admin", email="alice@acme.io", role="admin"),
    _invite("add carol@shop.co.uk to the team as a viewer", email="carol@shop.co.uk", role="viewer"),
    _invite("send an invitation to dave@example.org", email="dave@example.org"),
    _invite(
        "please invite erin@example.com, she should be a member", email="erin@example.com", role="member"
    ),
    _invite("can you invite frank@example.com with viewer access", email="frank@example.com", role="viewer"),
    _invite("give grace@example.com admin access", email="grace@example.com", role="admin"),
    _invite("onboard heidi@example.com as read-only", email="heidi@example.com", role="viewer"),
    _invite("invite a new colleague", missing=("email",)),
    _invite("I want to invite someone", missing=("email",)),
    _invite("add ivan@example.com", email="ivan@example.com"),
    _invite("Invite Judy (judy@example.com) as administrator", email="judy@example.com", role="admin"),
    _invite("bring mallory@example.com onto the team", email="mallory@example.com"),
    _invite("invite niaj@example.com and make them an admin", email="niaj@example.com", role="admin"),
    _invite("send a join link to olivia@example.com", email="olivia@example.com"),
    _invite("invite PEGGY@Example.com as viewer", email="PEGGY@Example.com", role="viewer"),
]

AUDIT = [
    _audit("show failed logins", action="auth.login_failed"),
    _audit(
        "any failed login attempts since yesterday?",
        action="auth.login_failed",
        since="2026-11-24T00:00:00+00:00",
    ),
    _audit("show me the audit log"),
    _audit("who logged in today", action="auth.login", since="2026-11-25T00:00:00+00:00"),
    _audit("recent security events"),
    _audit("last 10 audit entries", limit=10),
    _audit("role changes last week", action="team.role_changed", since="2026-11-16T00:00:00+00:00"),
    _audit("show me invitations sent this month", action="team.invited", since="2026-11-01T00:00:00+00:00"),
    _audit("what happened in the audit trail in the past 24 hours", since="2026-11-24T10:00:00+00:00"),
    _audit("list sign-ins since Monday", action="auth.login", since="2026-11-23T00:00:00+00:00"),
    _audit("top 5 security events from the last 3 days", limit=5, since="2026-11-22T10:00:00+00:00"),
    _audit("who changed roles in Q3", action="team.role_changed", since="2026-07-01T00:00:00+01:00"),
    _audit("audit events since March", since="2026-03-01T00:00:00+00:00"),
    _audit(
        "which API keys were created this week", action="api_key.created", since="2026-11-23T00:00:00+00:00"
    ),
    _audit(
        "were any API keys revoked since 2026-10-01",
        action="api_key.revoked",
        since="2026-10-01T00:00:00+01:00",
    ),
    _audit("did anyone turn off two-factor recently", action="auth.mfa_disabled"),
    _audit("show the last 20 logins", action="auth.login", limit=20),
    _audit("who removed a member from the team", action="team.member_removed"),
    _audit("security log for yesterday", since="2026-11-24T00:00:00+00:00"),
    _audit(
        "failed sign-ins since 3 weeks ago", action="auth.login_failed", since="2026-11-04T00:00:00+00:00"
    ),
    _audit("show audit entries from 5 March 2026", since="2026-03-05T00:00:00+00:00"),
    _audit("thanks! now show failed logins", action="auth.login_failed"),
]

SEARCH = [
    _search("find anything about invoices", query="invoices"),
    _search("search for the Acme contract", query="Acme contract"),
    _search("look up documents about the refund policy", kinds=["document"], query="refund policy"),
    _search("what do we know about Blue Bottle Coffee", query="Blue Bottle Coffee"),
    _search("search tasks mentioning onboarding", kinds=["task"], query="onboarding"),
    _search("find customers in Berlin", kinds=["customer"], query="Berlin"),
    _search("any competitors selling cold brew?", kinds=["competitor"], query="selling cold brew"),
    _search("show me products related to espresso", kinds=["product"], query="espresso"),
    _search("search security issues about outdated TLS", kinds=["security_issue"], query="outdated TLS"),
    _search("find the Q4 marketing plan", query="Q4 marketing plan"),
    _search("search for 5 documents about GDPR", limit=5, kinds=["document"], query="GDPR"),
    _search("where is the onboarding checklist", query="onboarding checklist"),
    _search("do we have anything on supplier delays", query="supplier delays"),
    _search("search everything for 'price increase'", query="price increase"),
    _search(
        "look for tasks and documents about the website redesign",
        kinds=["task", "document"],
        query="website redesign",
    ),
    _search("find info about Ethiopian beans", query="Ethiopian beans"),
    _search("search: late deliveries", query="late deliveries"),
    _search("show me records mentioning Jane Doe", query="Jane Doe"),
    _search(
        "is there a document about holiday opening hours", kinds=["document"], query="holiday opening hours"
    ),
    _search("look up invoice 1042", query="invoice 1042"),
]

SOCIAL = [
    Case("hi", "greeting"),
    Case("hello there", "greeting"),
    Case("good morning!", "greeting"),
    Case("hey binelek", "greeting"),
    Case("thanks", "thanks"),
    Case("thank you so much", "thanks"),
    Case("cheers!", "thanks"),
    Case("great, thanks!", "thanks"),
    Case("help", "help"),
    Case("what can you do?", "help"),
    Case("what can I ask you", "help"),
    Case("how do I use this?", "help"),
]

OUT_OF_SCOPE = [
    Case("what's the weather", "unknown"),
    Case("write a poem", "unknown"),
    Case("delete everything", "unknown"),
    Case("tell me a joke", "unknown"),
    Case("book a flight to Paris", "unknown"),
    Case("what is the capital of France", "unknown"),
    Case("remove bob@example.com from the team", "unknown"),
    Case("translate this into Spanish", "unknown"),
    Case("cancel my subscription", "unknown"),
    Case("order more coffee beans", "unknown"),
]

# A viewer is offered neither invitations (a write) nor the audit log (admins only).
PERMISSIONS = [
    Case("invite bob@example.com", "unknown", offered=VIEWER, unavailable="invite_member"),
    Case("invite alice@acme.io as admin", "unknown", offered=VIEWER, unavailable="invite_member"),
    Case("add carol@example.com to the team", "unknown", offered=VIEWER, unavailable="invite_member"),
    Case("show failed logins", "unknown", offered=VIEWER, unavailable="search_audit_log"),
    Case("who are the admins", "team_members", {"role": "admin"}, offered=VIEWER),
    Case(
        "find documents about pricing",
        "semantic_search",
        {"kinds": ["document"], "query": "pricing"},
        offered=VIEWER,
    ),
]

TABLE: list[Case] = [*TEAM, *INVITE, *AUDIT, *SEARCH, *SOCIAL, *OUT_OF_SCOPE, *PERMISSIONS]


def _metrics(text: str) -> Case:
    return Case(text, "query_metrics", {"question": text})


def _dashboards(text: str) -> Case:
    return Case(text, "list_dashboards")


def _insight(text: str, **args: Any) -> Case:
    return Case(text, "explain_insight", args)


def _widget(text: str, **args: Any) -> Case:
    return Case(text, "add_widget", args)


FOUNDRY = [
    _metrics("what was revenue last month"),
    _metrics("how many orders did we get this week"),
    _metrics("revenue by category last quarter"),
    _metrics("top 5 products by revenue this year"),
    _metrics("average order value in 2025"),
    _metrics("how much did we refund in the last 90 days"),
    _metrics("sales per month this year"),
    _metrics("which channel brings the most revenue"),
    _metrics("how many new customers did we get in October"),
    _metrics("what is our gross margin by category"),
    _metrics("how much do customers owe us"),
    _metrics("what's our win rate this year"),
    _metrics("revenue from wholesale in March"),
    _metrics("orders from Germany last year"),
    _metrics("what were net sales yesterday"),
    _dashboards("list my dashboards"),
    _dashboards("which dashboards do we have"),
    _dashboards("show the dashboards"),
    _dashboards("what dashboards are there"),
    _dashboards("show me all dashboards in mini foundry"),
    _dashboards("list every dashboard"),
    _dashboards("do we have a sales dashboard"),
    _dashboards("what reports and dashboards exist"),
    _dashboards("give me the list of dashboards"),
    _dashboards("dashboards please"),
    _dashboards("which dashboards can I open"),
    _dashboards("show my saved dashboards"),
    _dashboards("what is on the dashboard list"),
    _dashboards("list the dashboards we built"),
    _dashboards("how many dashboards do we have"),
    _insight("explain the latest insight"),
    _insight("what are the insights today"),
    _insight("show me the insights"),
    _insight("explain the anomaly insight", kind="anomaly"),
    _insight("why is there an anomaly in the insights", kind="anomaly"),
    _insight("explain the trend insight", kind="trend"),
    _insight("tell me about the segment insight", kind="segment"),
    _insight("explain the forecast insight", kind="forecast"),
    _insight("what do the insights say"),
    _insight("any new insights"),
    _insight("explain the top mover insight", kind="top_mover"),
    _insight("which insight matters most"),
    _insight("explain the most important insight"),
    _insight("walk me through the insights"),
    _insight("what did the insights find"),
    _widget("add a revenue by category chart to the dashboard", metric="revenue", breakdown="category"),
    _widget("add a widget with refunds", metric="refunds"),
    _widget("put a KPI widget for new customers on my dashboard", metric="new_customers", chart="kpi"),
    _widget("add a map chart of revenue by country", metric="revenue", breakdown="country", chart="map"),
    _widget("add an orders by channel pie chart widget", metric="orders", breakdown="channel", chart="pie"),
    _widget("add a chart of units sold by product", metric="units_sold", breakdown="product"),
    _widget("add a widget for gross margin", metric="gross_margin"),
    _widget("add a bar chart of revenue by channel", metric="revenue", breakdown="channel", chart="bar"),
    _widget("put average order value on the dashboard", metric="average_order_value"),
    _widget(
        "add a table widget of revenue by customer", metric="revenue", breakdown="customer", chart="table"
    ),
    _widget("add a chart of refunds by country", metric="refunds", breakdown="country"),
    _widget("add a widget showing win rate", metric="win_rate"),
    _widget("add a KPI for outstanding balance", metric="outstanding_balance", chart="kpi"),
    _widget("add a pie chart of revenue by category", metric="revenue", breakdown="category", chart="pie"),
    _widget(
        "add a widget with pipeline value by deal stage", metric="pipeline_value", breakdown="deal_stage"
    ),
]
TABLE.extend(FOUNDRY)


def _tasks(text: str, **args: Any) -> Case:
    return Case(text, "list_tasks", args)


def _next(text: str) -> Case:
    return Case(text, "next_task")


def _new_task(text: str, **args: Any) -> Case:
    return Case(text, "create_task", args)


def _change_task(text: str, **args: Any) -> Case:
    return Case(text, "update_task", args)


OPS_VIEWER = (*VIEWER, "list_tasks", "next_task")
OPS = [
    _tasks("show my tasks", assignee="me"),
    _tasks("list all open tasks"),
    _tasks("which tasks are overdue", overdue=True),
    _tasks(
        "what tasks are due this week",
        due_after="2026-11-23T00:00:00+00:00",
        due_before="2026-11-30T00:00:00+00:00",
    ),
    _tasks("list the urgent tasks", priority=["urgent"]),
    _tasks("show tasks assigned to me", assignee="me"),
    _tasks("list unassigned tasks", assignee="none"),
    _tasks("which tasks are blocked", status=["blocked"]),
    _tasks(
        "show high priority tasks due tomorrow",
        priority=["high"],
        due_after="2026-11-26T00:00:00+00:00",
        due_before="2026-11-27T00:00:00+00:00",
    ),
    _tasks("what tasks are in progress", status=["in_progress"]),
    _tasks("list tasks that are late", overdue=True),
    _tasks("show me the completed tasks", status=["done"]),
    _tasks("what are my overdue tasks", assignee="me", overdue=True),
    _tasks("which of my tasks are urgent", assignee="me", priority=["urgent"]),
    _tasks("show the task list"),
    _tasks("do we have any unassigned urgent tasks", assignee="none", priority=["urgent"]),
    _tasks("list low priority tasks", priority=["low"]),
    _next("what should I work on next"),
    _next("what's my next task"),
    _next("what should I do now"),
    _next("which task should I do first"),
    _next("what's the most important thing to do right now"),
    _next("pick my next task"),
    _next("what should I focus on today"),
    _next("where should I start"),
    _next("tell me what to tackle next"),
    _next("what do I do next"),
    _next("which task is most urgent for me right now"),
    _next("help me choose my next task"),
    _next("what's the best thing to work on now"),
    _next("give me my next task"),
    _next("which task comes next for me"),
    _new_task(
        "add a task to call the supplier tomorrow",
        title="call the supplier",
        due_at="2026-11-26T00:00:00+00:00",
    ),
    _new_task(
        "create a task: send the quarterly VAT return by Friday",
        title="send the quarterly VAT return",
        due_at="2026-11-27T00:00:00+00:00",
    ),
    _new_task(
        "remind me to order more coffee cups on Thursday",
        title="order more coffee cups",
        due_at="2026-11-26T00:00:00+00:00",
    ),
    _new_task("new task: fix the leaking tap, urgent", title="fix the leaking tap", priority="urgent"),
    _new_task(
        "add an urgent task to reply to the Acme complaint",
        title="reply to the Acme complaint",
        priority="urgent",
    ),
    _new_task("create a low priority task to tidy the stockroom", title="tidy the stockroom", priority="low"),
    _new_task(
        "create a high priority task to email the landlord", title="email the landlord", priority="high"
    ),
    _new_task(
        "remind me to pay the electricity bill by end of month",
        title="pay the electricity bill",
        due_at="2026-11-30T00:00:00+00:00",
    ),
    _new_task("add a task to water the plants", title="water the plants"),
    _new_task(
        "create a task to update the menu boards tomorrow at 9am",
        title="update the menu boards",
        due_at="2026-11-26T09:00:00+00:00",
    ),
    _new_task(
        "new task: count the inventory on Friday, high priority",
        title="count the inventory",
        due_at="2026-11-27T00:00:00+00:00",
        priority="high",
    ),
    _new_task(
        "add a task to book the photographer for the launch", title="book the photographer for the launch"
    ),
    _new_task(
        "create an urgent task to refund the damaged order",
        title="refund the damaged order",
        priority="urgent",
    ),
    _new_task(
        "remind me to renew the van insurance next Monday",
        title="renew the van insurance",
        due_at="2026-11-30T00:00:00+00:00",
    ),
    _new_task(
        "add a task to clean the grinder in 3 days",
        title="clean the grinder",
        due_at="2026-11-28T00:00:00+00:00",
    ),
    _change_task("mark the bank call task as done", task="bank call", status="done"),
    _change_task("set the VAT return task to high priority", task="VAT return", priority="high"),
    _change_task(
        "move the website review task to Friday", task="website review", due_at="2026-11-27T00:00:00+00:00"
    ),
    _change_task("mark the invoice follow-up as in progress", task="invoice follow-up", status="in_progress"),
    _change_task("complete the stock count task", task="stock count", status="done"),
    _change_task("set the priority of the newsletter task to urgent", task="newsletter", priority="urgent"),
    _change_task("mark the shelf restock as blocked", task="shelf restock", status="blocked"),
    _change_task(
        "change the insurance renewal task to low priority", task="insurance renewal", priority="low"
    ),
    _change_task("mark the packaging order as done", task="packaging order", status="done"),
    _change_task("set the landlord email task to urgent", task="landlord email", priority="urgent"),
    _change_task(
        "move the photographer booking to next Tuesday",
        task="photographer booking",
        due_at="2026-12-01T00:00:00+00:00",
    ),
    _change_task("mark the tap repair as in progress", task="tap repair", status="in_progress"),
    _change_task("set the coffee cups order to low priority", task="coffee cups order", priority="low"),
    _change_task("mark the trade fair task as cancelled", task="trade fair", status="cancelled"),
    _change_task("mark the grinder cleaning as finished", task="grinder cleaning", status="done"),
    # A viewer reads tasks but is offered no task changes: they are named, never swapped.
    Case("add a task to call the bank", "unknown", offered=OPS_VIEWER, unavailable="create_task"),
    Case("mark the bank call task as done", "unknown", offered=OPS_VIEWER, unavailable="update_task"),
    Case("which tasks are overdue", "list_tasks", {"overdue": True}, offered=OPS_VIEWER),
]
TABLE.extend(OPS)


def _run_workflow(text: str, workflow: str) -> Case:
    return Case(text, "run_workflow", {"workflow": workflow})


def _failed(text: str, **args: Any) -> Case:
    return Case(text, "failed_runs", args)


AUTOMATIONS = [
    _run_workflow("run the weekly report workflow", "weekly report"),
    _run_workflow("run the invoice reminder automation", "invoice reminder"),
    _run_workflow("start the thank big customers workflow now", "thank big customers"),
    _run_workflow("trigger the restock automation", "restock"),
    _run_workflow("run the lead follow-up workflow", "lead follow-up"),
    _run_workflow("execute the month end automation", "month end"),
    _run_workflow("kick off the onboarding workflow", "onboarding"),
    _run_workflow("launch the supplier check workflow", "supplier check"),
    _run_workflow("start the newsletter automation", "newsletter"),
    _run_workflow("run the price watch workflow", "price watch"),
    _run_workflow("trigger the overdue invoices workflow", "overdue invoices"),
    _run_workflow("run the end of day automation now", "end of day"),
    _run_workflow("start the vip thank you workflow", "vip thank you"),
    _run_workflow("execute the stock alert workflow", "stock alert"),
    _run_workflow("kick off the review request automation", "review request"),
    _failed("show failed runs"),
    _failed("which automations failed"),
    _failed("did any workflow fail this week"),
    _failed("list failed automation runs"),
    _failed("what went wrong with my automations"),
    _failed("show me automation errors"),
    _failed("failed workflows in the last 3 days", days=3),
    _failed("any broken automations"),
    _failed("which workflow runs had errors"),
    _failed("show automations that failed"),
    _failed("list the failed workflow runs"),
    _failed("did my automations fail"),
    _failed("which runs failed in the last 10 days", days=10),
    _failed("show errors in automation runs"),
    _failed("any failed runs today"),
]
TABLE.extend(AUTOMATIONS)


def _posture(text: str) -> Case:
    return Case(text, "security_posture", {})


def _critical(text: str, **args: Any) -> Case:
    return Case(text, "open_critical_issues", args)


def _scan(text: str) -> Case:
    return Case(text, "start_security_scan", {})


def _explain(text: str, finding: str) -> Case:
    return Case(text, "explain_finding", {"finding": finding})


SECURITY = [
    _posture("what is our security score"),
    _posture("how secure are we"),
    _posture("show the security posture"),
    _posture("security posture summary"),
    _posture("what is our security grade"),
    _posture("how is our cybersecurity"),
    _posture("give me our security posture score"),
    _posture("how good is our security posture"),
    _posture("summarise our security"),
    _posture("what's our cyber security rating"),
    _posture("show me the security overview"),
    _posture("how are we doing on security"),
    _posture("security score please"),
    _posture("is our security posture getting better"),
    _posture("what grade does our security get"),
    _critical("list open critical issues"),
    _critical("what critical security issues do we have"),
    _critical("show critical vulnerabilities"),
    _critical("any critical security problems"),
    _critical("show open critical and high issues", include_high=True),
    _critical("what should I fix first in security"),
    _critical("list critical findings"),
    _critical("which critical issues are still open"),
    _critical("show me the critical security issues"),
    _critical("critical and high security issues", include_high=True),
    _critical("are there any critical vulnerabilities"),
    _critical("list the most urgent security problems"),
    _critical("show critical issues that are open"),
    _critical("what are the critical security risks"),
    _critical("list critical and high severity findings", include_high=True),
    _scan("start a security scan"),
    _scan("scan our website for security problems"),
    _scan("run a security scan now"),
    _scan("scan everything for vulnerabilities"),
    _scan("check our security again"),
    _scan("rescan our domains"),
    _scan("start a vulnerability scan"),
    _scan("run the security scanner"),
    _scan("scan our assets now"),
    _scan("launch a new security scan"),
    _scan("kick off a security scan"),
    _scan("please scan our network and website"),
    _scan("begin a security check of our domains"),
    _scan("scan for open ports and weak tls"),
    _scan("run a fresh scan of our security"),
    _explain("explain the hsts finding", "hsts"),
    _explain("explain the spf issue", "spf"),
    _explain("explain the open rdp port issue", "open rdp port"),
    _explain("explain the certificate finding", "certificate"),
    _explain("explain the dmarc issue", "dmarc"),
    _explain("explain the disk encryption finding", "disk encryption"),
    _explain("explain the content security policy finding", "content security policy"),
    _explain("explain the telnet finding", "telnet"),
    _explain("explain the weak cipher finding", "weak cipher"),
    _explain("explain the expired certificate issue", "expired certificate"),
    _explain("explain the mfa adoption finding", "mfa adoption"),
    _explain("explain the log4j finding", "log4j"),
    _explain("explain the firewall finding", "firewall"),
    _explain("explain the stale accounts issue", "stale accounts"),
    _explain("explain the x frame options finding", "x frame options"),
]
TABLE.extend(SECURITY)


def _compare(text: str, product: str) -> Case:
    return Case(text, "compare_prices", {"product": product})


def _drops(text: str, **args: Any) -> Case:
    return Case(text, "price_drops", args)


def _track(text: str, url: str) -> Case:
    return Case(text, "track_url", {"url": url})


MARKETPLACE = [
    _compare("compare prices for the ethiopia yirgacheffe", "ethiopia yirgacheffe"),
    _compare("how does our espresso blend price compare", "espresso blend"),
    _compare("compare competitor prices for cold brew", "cold brew"),
    _compare("price comparison for the house blend", "house blend"),
    _compare("compare prices for the burr grinder", "burr grinder"),
    _compare("compare prices for decaf colombia", "decaf colombia"),
    _compare("compare our price on the pour over kettle", "pour over kettle"),
    _compare("price comparison for the moka pot", "moka pot"),
    _compare("compare prices for the gift box", "gift box"),
    _compare("how does the french press price compare", "french press"),
    _compare("compare competitor prices for the travel mug", "travel mug"),
    _compare("compare prices for kenya aa", "kenya aa"),
    _compare("price comparison for the espresso cups", "espresso cups"),
    _compare("compare prices for the subscription box", "subscription box"),
    _compare("compare the price of the milk frother", "milk frother"),
    _drops("list price drops this week"),
    _drops("which competitors cut prices"),
    _drops("any price drops in the last 3 days", days=3),
    _drops("show competitor price cuts"),
    _drops("did anyone lower their prices"),
    _drops("price drops this month", days=30),
    _drops("list competitor price drops"),
    _drops("who dropped their price this week"),
    _drops("show price cuts in the last 14 days", days=14),
    _drops("any competitors lowering prices"),
    _drops("recent price drops"),
    _drops("which prices fell this week"),
    _drops("show me the price drops"),
    _drops("did competitors cut prices in the last 10 days", days=10),
    _drops("list price reductions this week"),
    _track("track https://shop.example.com/espresso", "https://shop.example.com/espresso"),
    _track("watch the price at https://example.org/p/123", "https://example.org/p/123"),
    _track("start tracking this page https://store.example.net/item/9", "https://store.example.net/item/9"),
    _track("monitor https://example.com/grinder for price changes", "https://example.com/grinder"),
    _track("keep an eye on https://beans.example.com/house-blend", "https://beans.example.com/house-blend"),
    _track("add https://shop.example.com/kettle to price tracking", "https://shop.example.com/kettle"),
    _track("track the price of https://roasters.example.com/kenya", "https://roasters.example.com/kenya"),
    _track("track https://example.net/products/mug", "https://example.net/products/mug"),
    _track("watch https://cafe.example.org/beans/ethiopia", "https://cafe.example.org/beans/ethiopia"),
    _track("please track https://shop.example.com/p/77", "https://shop.example.com/p/77"),
    _track("start watching https://example.com/item/5 prices", "https://example.com/item/5"),
    _track("monitor the page https://beans.example.net/decaf", "https://beans.example.net/decaf"),
    _track("follow the price of https://example.org/shop/filter", "https://example.org/shop/filter"),
    _track(
        "track this competitor page https://rival.example.com/espresso", "https://rival.example.com/espresso"
    ),
    _track("add https://rival.example.com/blend to tracking", "https://rival.example.com/blend"),
]
TABLE.extend(MARKETPLACE)
