//! A generator of realistic order histories, for the bundled sample store, tests and
//! benchmarks: placements, items added and removed, quantity and address changes, discounts,
//! payments, shipments, cancellations and refunds. Prices have cents, order numbers lie above
//! 2^53, names are unicode. The same seed always writes the same bytes.
//!
//! An order's checkout is a business transaction across three streams, tied together as event
//! stores record it: every event's meta has a `correlationId` (the transaction's, or the
//! command's own for a lone event) and, where another event caused it, a `causationId` naming
//! that event's id. A payment authorized (`payment-N`) marks the order paid; a dispatch
//! (`shipment-N`) marks it shipped; a return leads to a refund on the order and the payment;
//! a payment that fails after its authorization cancels the order and releases the money.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{Map, Number, Value, json};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SampleSpec {
    /// How many events to write in all.
    pub events: u64,
    /// Seeds the generator: same seed, same file.
    pub seed: u64,
    /// The share of all events (0–1) that go to one long-lived "hot" order, `order-1000`.
    pub hot_share: f64,
    /// Inject three realistic defects for `check` to find: a retried write reusing an event
    /// id, a lost event (seq gap) and a skewed clock (time going backwards).
    pub anomalies: bool,
    /// Lean events, as high-volume logs write them: 16-digit ids and no `meta` (about 180
    /// bytes an event instead of 270).
    pub lean: bool,
    /// At most this many streams (orders, payments and shipments together): orders are made
    /// shorter or longer so that the store comes out close to it. `None`: orders are as long
    /// as they come (about 8 events a stream).
    pub streams: Option<u64>,
}

impl Default for SampleSpec {
    fn default() -> Self {
        Self {
            events: 6000,
            seed: 42,
            hot_share: 0.0,
            anomalies: false,
            lean: false,
            streams: None,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleSummary {
    pub events: u64,
    pub orders: u64,
    /// Payment and shipment streams, beside the orders.
    pub payments: u64,
    pub shipments: u64,
}

const PRODUCTS: [(&str, &str, u64); 12] = [
    ("SKU-1001", "Espresso beans, 1 kg", 1999),
    ("SKU-1002", "Milk frother", 3450),
    ("SKU-1003", "Ceramic mug", 899),
    ("SKU-1004", "Pour-over kettle", 4999),
    ("SKU-1005", "Paper filters ×100", 449),
    ("SKU-1006", "Burr grinder", 12900),
    ("SKU-1007", "Tea sampler — 12 kinds", 2495),
    ("SKU-1008", "Chocolate 85 %", 350),
    ("SKU-1009", "Matcha whisk (茶筅)", 1875),
    ("SKU-1010", "Descaler", 1290),
    ("SKU-1011", "Café crème cups ×6", 2990),
    ("SKU-1012", "Gift card", 5000),
];
const NAMES: [&str; 16] = [
    "Zoë Ångström",
    "José Núñez",
    "Søren Kierkegård",
    "Łukasz Żółć",
    "Ελένη Παπαδοπούλου",
    "山田 太郎",
    "Иван Петров",
    "محمد علي",
    "Nguyễn Văn An",
    "Chloé Dubois",
    "Jürgen Müller",
    "Siobhán O'Brien",
    "Ana María Peña",
    "김민준",
    "Ngozi Okonkwo",
    "Priya Raghunathan",
];
const CITIES: [(&str, &str); 8] = [
    ("Zürich", "8001"),
    ("Kraków", "31-001"),
    ("São Paulo", "01310-100"),
    ("København", "1050"),
    ("Reykjavík", "101"),
    ("東京", "100-0001"),
    ("Montréal", "H2Y 1C6"),
    ("Aarhus", "8000"),
];
const STREETS: [&str; 6] = [
    "Bahnhofstrasse 1",
    "ul. Floriańska 14",
    "Av. Paulista 1578",
    "Strøget 22",
    "Laugavegur 3",
    "Rue Saint-Paul 90",
];
const DISCOUNTS: [(&str, u64); 3] = [("SPRING10", 10), ("LOYAL15", 15), ("WELCOME5", 5)];
const SOURCES: [&str; 3] = ["web", "pos", "backoffice"];
/// 2^53: order numbers start above it, where a double can no longer hold every integer.
const ORDER_NO_BASE: u64 = 9_007_199_254_740_993;
/// Orders open at once.
const CONCURRENT_ORDERS: usize = 24;
/// 2024-03-01T08:00:00Z in milliseconds.
const START_MS: i64 = 1_709_280_000_000;

/// `SplitMix64`: a tiny generator whose output is fixed forever, so a seed names a file (and a
/// benchmark's sample points).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A random (version 4, RFC 9562 variant) UUID.
    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFF,
            ((b >> 48) & 0x3FFF) | 0x8000,
            b & 0xFFFF_FFFF_FFFF
        )
    }

    /// A correlation id: 64 bits, so that millions of transactions never share one.
    fn correlation(&mut self) -> String {
        format!("corr-{:016x}", self.next())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Shopping,
    Paid,
    Shipped,
    Closed,
}

/// One order's state as the generator tracks it.
struct Order {
    number: u64,
    seq: u64,
    items: BTreeMap<usize, u64>,
    discount_percent: u64,
    phase: Phase,
    /// Shopping events left before checkout.
    shopping_left: u64,
    /// Never checks out (the hot order).
    endless: bool,
    /// Time of the order's last event.
    last_time_ms: i64,
    /// The checkout transaction, once the order has one.
    checkout: Option<Checkout>,
}

/// An order's checkout: its correlation id, the id of the transaction's latest event on the
/// order (what the next step is caused by) and how far its payment and shipment streams are.
struct Checkout {
    correlation: String,
    last_order_event: String,
    payment_seq: u64,
    shipment_seq: u64,
}

impl Order {
    fn stream(&self) -> String {
        format!("order-{}", self.number)
    }

    fn total_cents(&self) -> u64 {
        let gross: u64 = self
            .items
            .iter()
            .map(|(&sku, &qty)| PRODUCTS[sku].2 * qty)
            .sum();
        (gross * (100 - self.discount_percent) + 50) / 100
    }
}

/// A price in cents as an exact JSON number: 1999 → 19.99.
fn money(cents: u64) -> Value {
    let text = format!("{}.{:02}", cents / 100, cents % 100);
    Value::Number(
        text.parse::<Number>()
            .unwrap_or_else(|_| Number::from(cents)),
    )
}

/// Seeds the generator of payment and shipment events (mixed into the store's seed), apart
/// from the orders' own: adding or changing them never changes an order's history.
const LINKS_SEED: u64 = 0x5EED_11A4_C0DE_2024;

/// Writes `spec.events` events as JSON Lines to `out`: the orders' events and, beside them, the
/// payment and shipment events of their checkouts.
pub fn write_orders(spec: &SampleSpec, out: &mut dyn Write) -> io::Result<SampleSummary> {
    let mut generator = Generator {
        rng: Rng(spec.seed),
        links: Rng(spec.seed ^ LINKS_SEED),
        time_ms: START_MS,
        orders: 0,
        payments: 0,
        shipments: 0,
        open: Vec::new(),
        ids: Vec::new(),
        lean: spec.lean,
        budget: spec.streams.map(|most| Budget {
            most,
            taken: 0,
            cold_events_left: 0.0,
        }),
    };
    #[allow(clippy::cast_sign_loss)] // clamped to 0–1 first
    let hot_per_mille = (spec.hot_share.clamp(0.0, 1.0) * 1000.0).round() as u64;
    let cold_share = 1.0 - hot_per_mille as f64 / 1000.0;
    let mut hot = (hot_per_mille > 0).then(|| generator.new_order(true));
    // Where the defects go: each on the first order event that fits from that many order
    // events on (counting the orders' events alone, so that they hit the same order events
    // whatever the other streams hold).
    let mut anomalies = if spec.anomalies {
        [spec.events / 5, spec.events / 2, spec.events * 4 / 5]
    } else {
        [u64::MAX; 3]
    };
    let mut written = 0;
    let mut order_events = 0;
    // Effects of the last order event on other streams, written before the next one.
    let mut effects: Vec<Event> = Vec::new();
    let mut last_time_ms = START_MS;
    while written < spec.events {
        if let Some(budget) = &mut generator.budget {
            budget.cold_events_left = (spec.events - written) as f64 * cold_share;
        }
        generator.time_ms += 1 + generator.rng.below(90_000).cast_signed();
        let use_hot = hot.is_some() && generator.rng.below(1000) < hot_per_mille;
        let mut order = match (use_hot, hot.take()) {
            (true, Some(order)) => order,
            (_, kept) => {
                hot = kept;
                let Some(order) = generator.pick_open_order() else {
                    // Every stream the budget allows is made and every order closed: the
                    // store ends here, short of the events asked for (only with a budget
                    // of a few streams).
                    break;
                };
                order
            }
        };
        let (kind, data) = generator.next_event(&mut order);
        if order_events >= anomalies[1] && order.seq > 1 {
            order.seq += 1; // an event lost between two writes
            anomalies[1] = u64::MAX;
        }
        let mut event = generator.order_event(&mut order, kind, data);
        let step = generator.step(&mut order, &mut event);
        let lone = step.causes.is_empty() && step.effects.is_empty();
        let mut time_ms = generator.time_ms;
        if lone
            && order_events >= anomalies[2]
            && order.seq > 2
            && time_ms - order.last_time_ms < 3_000_000
        {
            time_ms = order.last_time_ms - 180_000; // a terminal whose clock is three minutes slow
            anomalies[2] = u64::MAX;
        }
        if lone && order_events >= anomalies[0] {
            generator.reuse_id(&mut event); // a retried write
            anomalies[0] = u64::MAX;
        }
        order.last_time_ms = time_ms;
        // The other streams' events fall between the last event and this one, in order.
        let between: Vec<Event> = effects.drain(..).chain(step.causes).collect();
        let span = (generator.time_ms - last_time_ms).max(0);
        let count = i64::try_from(between.len() + 1).unwrap_or(i64::MAX);
        for (at, other) in (1..).zip(between) {
            if written == spec.events {
                break;
            }
            write_line(out, &other, last_time_ms + span * at / count)?;
            written += 1;
        }
        if written == spec.events {
            break;
        }
        write_line(out, &event, time_ms)?;
        written += 1;
        order_events += 1;
        last_time_ms = generator.time_ms;
        effects = step.effects;
        if order.endless {
            hot = Some(order);
        } else if order.phase != Phase::Closed {
            generator.open.push(order);
        }
    }
    Ok(SampleSummary {
        events: written,
        orders: generator.orders,
        payments: generator.payments,
        shipments: generator.shipments,
    })
}

/// One event, ready to be written but for its time.
struct Event {
    stream: String,
    seq: u64,
    kind: &'static str,
    id: String,
    data: Value,
    /// `None` for lean events.
    meta: Option<Meta>,
}

struct Meta {
    source: &'static str,
    correlation: String,
    causation: Option<String>,
}

fn write_line(out: &mut dyn Write, event: &Event, time_ms: i64) -> io::Result<()> {
    let mut line = json!({
        "stream": event.stream,
        "seq": event.seq,
        "type": event.kind,
        "time": crate::store::time::from_epoch_millis(time_ms).unwrap_or_default(),
        "id": event.id,
        "data": event.data,
    });
    if let Some(meta) = &event.meta {
        let mut members = Map::new();
        members.insert("source".into(), json!(meta.source));
        members.insert("correlationId".into(), json!(meta.correlation));
        if let Some(cause) = &meta.causation {
            members.insert("causationId".into(), json!(cause));
        }
        line["meta"] = Value::Object(members);
    }
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

/// What an order's event brings about on the payment and shipment streams: the events that
/// caused it, written before it, and those it causes, written after it.
#[derive(Default)]
struct Step {
    causes: Vec<Event>,
    effects: Vec<Event>,
}

/// The streams beside the orders.
#[derive(Clone, Copy)]
enum Beside {
    Payment,
    Shipment,
}

struct Generator {
    rng: Rng,
    /// Draws the payment and shipment events and the transactions' ids.
    links: Rng,
    time_ms: i64,
    orders: u64,
    payments: u64,
    shipments: u64,
    open: Vec<Order>,
    /// Recent order event ids, for the reused-id anomaly.
    ids: Vec<String>,
    lean: bool,
    /// How many streams may still be made, with `--streams`.
    budget: Option<Budget>,
}

/// The streams a store may have, and what it takes of them.
struct Budget {
    most: u64,
    /// Streams made, and shipments promised to paid orders.
    taken: u64,
    /// About how many events are still to come on orders other than the hot one.
    cold_events_left: f64,
}

impl Budget {
    /// Whether `streams` more fit.
    fn fits(&self, streams: u64) -> bool {
        self.taken + streams <= self.most
    }

    /// How many shopping events a new order has, drawn around the mean that spends the
    /// events still to come on the streams still to make. An order makes about 2.6 streams
    /// (itself, most of the time a payment and a shipment) and 3 events besides its shopping.
    fn shopping(&self, rng: &mut Rng) -> u64 {
        let streams_left = self.most.saturating_sub(self.taken).max(1) as f64;
        let mean = (self.cold_events_left / streams_left * 2.6 - 3.0).max(0.0);
        #[allow(clippy::cast_sign_loss)] // not negative
        rng.below((2.0 * mean).round() as u64 + 1)
    }
}

impl Generator {
    fn new_order(&mut self, endless: bool) -> Order {
        let number = 1000 + self.orders;
        self.orders += 1;
        let shopping_left = match &mut self.budget {
            Some(budget) => {
                budget.taken += 1;
                budget.shopping(&mut self.rng)
            }
            None => 3 + self.rng.below(30),
        };
        Order {
            number,
            seq: 0,
            items: BTreeMap::new(),
            discount_percent: 0,
            phase: Phase::Shopping,
            shopping_left,
            endless,
            last_time_ms: 0,
            checkout: None,
        }
    }

    /// An open order (removed from the open set), or a new one while fewer than
    /// `CONCURRENT_ORDERS` are open and the budget of streams allows. `None` when there is
    /// neither.
    fn pick_open_order(&mut self) -> Option<Order> {
        let may_open = self.budget.as_ref().is_none_or(|budget| budget.fits(1));
        if may_open
            && self.open.len() < CONCURRENT_ORDERS
            && (self.open.is_empty() || self.rng.chance(30))
        {
            return Some(self.new_order(false));
        }
        if self.open.is_empty() {
            return None;
        }
        let at = self.rng.below(self.open.len() as u64) as usize;
        Some(self.open.swap_remove(at))
    }

    /// Whether the order may check out: its payment and shipment streams fit in the budget.
    /// Takes them from it if so.
    fn may_check_out(&mut self) -> bool {
        match &mut self.budget {
            Some(budget) if budget.fits(2) => {
                budget.taken += 2;
                true
            }
            Some(_) => false,
            None => true,
        }
    }

    fn next_event(&mut self, order: &mut Order) -> (&'static str, Value) {
        if order.seq == 0 {
            return ("OrderPlaced", self.placed(order));
        }
        match order.phase {
            // Checking out takes its streams from the budget (the last condition).
            Phase::Shopping
                if order.shopping_left > 0
                    || order.endless
                    || order.items.is_empty()
                    || !self.may_check_out() =>
            {
                order.shopping_left = order.shopping_left.saturating_sub(1);
                self.shopping_event(order)
            }
            Phase::Shopping if self.rng.chance(12) => {
                order.phase = Phase::Closed;
                let reason = *self.rng.pick(&[
                    "customer changed their mind",
                    "payment declined",
                    "out of stock",
                    "duplicate order",
                ]);
                // Of the streams taken for the checkout, a declined payment makes only the
                // payment's, and any other cancellation none.
                if let Some(budget) = &mut self.budget {
                    budget.taken -= if reason == "payment declined" { 1 } else { 2 };
                }
                (
                    "OrderCancelled",
                    json!({"status": "cancelled", "cancellation": {"reason": reason}}),
                )
            }
            Phase::Shopping => {
                order.phase = Phase::Paid;
                let method = *self.rng.pick(&["card", "paypal", "invoice", "twint"]);
                let reference = format!("PAY-{:010}", self.rng.below(10_000_000_000));
                (
                    "PaymentReceived",
                    json!({"status": "paid", "payment": {"method": method, "amount": money(order.total_cents()), "reference": reference}}),
                )
            }
            Phase::Paid => {
                order.phase = if self.rng.chance(10) {
                    Phase::Shipped
                } else {
                    Phase::Closed
                };
                let carrier =
                    *self
                        .rng
                        .pick(&["DHL", "PostNord", "Correios", "Yamato", "Canada Post"]);
                let tracking = format!("JD{:012}", self.rng.below(1_000_000_000_000));
                (
                    "OrderShipped",
                    json!({"status": "shipped", "shipment": {"carrier": carrier, "tracking": tracking}}),
                )
            }
            Phase::Shipped | Phase::Closed => {
                order.phase = Phase::Closed;
                let reason = *self
                    .rng
                    .pick(&["damaged in transit", "wrong item", "late delivery"]);
                (
                    "RefundIssued",
                    json!({"status": "refunded", "refund": {"amount": money(order.total_cents()), "reason": reason}}),
                )
            }
        }
    }

    fn placed(&mut self, order: &Order) -> Value {
        let name = *self.rng.pick(&NAMES);
        let email = format!("customer{}@example.com", self.rng.below(100_000));
        json!({
            "order_no": order.number - 1000 + ORDER_NO_BASE,
            "status": "placed",
            "customer": {"name": name, "email": email},
            "shipping_address": self.address(),
            "currency": "EUR",
            "items": {},
            "total": money(0),
        })
    }

    fn shopping_event(&mut self, order: &mut Order) -> (&'static str, Value) {
        let roll = self.rng.below(100);
        let count = order.items.len();
        if roll < 50 || count == 0 {
            let sku = self.rng.below(PRODUCTS.len() as u64) as usize;
            if let Some(&qty) = order.items.get(&sku) {
                return Self::quantity_changed(order, sku, qty + 1);
            }
            let qty = 1 + self.rng.below(3);
            order.items.insert(sku, qty);
            let (code, name, price) = PRODUCTS[sku];
            let item = json!({"name": name, "qty": qty, "unit_price": money(price)});
            return (
                "ItemAdded",
                json!({"items": {code: item}, "total": money(order.total_cents())}),
            );
        }
        let sku = *order
            .items
            .keys()
            .nth(self.rng.below(count as u64) as usize)
            .unwrap_or(&0);
        match roll {
            50..=64 if count > 1 => {
                order.items.remove(&sku);
                (
                    "ItemRemoved",
                    json!({"items": {PRODUCTS[sku].0: null}, "total": money(order.total_cents())}),
                )
            }
            50..=84 => {
                let qty = 1 + self.rng.below(8);
                Self::quantity_changed(order, sku, qty)
            }
            85..=92 => ("AddressChanged", self.address_change()),
            _ => {
                let (code, percent) = *self.rng.pick(&DISCOUNTS);
                order.discount_percent = percent;
                (
                    "DiscountApplied",
                    json!({"discount": {"code": code, "percent": percent}, "total": money(order.total_cents())}),
                )
            }
        }
    }

    fn quantity_changed(order: &mut Order, sku: usize, qty: u64) -> (&'static str, Value) {
        order.items.insert(sku, qty);
        (
            "QuantityChanged",
            json!({"items": {PRODUCTS[sku].0: {"qty": qty}}, "total": money(order.total_cents())}),
        )
    }

    fn address(&mut self) -> Value {
        let (city, postcode) = *self.rng.pick(&CITIES);
        json!({"street": self.rng.pick(&STREETS), "city": city, "postcode": postcode})
    }

    fn address_change(&mut self) -> Value {
        json!({"shipping_address": self.address()})
    }

    /// The order's next event: its id, and (unless lean) where it came from and the
    /// command's own correlation id.
    fn order_event(&mut self, order: &mut Order, kind: &'static str, data: Value) -> Event {
        order.seq += 1;
        let id = if self.lean {
            format!("{:016x}", self.rng.next())
        } else {
            self.rng.uuid()
        };
        self.ids.push(id.clone());
        if self.ids.len() > 64 {
            self.ids.remove(0);
        }
        let meta = (!self.lean).then(|| Meta {
            source: self.rng.pick::<&str>(&SOURCES),
            correlation: self.rng.correlation(),
            causation: None,
        });
        Event {
            stream: order.stream(),
            seq: order.seq,
            kind,
            id,
            data,
            meta,
        }
    }

    /// Ties the order's `event` into its checkout: the payment and shipment events that
    /// caused it and those it causes, and its own correlation and causation ids.
    fn step(&mut self, order: &mut Order, event: &mut Event) -> Step {
        let mut step = Step::default();
        let cause = match event.kind {
            "PaymentReceived" => self.payment_received(order, event, &mut step),
            "OrderCancelled" if event.data["cancellation"]["reason"] == "payment declined" => {
                self.payment_declined(order, event, &mut step)
            }
            "OrderShipped" | "RefundIssued" => {
                let Some(cause) = self.after_payment(order, event, &mut step) else {
                    return step;
                };
                cause
            }
            _ => return step,
        };
        if let (Some(meta), Some(checkout)) = (&mut event.meta, &order.checkout) {
            meta.correlation.clone_from(&checkout.correlation);
            meta.causation = Some(cause);
        }
        step
    }

    /// A payment opens a checkout: the payment stream's authorization causes the order's
    /// `PaymentReceived`. Returns the id of that cause.
    fn payment_received(&mut self, order: &mut Order, event: &Event, step: &mut Step) -> String {
        let payment = &event.data["payment"];
        let data = json!({"order": event.stream, "status": "authorized", "method": payment["method"], "amount": payment["amount"], "reference": payment["reference"]});
        let (checkout, authorized) = self.authorize(order, &event.id, data);
        let cause = authorized.id.clone();
        step.causes.push(authorized);
        order.checkout = Some(checkout);
        cause
    }

    /// A new checkout for the order event `order_event`, opened by its payment's
    /// `PaymentAuthorized` with `data`.
    fn authorize(
        &mut self,
        order: &mut Order,
        order_event: &str,
        data: Value,
    ) -> (Checkout, Event) {
        let mut checkout = self.checkout(order_event);
        let authorized = self.beside(
            order,
            &mut checkout,
            Beside::Payment,
            "PaymentAuthorized",
            data,
            None,
        );
        (checkout, authorized)
    }

    /// A declined payment: authorized, then failed (which cancels the order), then the
    /// authorization released because of the cancellation.
    fn payment_declined(&mut self, order: &mut Order, event: &Event, step: &mut Step) -> String {
        let amount = money(order.total_cents());
        let data = json!({"order": event.stream, "status": "authorized", "amount": amount});
        let (mut checkout, authorized) = self.authorize(order, &event.id, data);
        let failed = self.beside(
            order,
            &mut checkout,
            Beside::Payment,
            "PaymentFailed",
            json!({"status": "failed", "reason": "capture declined by the issuer"}),
            Some(&authorized.id),
        );
        let refunded = self.beside(
            order,
            &mut checkout,
            Beside::Payment,
            "PaymentRefunded",
            json!({"status": "refunded", "refunded": amount, "reason": "authorization released"}),
            Some(&event.id),
        );
        let cause = failed.id.clone();
        step.causes.extend([authorized, failed]);
        step.effects.push(refunded);
        order.checkout = Some(checkout);
        cause
    }

    /// Shipping or refunding a paid order: the shipment stream's dispatch (or return)
    /// causes it, and a refund releases the payment after it. `None` when the order has
    /// no checkout to continue.
    fn after_payment(
        &mut self,
        order: &mut Order,
        event: &Event,
        step: &mut Step,
    ) -> Option<String> {
        let mut checkout = order.checkout.take()?;
        let before = checkout.last_order_event.clone();
        let caused = if event.kind == "OrderShipped" {
            let shipment = &event.data["shipment"];
            let data = json!({"order": event.stream, "status": "dispatched", "carrier": shipment["carrier"], "tracking": shipment["tracking"]});
            self.beside(
                order,
                &mut checkout,
                Beside::Shipment,
                "ShipmentDispatched",
                data,
                Some(&before),
            )
        } else {
            let refund = &event.data["refund"];
            let returned = self.beside(
                order,
                &mut checkout,
                Beside::Shipment,
                "ShipmentReturned",
                json!({"status": "returned", "reason": refund["reason"]}),
                Some(&before),
            );
            let data = json!({"status": "refunded", "refunded": refund["amount"], "reason": "order refunded"});
            let refunded = self.beside(
                order,
                &mut checkout,
                Beside::Payment,
                "PaymentRefunded",
                data,
                Some(&event.id),
            );
            step.effects.push(refunded);
            returned
        };
        let cause = caused.id.clone();
        step.causes.push(caused);
        checkout.last_order_event.clone_from(&event.id);
        order.checkout = Some(checkout);
        Some(cause)
    }

    /// A new checkout transaction, whose latest order event is `order_event`.
    fn checkout(&mut self, order_event: &str) -> Checkout {
        Checkout {
            correlation: self.links.correlation(),
            last_order_event: order_event.to_owned(),
            payment_seq: 0,
            shipment_seq: 0,
        }
    }

    /// The next event of the order's payment or shipment stream, in its checkout.
    fn beside(
        &mut self,
        order: &Order,
        checkout: &mut Checkout,
        on: Beside,
        kind: &'static str,
        data: Value,
        cause: Option<&str>,
    ) -> Event {
        let (prefix, seq, source) = match on {
            Beside::Payment => ("payment", &mut checkout.payment_seq, "payments"),
            Beside::Shipment => ("shipment", &mut checkout.shipment_seq, "warehouse"),
        };
        if *seq == 0 {
            match on {
                Beside::Payment => self.payments += 1,
                Beside::Shipment => self.shipments += 1,
            }
        }
        *seq += 1;
        let id = if self.lean {
            format!("{:016x}", self.links.next())
        } else {
            self.links.uuid()
        };
        Event {
            stream: format!("{prefix}-{}", order.number),
            seq: *seq,
            kind,
            id,
            data,
            meta: (!self.lean).then(|| Meta {
                source,
                correlation: checkout.correlation.clone(),
                causation: cause.map(str::to_owned),
            }),
        }
    }

    /// The same event written again by a retry: a new seq would be wrong, so the retry keeps
    /// its line but reuses an earlier event's id.
    fn reuse_id(&self, event: &mut Event) {
        if let Some(old) = self.ids.first().filter(|old| **old != event.id) {
            event.id.clone_from(old);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(spec: &SampleSpec) -> String {
        let mut out = Vec::new();
        write_orders(spec, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn same_seed_same_bytes() {
        let spec = SampleSpec {
            events: 300,
            ..SampleSpec::default()
        };
        assert_eq!(generate(&spec), generate(&spec));
        assert_ne!(generate(&spec), generate(&SampleSpec { seed: 7, ..spec }));
    }

    #[test]
    fn hot_share_sends_events_to_one_order() {
        let text = generate(&SampleSpec {
            events: 3000,
            hot_share: 0.33,
            ..SampleSpec::default()
        });
        let hot = text
            .lines()
            .filter(|l| l.contains(r#""stream":"order-1000""#))
            .count();
        assert!((900..=1100).contains(&hot), "{hot} hot events");
    }

    /// Every event's links, by id: (store position, stream, type, correlation, causation).
    fn links(text: &str) -> Vec<(String, String, String, String, Option<String>)> {
        text.lines()
            .map(|line| {
                let event: Value = serde_json::from_str(line).unwrap();
                let text = |v: &Value| v.as_str().unwrap().to_owned();
                (
                    text(&event["id"]),
                    text(&event["stream"]),
                    text(&event["type"]),
                    text(&event["meta"]["correlationId"]),
                    event["meta"]["causationId"].as_str().map(str::to_owned),
                )
            })
            .collect()
    }

    #[test]
    fn checkouts_cross_streams_with_causes_that_hold() {
        let text = generate(&SampleSpec {
            events: 6000,
            ..SampleSpec::default()
        });
        let events = links(&text);
        let by_id: std::collections::HashMap<&str, usize> = events
            .iter()
            .enumerate()
            .map(|(at, e)| (e.0.as_str(), at))
            .collect();
        assert_eq!(
            by_id.len(),
            events.len(),
            "ids are unique without anomalies"
        );
        let mut chains = std::collections::BTreeSet::new();
        for (at, (_, stream, kind, correlation, cause)) in events.iter().enumerate() {
            let Some(cause) = cause else { continue };
            let &before = by_id.get(cause.as_str()).expect("a cause in the store");
            assert!(before < at, "{stream} {kind}: its cause comes first");
            assert_eq!(&events[before].3, correlation, "one transaction");
            let prefix = |s: &str| s.split('-').next().unwrap().to_owned();
            chains.insert(format!(
                "{} {} -> {} {}",
                prefix(&events[before].1),
                events[before].2,
                prefix(stream),
                kind
            ));
        }
        let expected = [
            "order OrderCancelled -> payment PaymentRefunded",
            "order OrderShipped -> shipment ShipmentReturned",
            "order PaymentReceived -> shipment ShipmentDispatched",
            "order RefundIssued -> payment PaymentRefunded",
            "payment PaymentAuthorized -> order PaymentReceived",
            "payment PaymentAuthorized -> payment PaymentFailed",
            "payment PaymentFailed -> order OrderCancelled",
            "shipment ShipmentDispatched -> order OrderShipped",
            "shipment ShipmentReturned -> order RefundIssued",
        ];
        assert_eq!(chains.iter().collect::<Vec<_>>(), expected);
        // Payment 1042 belongs to order 1042.
        let payment = text
            .lines()
            .find(|l| l.contains(r#""stream":"payment-"#))
            .unwrap();
        let payment: Value = serde_json::from_str(payment).unwrap();
        let order = payment["data"]["order"].as_str().unwrap();
        assert_eq!(
            payment["stream"]
                .as_str()
                .unwrap()
                .replace("payment", "order"),
            order
        );
    }

    /// The streams of a generated store.
    fn streams(text: &str) -> std::collections::HashSet<String> {
        text.lines()
            .map(|line| {
                let event: Value = serde_json::from_str(line).unwrap();
                event["stream"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    #[test]
    fn a_budget_of_streams_comes_out_close_to_it_and_never_above() {
        for (events, hot_share, most) in
            [(20_000, 0.0, 4000), (20_000, 0.5, 3000), (20_000, 0.0, 500)]
        {
            let text = generate(&SampleSpec {
                events,
                hot_share,
                streams: Some(most),
                ..SampleSpec::default()
            });
            assert_eq!(text.lines().count() as u64, events);
            let made = streams(&text).len() as u64;
            assert!(made <= most, "{made} streams of at most {most}");
            assert!(made * 100 >= most * 95, "{made} streams, close to {most}");
        }
        // Without a budget, about 8 events a stream.
        let natural = streams(&generate(&SampleSpec {
            events: 20_000,
            ..SampleSpec::default()
        }));
        assert!((2000..3000).contains(&natural.len()), "{}", natural.len());
    }

    #[test]
    fn a_budget_of_one_stream_is_one_endless_order() {
        let text = generate(&SampleSpec {
            events: 200,
            streams: Some(1),
            ..SampleSpec::default()
        });
        assert_eq!(text.lines().count(), 200);
        assert_eq!(
            streams(&text).into_iter().collect::<Vec<_>>(),
            ["order-1000"]
        );
    }

    #[test]
    fn lean_events_have_no_meta() {
        let text = generate(&SampleSpec {
            events: 2000,
            lean: true,
            ..SampleSpec::default()
        });
        assert!(!text.contains(r#""meta""#));
        assert!(text.contains(r#""stream":"payment-"#));
        assert_eq!(text.lines().count(), 2000);
    }

    #[test]
    fn money_is_exact() {
        assert_eq!(money(1999).to_string(), "19.99");
        assert_eq!(money(5).to_string(), "0.05");
    }
}
