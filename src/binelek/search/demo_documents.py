"""The demo tenant's knowledge documents: what Northwind Coffee Roasters keeps written down."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from binelek.search import service
from binelek.search.schemas import DocumentIn

DEMO_DOCUMENTS = (
    DocumentIn(
        title="Wholesale invoice terms",
        tags=["finance", "wholesale", "invoices"],
        body="""\
All wholesale accounts (cafés, restaurants, grocers and offices) are invoiced on net 30 terms from
the invoice date. Invoices are issued from QuickBooks the day an order ships, in US dollars, and go to
the billing e-mail on the account — never only to the person who placed the order.

Payment methods: ACH transfer (preferred, no fee), card through the Stripe payment link on the
invoice (3% surcharge passed on for invoices over $2,000), or check mailed to 18 Harbor Street.

Late fees: an invoice unpaid 10 days after its due date carries a late fee of 1.5% per month on the
outstanding balance (18% a year), with a $25 minimum. Waiving a late fee needs the owner's approval
and a note on the customer record.

New wholesale accounts start on prepayment for their first two orders, then move to net 30 once a
credit check is on file. The standard credit limit is $5,000; anything higher is approved by Maya.
Accounts more than 60 days overdue are put on hold: no new shipments until the balance is cleared.

Volume discounts (5% from 50 lb a month, 8% from 150 lb) are shown as a separate line on each
invoice, never folded into the unit price, so price changes stay easy to explain.""",
    ),
    DocumentIn(
        title="Playbook: chasing overdue invoices",
        tags=["finance", "playbook", "invoices"],
        body="""\
Goal: get paid without losing the customer. Run this every Monday from the QuickBooks aged
receivables report.

Day 1 after the due date — friendly reminder. Send the "Payment reminder" e-mail template with the
invoice attached and the Stripe link. Most late payments are a forgotten e-mail; assume good faith.

Day 7 — personal follow-up. Luis calls the café owner or manager (not the barista who places orders)
and asks whether anything is wrong with the invoice: a wrong price, a missing delivery, a damaged
bag. Disputes are fixed first and the due date reset.

Day 10 — the late fee from the wholesale terms applies. Send the statement with the fee shown.

Day 30 — second notice and account hold warning. Offer a payment plan of up to three instalments
for long-standing customers.

Day 60 — account on hold: the ops team stops shipments and the owner decides whether to send the
debt to our collections partner. Log every contact in the customer's notes so anyone can pick up the
conversation.

Never chase by text message, never discuss a customer's balance with their staff, and record any
promise to pay with its date.""",
    ),
    DocumentIn(
        title="Refund and returns policy",
        tags=["customers", "policy", "online store"],
        body="""\
Online store (retail): if a bag of coffee arrives damaged, wrong, or the customer simply does not
enjoy it, we refund or replace it within 30 days of delivery. No need to send opened coffee back —
ask for a photo of damaged parcels for the carrier claim.

Subscriptions can be paused, skipped or cancelled any time before the next roast date; a charge
already roasted and shipped is not refunded, but we gladly swap the next bag.

Equipment (grinders, kettles, brewers) can be returned unused in its original packaging within 30
days; the customer pays return shipping unless the item is faulty. Faulty equipment is handled under
the manufacturer's warranty and we help with the claim.

Wholesale: quality problems must be reported within 7 days of delivery with the roast date and lot
number from the bag. We credit the next invoice rather than refunding cash.

Refunds are issued to the original payment method through Shopify or Stripe within 5 business
days. Store credit is offered first but never forced.""",
    ),
    DocumentIn(
        title="Green coffee suppliers",
        tags=["sourcing", "suppliers"],
        body="""\
Our green (unroasted) coffee comes from three importers; we buy by the bag and keep six to eight
weeks of stock in the warehouse.

Cafe Imports (Minneapolis) — main supplier for Ethiopia (Yirgacheffe, Guji) and Kenya lots. Orders
by the 69 kg bag, delivered by freight in 5 to 7 days. Contact: our account rep, orders through their
web portal. Payment net 15.

Royal Coffee (Oakland) — Colombia and Guatemala, plus the decaf (Swiss Water process). Offers forward
contracts for the espresso blend components; we contract two quarters ahead. Net 30.

Sweet Maria's Wholesale — small lots and samples for new single origins; good for testing before
committing to a full contract.

Quality control: every arriving lot is sample-roasted and cupped before it is accepted; moisture must
be between 10% and 12%. Rejected lots are reported to the importer within 10 days of delivery.

Prices are tracked per pound in the costing sheet; when the C-market price moves more than 15% we
review wholesale price lists.""",
    ),
    DocumentIn(
        title="Roasting schedule",
        tags=["operations", "production"],
        body="""\
We roast Monday to Thursday on the 15 kg Loring; Friday is for cleaning, maintenance and cupping.

Monday: espresso blend (Harbor Espresso) and house drip for wholesale orders due Tuesday/Wednesday.
Tuesday: single origins for online subscriptions — subscription orders close Sunday at midnight.
Wednesday: wholesale top-up roasts and decaf.
Thursday: online store restock and any café orders received by Wednesday noon.

Coffee rests at least 24 hours (espresso 5 days) before it ships. Every batch gets a roast log entry:
date, batch number, green lot, charge temperature, development time, weight loss. The batch number is
printed on every bag so a quality complaint can be traced to the roast.

Chaff collector and afterburner are cleaned every Friday; the full roaster service is quarterly.
Anyone roasting alone must have completed the fire-safety training.""",
    ),
    DocumentIn(
        title="Café wholesale onboarding checklist",
        tags=["wholesale", "onboarding", "sales"],
        body="""\
1. Tasting visit: bring three coffees, dial in the espresso blend on their machine, agree on a
   grind profile.
2. Create the customer in HubSpot and in QuickBooks with the billing e-mail, delivery address,
   delivery window and the contact for orders.
3. Send the wholesale price list and the invoice terms (net 30 after two prepaid orders).
4. Credit check and signed wholesale agreement before net terms begin.
5. Equipment: if they lease a grinder from us, record the serial number and the lease start date.
6. Barista training session within the first two weeks (2 hours, up to 4 staff).
7. Standing order set up in Shopify for the delivery day (we deliver Tuesday and Thursday in
   Portland; outside Portland by UPS ground).
8. Marketing kit: table cards, the roaster's story, and a listing on our "Where to find us" page.
9. Check-in call after 30 days: volumes, freshness, any quality problems.""",
    ),
    DocumentIn(
        title="Customer data handling and GDPR",
        tags=["privacy", "gdpr", "policy"],
        body="""\
We sell to customers in the EU and UK through the online store, so GDPR applies to their personal
data: names, addresses, e-mails, order history. We never handle full card numbers — Stripe and
Shopify process payments.

Where data lives: Shopify (orders and customers), Stripe (payments), HubSpot (wholesale contacts),
QuickBooks (invoices), and Klaviyo (newsletter, only with consent).

Rules:
- Collect only what an order needs; marketing e-mails need an explicit opt-in.
- Data subject requests (access, correction, deletion) are answered within 30 days. Maya is the
  contact for privacy requests: privacy@northwind-coffee.example.
- Delete customer data we no longer need: abandoned carts after 90 days, inactive newsletter
  subscribers after two years. Invoices are kept seven years for tax.
- Never export customer lists to personal devices or spreadsheets shared outside the company.
- A suspected data breach is reported to Maya immediately; the supervisory authority must be
  notified within 72 hours if personal data is at risk.""",
    ),
    DocumentIn(
        title="Password and MFA policy",
        tags=["security", "policy"],
        body="""\
Every account that touches company systems — Shopify, Stripe, QuickBooks, HubSpot, Google Workspace
and Binelek — uses a unique password stored in the company password manager (1Password). Never reuse
a password or share one over e-mail or chat.

Passwords are at least 14 characters; a passphrase of four or more random words is best.
Multi-factor authentication is required on every system that offers it; use an authenticator app,
not SMS. Backup codes go into the password manager.

When someone leaves: revoke their accounts the same day, rotate any shared credentials they knew
(the roaster's Wi-Fi, the shop tablet) and remove their devices from the password manager.

Phishing: invoices or payment-detail changes that arrive by e-mail are confirmed by phone with a
known number before anyone pays. Report suspicious e-mails to Maya.""",
    ),
)


async def seed_demo_documents(session: AsyncSession, tenant_id: uuid.UUID, created_by: uuid.UUID) -> None:
    """Store the demo documents; they are indexed through the outbox like any other change."""
    for document in DEMO_DOCUMENTS:
        await service.add_document(session, tenant_id, document, created_by)
