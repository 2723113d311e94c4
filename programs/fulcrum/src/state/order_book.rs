use anchor_lang::prelude::*;

/// Order slots per margin account: an account's orders are bounded, so filling them griefs only
/// the account itself (and each one escrows its fee).
pub const MAX_ORDERS: usize = 32;

/// What an order does (`Order::kind`).
/// Stored as its declaration index (`kind as u8`): 0 Market, 1 Limit, 2 StopLoss, 3 TakeProfit.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderKind {
    /// Delayed market order: filled at the first price published after it was placed.
    Market,
    /// Fills when the fill price is at or better than `trigger_price` (the limit price).
    Limit,
    /// A Sell fires when oracle ≤ trigger (a long's stop), a Buy when oracle ≥ trigger.
    StopLoss,
    /// A Sell fires when oracle ≥ trigger (a long's take-profit), a Buy when oracle ≤ trigger.
    TakeProfit,
}

impl OrderKind {
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::Market),
            1 => Some(Self::Limit),
            2 => Some(Self::StopLoss),
            3 => Some(Self::TakeProfit),
            _ => None,
        }
    }

    /// Stop-loss and take-profit: fire on the oracle price, within the trigger band of the EMA.
    pub fn is_trigger(self) -> bool {
        matches!(self, Self::StopLoss | Self::TakeProfit)
    }
}

/// Why an order was cancelled (`OrderCancelled::reason`).
pub mod cancel_reason {
    /// The owner or delegate cancelled it.
    pub const USER: u8 = 0;
    /// Past its `max_ts` (at execution, or cleaned up by anyone).
    pub const EXPIRED: u8 = 1;
    /// The fill would have broken initial margin (or the account was in margin call).
    pub const MARGIN: u8 = 2;
    /// Reduce-only with no position on the other side to reduce (none, or it flipped).
    pub const REDUCE_ONLY: u8 = 3;
    /// A delayed market order whose first newer price was beyond its slippage bound.
    pub const SLIPPAGE: u8 = 4;
    /// A risk-increasing order of an account being liquidated.
    pub const LIQUIDATION: u8 = 5;
}

/// One resting order. Free when `order_id == 0`.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Order {
    /// Unique within the book, from `next_order_id`; 0: an empty slot.
    pub order_id: u64,
    /// The trader's own id (not checked).
    pub client_id: u64,
    pub market_index: u16,
    /// [`OrderKind`] as u8.
    pub kind: u8,
    /// `Side` as u8: 0 Buy, 1 Sell.
    pub side: u8,
    pub reduce_only: u8,
    /// 1: a reduce-only trigger for the whole position at execution (`base_size` 0).
    pub whole_position: u8,
    pub _pad: [u8; 2],
    /// Base native units, a multiple of the market's step (0 with `whole_position`).
    pub base_size: u64,
    /// Limit: the limit price; StopLoss / TakeProfit: the trigger; Market: 0 (engine units).
    pub trigger_price: u64,
    /// Worst fill price (slippage bound), engine units; 0: none.
    pub limit_price: u64,
    pub placed_slot: u64,
    /// Only prices published strictly after this may fill the order (unix seconds: the later of
    /// the clock and the market's last observed publish time at placement or modification).
    pub placed_ts: i64,
    /// Expiry, unix seconds (0: none): the order is live while `now <= max_ts`.
    pub max_ts: i64,
    /// Lamports escrowed in the book for whoever executes (or cleans up) the order.
    pub fee: u64,
}

impl Order {
    pub fn is_open(&self) -> bool {
        self.order_id != 0
    }

    pub fn is_buy(&self) -> bool {
        self.side == 0
    }

    pub fn kind(&self) -> Option<OrderKind> {
        OrderKind::from_u8(self.kind)
    }

    /// Whether the order has expired at `now`.
    pub fn expired(&self, now: i64) -> bool {
        self.max_ts != 0 && now > self.max_ts
    }

    /// Whether a trigger order's condition holds at oracle price `oracle` (true for the others:
    /// a Market order has none; a Limit's is on the fill price).
    pub fn triggered(&self, oracle: u64) -> bool {
        let up = oracle >= self.trigger_price;
        let down = oracle <= self.trigger_price;
        match (self.kind(), self.is_buy()) {
            (Some(OrderKind::StopLoss), false) | (Some(OrderKind::TakeProfit), true) => down,
            (Some(OrderKind::StopLoss), true) | (Some(OrderKind::TakeProfit), false) => up,
            _ => true,
        }
    }
}

/// A margin account's resting orders (PDA `[ORDERS, margin_account]`), created on demand and
/// closed by the owner. Holds the orders' execution fees in lamports above its rent:
/// `lamports == rent_exempt(SIZE) + escrowed_fees` and `escrowed_fees == Σ open orders' fee`.
#[account(zero_copy)]
#[derive(Debug)]
#[repr(C)]
pub struct OrderBook {
    pub exchange: Pubkey,
    pub margin_account: Pubkey,
    /// The next order's id: starts at 1, never reused.
    pub next_order_id: u64,
    /// Lamports held for open orders (Σ their `fee`).
    pub escrowed_fees: u64,
    pub open_count: u8,
    pub bump: u8,
    pub _pad: [u8; 6],
    pub reserved: [u8; 64],
    pub orders: [Order; MAX_ORDERS],
}
const _: () = assert!(core::mem::size_of::<Order>() == 80);
const _: () = assert!(core::mem::size_of::<OrderBook>() == 2712);

impl OrderBook {
    pub const SIZE: usize = 8 + core::mem::size_of::<OrderBook>();

    /// Slot index of open order `order_id`.
    pub fn find(&self, order_id: u64) -> Option<usize> {
        if order_id == 0 {
            return None;
        }
        self.orders.iter().position(|o| o.order_id == order_id)
    }

    /// Index of an empty slot.
    pub fn free_slot(&self) -> Option<usize> {
        self.orders.iter().position(|o| !o.is_open())
    }

    /// Empties slot `i` and releases its fee from the escrow: the lamports to pay out.
    pub fn remove(&mut self, i: usize) -> Option<u64> {
        let fee = self.orders.get(i)?.fee;
        self.escrowed_fees = self.escrowed_fees.checked_sub(fee)?;
        self.open_count = self.open_count.checked_sub(1)?;
        self.orders[i] = Order::default();
        Some(fee)
    }

    /// Σ open orders' fee (the escrow invariant).
    pub fn open_fees(&self) -> u64 {
        self.orders.iter().filter(|o| o.is_open()).fold(0u64, |s, o| s.saturating_add(o.fee))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(kind: OrderKind, buy: bool, trigger: u64) -> Order {
        Order { order_id: 1, kind: kind as u8, side: u8::from(!buy), trigger_price: trigger, ..Order::default() }
    }

    #[test]
    fn trigger_directions() {
        // A long's stop (sell) fires at or below, its take-profit (sell) at or above.
        assert!(order(OrderKind::StopLoss, false, 100).triggered(100));
        assert!(order(OrderKind::StopLoss, false, 100).triggered(99));
        assert!(!order(OrderKind::StopLoss, false, 100).triggered(101));
        assert!(order(OrderKind::TakeProfit, false, 100).triggered(101));
        assert!(!order(OrderKind::TakeProfit, false, 100).triggered(99));
        // A short's the other way.
        assert!(order(OrderKind::StopLoss, true, 100).triggered(101));
        assert!(!order(OrderKind::StopLoss, true, 100).triggered(99));
        assert!(order(OrderKind::TakeProfit, true, 100).triggered(99));
        assert!(!order(OrderKind::TakeProfit, true, 100).triggered(101));
    }

    #[test]
    fn remove_releases_fee() {
        let mut book: OrderBook = bytemuck::Zeroable::zeroed();
        book.orders[3] = Order { order_id: 7, fee: 5, ..Order::default() };
        book.escrowed_fees = 5;
        book.open_count = 1;
        assert_eq!(book.find(7), Some(3));
        assert_eq!(book.find(0), None);
        assert_eq!(book.remove(3), Some(5));
        assert_eq!((book.escrowed_fees, book.open_count, book.find(7)), (0, 0, None));
        assert_eq!(book.open_fees(), 0);
    }
}
