// An order summary for the bundled sample store (assets/orders.jsonl), in KurrentDB's
// projection syntax: the same file runs in KurrentDB and in eventlens.
//
//   eventlens state assets/orders.jsonl --stream order-1042 --projection assets/order-summary.js
//   eventlens check assets/orders.jsonl --projection assets/order-summary.js
//
// Besides what the order holds, it recomputes the total from the lines (in cents, so that
// 19.99 * 3 is 59.97) and says whether the total the events state agrees with it.

const cents = (amount) => Math.round(amount * 100);

function recount(s) {
  let gross = 0;
  let units = 0;
  for (const line of Object.values(s.lines)) {
  gross += line.qty * cents(line.unitPrice);
  units += line.qty;
  }
  s.units = units;
  s.computedTotal = Math.floor((gross * (100 - s.discountPercent) + 50) / 100) / 100;
  s.totalsAgree = cents(s.computedTotal) === cents(s.statedTotal);
}

const handlers = {
  $init: () => ({
    status: 'new',
    customer: null,
    city: null,
    lines: {},
    units: 0,
    discountPercent: 0,
    statedTotal: 0,
    computedTotal: 0,
    totalsAgree: true,
    paid: 0,
    refunded: 0,
    handled: 0,
  }),

  OrderPlaced: (s, e) => {
    s.status = e.data.status;
    s.customer = e.data.customer.name;
    s.city = e.data.shipping_address.city;
    s.currency = e.data.currency;
  },

  ItemAdded: (s, e) => {
    for (const [sku, line] of Object.entries(e.data.items)) {
      s.lines[sku] = { name: line.name, qty: line.qty, unitPrice: line.unit_price };
    }
  },

  QuantityChanged: (s, e) => {
    for (const [sku, line] of Object.entries(e.data.items)) {
      s.lines[sku].qty = line.qty;
    }
  },

  ItemRemoved: (s, e) => {
    for (const sku of Object.keys(e.data.items)) {
      delete s.lines[sku];
    }
  },

  DiscountApplied: (s, e) => {
    s.discountPercent = e.data.discount.percent;
  },

  AddressChanged: (s, e) => {
    s.city = e.data.shipping_address.city;
  },

  PaymentReceived: (s, e) => {
    s.status = 'paid';
    s.paid = (cents(s.paid) + cents(e.data.payment.amount)) / 100;
  },

  OrderShipped: (s, e) => {
    s.status = 'shipped';
    s.carrier = e.data.shipment.carrier;
  },

  RefundIssued: (s, e) => {
    s.status = 'refunded';
    s.refunded = (cents(s.refunded) + cents(e.data.refund.amount)) / 100;
  },

  // Every type without a handler of its own.
  $any: (s, e) => {
    s.lastUnhandled = e.eventType;
  },
};

// After each handler: the total the event states, and the recount.
const summarized = {};
for (const [type, handler] of Object.entries(handlers)) {
  summarized[type] = type === '$init' ? handler : (s, e) => {
  handler(s, e);
  if (e.data.total !== undefined) s.statedTotal = e.data.total;
  s.handled += 1;
  recount(s);
  };
}

fromCategory('order').foreachStream().when(summarized);
