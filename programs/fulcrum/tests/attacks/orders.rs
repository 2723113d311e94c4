//! Orders (issue 16): keepers execute other people's orders, so every input of `execute_order`
//! is the attacker's choice (which price, which accounts, when), and the order book holds
//! lamports. The rows: a price not newer than placement (the one the trader saw) or older than
//! observed, a reduce-only trigger after the position flipped, draining the fee escrow,
//! filling the slots, a modification taking a price already seen, substituted markets and
//! books, and dust or malformed orders. Each refusal changes nothing (books included) and the
//! escrow invariant holds after every step.

#[path = "../program/orders_kit.rs"]
pub mod kit;

use anchor_lang::{InstructionData, ToAccountMetas};
use fulcrum::events::{OrderCancelled, TradeEvent};
use fulcrum::instructions::{OrderParams, Side};
use fulcrum::state::{cancel_reason, OrderKind, MAX_ORDERS};
use solana_sdk::{
    instruction::Instruction,
    signature::{Keypair, Signer},
};

use crate::harness::*;
use crate::World;
use kit::*;

const FEE: u64 = 1_000_000;

fn usd(dollars: i64) -> u64 {
    engine_price(px(dollars), 9)
}

/// The world with an order book for the victim and the attacker.
async fn world() -> World {
    let mut w = World::new().await;
    let (v, a) = (w.victim.kp.insecure_clone(), w.attacker.kp.insecure_clone());
    let ix = create_book_ix(&w.h, &w.victim);
    w.h.send(&[ix], &[&v]).await.unwrap();
    let ix = create_book_ix(&w.h, &w.attacker);
    w.h.send(&[ix], &[&a]).await.unwrap();
    w
}

/// As `World::rejected`, the two order books and the attacker's wallet included, and the escrow
/// invariant after.
async fn refused(w: &mut World, ixs: &[Instruction], signers: &[&Keypair], e: FulcrumError) {
    let mut keys = w.keys();
    keys.extend([book_address(&w.victim.account), book_address(&w.attacker.account), w.attacker.key()]);
    let before = w.h.snapshot(&keys).await;
    assert_error(w.h.send(ixs, signers).await, e);
    assert_eq!(w.h.snapshot(&keys).await, before, "state changed by a rejected {e:?}");
    w.h.assert_conservation().await;
    let (v, a) = (w.victim.account, w.attacker.account);
    assert_escrow(&mut w.h, &v).await;
    assert_escrow(&mut w.h, &a).await;
}

async fn position(h: &mut Harness, account: &solana_sdk::pubkey::Pubkey) -> i64 {
    let a = h.margin(account).await;
    a.find_perp(0).map_or(0, |i| a.perps[i].base)
}

#[tokio::test]
async fn an_order_never_fills_at_a_price_published_at_placement_or_older_than_observed() {
    let mut w = world().await;
    let keeper = w.attacker.kp.insecure_clone();
    let v = w.victim.account;
    // The trader sees $100 published now and places a delayed market buy: the keeper (or the
    // trader as keeper) may not fill it at that price, even seconds later.
    let id = place(&mut w.h, &w.victim, 0, order(OrderKind::Market, Side::Buy, SOL, 0)).await.unwrap();
    let placed = open_order(&mut w.h, &v, id).await.unwrap().placed_ts;
    let ix = execute_ix(&mut w.h, &keeper.pubkey(), &v, id).await;
    refused(&mut w, &[ix], &[&keeper], FulcrumError::OrderPriceNotNewer).await;
    w.h.advance(2).await;
    let ix = execute_ix(&mut w.h, &keeper.pubkey(), &v, id).await;
    refused(&mut w, &[ix], &[&keeper], FulcrumError::OrderPriceNotNewer).await;
    // $101 published at placement + 2 s is observed by a trade; then the keeper writes back an
    // update from placement + 1 s ($95, newer than the order but older than what the market saw).
    w.h.set_market_price(0, px(101)).await;
    w.h.trade(&w.attacker, 0, Side::Buy, SOL).await.unwrap();
    let o = w.h.markets[0].oracle;
    w.h.set_oracle(&o, Quote { age: 1, ..Quote::at(px(95)) }).await;
    let ix = execute_ix(&mut w.h, &keeper.pubkey(), &v, id).await;
    refused(&mut w, &[ix], &[&keeper], FulcrumError::OracleOlderThanObserved).await;
    // The next price fills it, at that price, and the keeper earns exactly the fee.
    w.h.advance(1).await;
    w.h.set_market_price(0, px(102)).await;
    let paid = lamports(&mut w.h, &keeper.pubkey()).await;
    let ix = execute_ix(&mut w.h, &keeper.pubkey(), &v, id).await;
    let logs = w.h.send_logged(&[ix], &[&keeper]).await.unwrap();
    let tr = events::<TradeEvent>(&logs);
    assert_eq!((tr[0].price, tr[0].oracle_price), (usd(102), usd(102)));
    assert!(w.h.now().await > placed);
    assert_eq!(lamports(&mut w.h, &keeper.pubkey()).await, paid + FEE);
    // A limit order waiting past the oracle's age: a stale price is refused by name.
    let id = place(&mut w.h, &w.victim, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(200))).await.unwrap();
    w.h.advance(61).await;
    let ix = execute_ix(&mut w.h, &keeper.pubkey(), &v, id).await;
    refused(&mut w, &[ix], &[&keeper], FulcrumError::OracleStale).await;
    assert_escrow(&mut w.h, &v).await;
}

#[tokio::test]
async fn a_reduce_only_trigger_after_the_position_flipped_is_cancelled_not_filled() {
    let mut w = world().await;
    let keeper = w.attacker.kp.insecure_clone();
    let v = w.victim.account;
    // The victim's long (10 SOL) gets a stop; then the victim closes and goes 5 SOL short.
    let id = place(&mut w.h, &w.victim, 0, whole(OrderKind::StopLoss, Side::Sell, usd(95))).await.unwrap();
    let fixed = OrderParams { reduce_only: true, ..order(OrderKind::StopLoss, Side::Sell, 10 * SOL, usd(95)) };
    let id2 = place(&mut w.h, &w.victim, 0, fixed).await.unwrap();
    w.h.close(&w.victim, 0).await.unwrap();
    w.h.trade(&w.victim, 0, Side::Sell, 5 * SOL).await.unwrap();
    w.h.advance(1).await;
    w.h.set_market_price(0, px(90)).await;
    // Both stops' conditions hold ($90 ≤ $95): a sell now would grow the short to 15 or 20 SOL.
    for o in [id, id2] {
        let ix = execute_ix(&mut w.h, &keeper.pubkey(), &v, o).await;
        let logs = w.h.send_logged(&[ix], &[&keeper]).await.unwrap();
        let c = events::<OrderCancelled>(&logs);
        assert_eq!((c.len(), c[0].reason), (1, cancel_reason::REDUCE_ONLY), "{logs:#?}");
        assert!(events::<TradeEvent>(&logs).is_empty());
    }
    assert_eq!(position(&mut w.h, &v).await, -5 * SOL as i64);
    assert_escrow(&mut w.h, &v).await;
    w.h.assert_conservation().await;
}

#[tokio::test]
async fn the_fee_escrow_cannot_be_drained() {
    let mut w = world().await;
    let atk = w.attacker.kp.insecure_clone();
    let (v, a) = (w.victim.account, w.attacker.account);
    let id = place(&mut w.h, &w.victim, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(50))).await.unwrap();
    let start = lamports(&mut w.h, &atk.pubkey()).await;
    // Cancel the victim's order, refund to the attacker, or to the victim but signed by the
    // attacker.
    let ix = cancel_ix_by(&atk.pubkey(), &v, &atk.pubkey(), id);
    refused(&mut w, &[ix], &[&atk], FulcrumError::NotAccountOwner).await;
    let ix = cancel_ix_by(&atk.pubkey(), &v, &w.victim.key(), id);
    refused(&mut w, &[ix], &[&atk], FulcrumError::NotAccountOwner).await;
    // Clean it up as expired (it never expires), execute it before its price.
    let ix = cancel_expired_ix(&atk.pubkey(), &v, id);
    refused(&mut w, &[ix], &[&atk], FulcrumError::OrderNotExpired).await;
    w.h.advance(1).await;
    w.h.refresh_oracles().await;
    let ix = execute_ix(&mut w.h, &atk.pubkey(), &v, id).await;
    refused(&mut w, &[ix], &[&atk], FulcrumError::OrderNotTriggered).await;
    // Close the victim's book (its lamports to the attacker).
    let mut ix = close_book_ix(&w.attacker);
    ix.accounts[0].pubkey = v;
    ix.accounts[1].pubkey = book_address(&v);
    refused(&mut w, &[ix], &[&atk], FulcrumError::NotAccountOwner).await;
    // The attacker's own book against the victim's account, and the other way round.
    let mut ix = execute_ix(&mut w.h, &atk.pubkey(), &v, id).await;
    ix.accounts[2].pubkey = book_address(&a);
    refused(&mut w, &[ix], &[&atk], FulcrumError::WrongOrderBook).await;
    let mut ix = cancel_ix(&w.attacker, id);
    ix.accounts[1].pubkey = book_address(&v);
    refused(&mut w, &[ix], &[&atk], FulcrumError::WrongOrderBook).await;
    // The attacker's own order, cancelled twice, executed twice, closed with an order open.
    let mine = place(&mut w.h, &w.attacker, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(50))).await.unwrap();
    let ix = close_book_ix(&w.attacker);
    refused(&mut w, &[ix], &[&atk], FulcrumError::OrdersStillOpen).await;
    w.h.send(&[cancel_ix(&w.attacker, mine)], &[&atk]).await.unwrap();
    let ix = cancel_ix(&w.attacker, mine);
    refused(&mut w, &[ix], &[&atk], FulcrumError::OrderNotFound).await;
    let ix = cancel_all_ix(&w.attacker, None);
    w.h.send(&[ix], &[&atk]).await.unwrap();
    // Order id 0 is an empty slot, never an order.
    let ix = cancel_expired_ix(&atk.pubkey(), &a, 0);
    refused(&mut w, &[ix], &[&atk], FulcrumError::OrderNotFound).await;
    // Net: the attacker paid and got back its own fee; the victim's fee is still escrowed.
    assert_eq!(lamports(&mut w.h, &atk.pubkey()).await, start);
    assert_eq!(book(&mut w.h, &v).await.escrowed_fees, FEE);
    assert_escrow(&mut w.h, &v).await;
    assert_escrow(&mut w.h, &a).await;
}

#[tokio::test]
async fn filling_the_slots_is_bounded_per_account_and_paid_for() {
    let mut w = world().await;
    let atk = w.attacker.kp.insecure_clone();
    let start = lamports(&mut w.h, &atk.pubkey()).await;
    for k in 0..MAX_ORDERS as i64 {
        let p = order(OrderKind::Limit, Side::Buy, SOL, usd(10 + k));
        place(&mut w.h, &w.attacker, 0, p).await.unwrap();
    }
    assert_eq!(lamports(&mut w.h, &atk.pubkey()).await, start - MAX_ORDERS as u64 * FEE);
    let ix = place_ix(&w.h, &w.attacker, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(9)));
    refused(&mut w, &[ix], &[&atk], FulcrumError::OrderBookFull).await;
    // Everyone else is untouched: the victim places as before.
    place(&mut w.h, &w.victim, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(50))).await.unwrap();
    let (v, a) = (w.victim.account, w.attacker.account);
    assert_escrow(&mut w.h, &v).await;
    assert_escrow(&mut w.h, &a).await;
}

#[tokio::test]
async fn a_modification_cannot_take_a_price_already_seen() {
    let mut w = world().await;
    let keeper = w.attacker.kp.insecure_clone();
    let t = w.attacker.account;
    // A small limit buy far below, then the price drops and the attacker sees it.
    let id = place(&mut w.h, &w.attacker, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(50))).await.unwrap();
    w.h.advance(1).await;
    w.h.set_market_price(0, px(90)).await;
    // Modified to 3 SOL at $95: the $90 already published cannot fill it.
    let ix = modify_ix(&w.h, &w.attacker, id, 0, order(OrderKind::Limit, Side::Buy, 3 * SOL, usd(95)));
    w.h.send(&[ix], &[&keeper]).await.unwrap();
    let ix = execute_ix(&mut w.h, &keeper.pubkey(), &t, id).await;
    refused(&mut w, &[ix], &[&keeper], FulcrumError::OrderPriceNotNewer).await;
    assert_eq!(position(&mut w.h, &t).await, 0);
    // And its market is its own.
    let ix = modify_ix(&w.h, &w.attacker, id + 1, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(95)));
    refused(&mut w, &[ix], &[&keeper], FulcrumError::OrderNotFound).await;
}

#[tokio::test]
async fn an_order_executes_only_on_its_own_market() {
    let mut w = world().await;
    w.h.add_market(OracleFormat::Pull, Quote::at(px(100)), default_market_params()).await;
    let keeper = w.attacker.kp.insecure_clone();
    let v = w.victim.account;
    let id = place(&mut w.h, &w.victim, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(200))).await.unwrap();
    w.h.advance(1).await;
    w.h.refresh_oracles().await;
    let acct = w.h.after_trade(&v, 1, SOL as i64).await;
    let ix = execute_ix_on(&w.h, &keeper.pubkey(), &v, id, 1, &acct);
    refused(&mut w, &[ix], &[&keeper], FulcrumError::OrderMarketMismatch).await;
    let ix = modify_ix(&w.h, &w.victim, id, 1, order(OrderKind::Limit, Side::Buy, SOL, usd(200)));
    let vk = w.victim.kp.insecure_clone();
    refused(&mut w, &[ix], &[&vk], FulcrumError::OrderMarketMismatch).await;
}

#[tokio::test]
async fn dust_and_malformed_orders_are_refused_by_name() {
    let mut w = world().await;
    let vk = w.victim.kp.insecure_clone();
    let now = w.h.now().await;
    let bad = [
        // Off the step (1 native unit), and "the whole position" on an order that may grow it.
        (order(OrderKind::Limit, Side::Buy, 1, usd(90)), FulcrumError::InvalidOrderSize),
        (order(OrderKind::StopLoss, Side::Sell, 0, usd(90)), FulcrumError::InvalidOrderSize),
        (
            OrderParams { reduce_only: true, ..order(OrderKind::Limit, Side::Sell, 0, usd(90)) },
            FulcrumError::InvalidOrderSize,
        ),
        // A market order with a trigger, a limit without one, an expiry in the past.
        (order(OrderKind::Market, Side::Buy, SOL, usd(90)), FulcrumError::InvalidOrderParams),
        (order(OrderKind::Limit, Side::Buy, SOL, 0), FulcrumError::InvalidOrderParams),
        (
            OrderParams { max_ts: now, ..order(OrderKind::Limit, Side::Buy, SOL, usd(90)) },
            FulcrumError::InvalidOrderParams,
        ),
    ];
    for (p, e) in bad {
        let ix = place_ix(&w.h, &w.victim, 0, p);
        refused(&mut w, &[ix], &[&vk], e).await;
    }
    // Nobody places for an account that is not theirs.
    let atk = w.attacker.kp.insecure_clone();
    let ix = place_ix_by(&w.h, &atk.pubkey(), &w.victim.account, 0, order(OrderKind::Limit, Side::Buy, SOL, usd(90)));
    refused(&mut w, &[ix], &[&atk], FulcrumError::NotAccountOwner).await;
}

// ---------------------------------------------------------------------- fuzzer operations

/// Fuzz: `t` places an order in `market` (`kind` 0..=3 as `OrderKind`), `steps` of the step
/// size (reduce-only when `steps` is even; a reduce-only trigger for the whole position when
/// also a multiple of 3), the trigger / limit `bps` from the oracle. Creates the book first.
pub async fn fuzz_place(
    h: &mut Harness,
    t: &Trader,
    market: u16,
    kind: u8,
    buy: bool,
    steps: u32,
    bps: i16,
) -> Result<Option<TxResult>, String> {
    if h.account(&book_address(&t.account)).await.is_none() {
        let ix = create_book_ix(h, t);
        h.send(&[ix], &[&t.kp]).await.map_err(|e| format!("create_order_book: {e:?}"))?;
    }
    let m = h.markets[market as usize];
    let data = h.account_data(&m.oracle.key).await;
    let oracle = engine_price(read_quote(&m.oracle, &data).price, m.base_decimals);
    let kind = fulcrum::state::OrderKind::from_u8(kind % 4).ok_or("kind")?;
    let step = h.market(market as usize).await.step_size;
    let reduce_only = steps.is_multiple_of(2);
    let whole = reduce_only && kind.is_trigger() && steps.is_multiple_of(3);
    let trigger = if kind == OrderKind::Market {
        0
    } else {
        (oracle as i128 * (10_000 + i128::from(bps)) / 10_000).max(1) as u64
    };
    let side = if buy { Side::Buy } else { Side::Sell };
    let size = if whole { 0 } else { step * u64::from(steps) };
    let p = OrderParams { reduce_only, ..order(kind, side, size, trigger) };
    let ix = place_ix(h, t, market, p);
    Ok(Some(h.send(&[ix], &[&t.kp]).await))
}

/// The `pick`-th open order of `account` (modulo their number).
async fn pick_order(h: &mut Harness, account: &solana_sdk::pubkey::Pubkey, pick: u8) -> Option<fulcrum::state::Order> {
    h.account(&book_address(account)).await?;
    let open: Vec<_> = book(h, account).await.orders.into_iter().filter(|o| o.order_id != 0).collect();
    (!open.is_empty()).then(|| open[usize::from(pick) % open.len()])
}

/// Fuzz: `t` cancels its `pick`-th open order (all of them when `pick` ≥ 200): the owner gets
/// exactly the fees back.
pub async fn fuzz_cancel(h: &mut Harness, t: &Trader, pick: u8) -> Result<Option<TxResult>, String> {
    let Some(o) = pick_order(h, &t.account, pick).await else {
        return Ok(None);
    };
    let fees = if pick >= 200 { book(h, &t.account).await.escrowed_fees } else { o.fee };
    let ix = if pick >= 200 { cancel_all_ix(t, None) } else { cancel_ix(t, o.order_id) };
    let before = lamports(h, &t.key()).await;
    let r = h.send(&[ix], &[&t.kp]).await;
    let got = lamports(h, &t.key()).await - before;
    if r.is_ok() && got != fees {
        return Err(format!("cancel refunded {got} lamports, escrowed {fees}"));
    }
    Ok(Some(r))
}

/// Fuzz: the keeper executes `t`'s `pick`-th open order. Invariants: a fill is at a price
/// published after the order was placed; the keeper earns exactly the order's fee (filled or
/// cancelled) and nothing when refused.
pub async fn fuzz_execute(h: &mut Harness, keeper: &Trader, t: &Trader, pick: u8) -> Result<Option<TxResult>, String> {
    let Some(o) = pick_order(h, &t.account, pick).await else {
        return Ok(None);
    };
    let before = lamports(h, &keeper.key()).await;
    let ix = execute_ix(h, &keeper.key(), &t.account, o.order_id).await;
    let r = h.send_logged(&[ix], &[&keeper.kp]).await;
    let earned = lamports(h, &keeper.key()).await - before;
    match &r {
        Ok(logs) => {
            for e in events::<fulcrum::events::OrderExecuted>(logs) {
                if e.publish_time <= o.placed_ts {
                    return Err(format!("order {o:?} filled at a price published at {}", e.publish_time));
                }
            }
            if earned != o.fee {
                return Err(format!("keeper earned {earned}, the order's fee is {}", o.fee));
            }
        }
        Err(_) if earned != 0 => return Err(format!("a refused execution paid the keeper {earned}")),
        Err(_) => {}
    }
    Ok(Some(r.map(|_| ())))
}

/// Fuzz invariant, every book: lamports == rent + escrowed_fees, escrowed_fees == Σ open fees.
pub async fn check_escrows(h: &mut Harness, traders: &[Trader]) -> Result<(), String> {
    let rent = h.ctx.banks_client.get_rent().await.map_err(|e| format!("rent: {e:?}"))?;
    for t in traders {
        let key = book_address(&t.account);
        let Some(acc) = h.account(&key).await else { continue };
        let b = book(h, &t.account).await;
        let fees: u64 = b.orders.iter().filter(|o| o.order_id != 0).map(|o| o.fee).sum();
        let open = b.orders.iter().filter(|o| o.order_id != 0).count();
        if b.escrowed_fees != fees || usize::from(b.open_count) != open {
            return Err(format!(
                "escrowed {} != Σ open fees {fees} ({open} open, count {})",
                b.escrowed_fees, b.open_count
            ));
        }
        if acc.lamports != rent.minimum_balance(fulcrum::state::OrderBook::SIZE) + b.escrowed_fees {
            return Err(format!("book lamports {} != rent + escrowed {}", acc.lamports, b.escrowed_fees));
        }
    }
    Ok(())
}

// ------------------------------------------------------- an order book outliving its account

fn close_account_ix(h: &Harness, t: &Trader) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::CloseMarginAccount {
            exchange: h.exchange,
            margin_account: t.account,
            owner: t.key(),
        }
        .to_account_metas(None),
        data: fulcrum::instruction::CloseMarginAccount {}.data(),
    }
}

/// `create_margin_account` again at `t`'s address (sub-account 0), with `quote` deposited.
async fn recreate_account(h: &mut Harness, t: &Trader, quote: u64) {
    let ix = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::CreateMarginAccount {
            owner: t.key(),
            exchange: h.exchange,
            margin_account: t.account,
            system_program: anchor_lang::system_program::ID,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::CreateMarginAccount { sub_account_id: 0 }.data(),
    };
    h.send(&[ix], &[&t.kp]).await.expect("create_margin_account");
    h.deposit(t, 0, quote).await.expect("deposit");
}

/// Empties `t`'s account: closes its `market` position, withdraws `sol` of bank `bank` and
/// all its quote.
async fn empty_account(h: &mut Harness, t: &Trader, market: u16, bank: u16, sol: u64) {
    h.close(t, market).await.unwrap();
    h.withdraw(t, bank, sol).await.unwrap();
    let quote = h.margin(&t.account).await.quote_balance as u64;
    h.withdraw(t, 0, quote).await.unwrap();
    assert!(h.margin(&t.account).await.is_empty());
}

/// On main before the fix `close_margin_account` ignored the book: the victim's forgotten 5 SOL
/// limit buy filled on the re-created account's fresh 2 SOL long (7 SOL), the keeper earning the
/// old fee (1,000,000 lamports); until then the book's rent and fee were stranded.
#[tokio::test]
async fn closing_an_account_with_an_open_order_book_cannot_revive_its_orders() {
    let mut w = world().await;
    let keeper = w.attacker.kp.insecure_clone();
    let vk = w.victim.kp.insecure_clone();
    let v = w.victim.account;
    // The victim rests a 5 SOL limit buy at $95, forgets it, and closes out: position, collateral,
    // then the account itself, refused while the book exists (with or without orders).
    let id = place(&mut w.h, &w.victim, 0, order(OrderKind::Limit, Side::Buy, 5 * SOL, usd(95))).await.unwrap();
    assert!(w.h.margin(&v).await.has_order_book == 1);
    empty_account(&mut w.h, &w.victim, 0, w.sol.index, 5 * SOL).await;
    let ix = close_account_ix(&w.h, &w.victim);
    refused(&mut w, &[ix], &[&vk], FulcrumError::OrderBookStillOpen).await;
    w.h.send(&[cancel_ix(&w.victim, id)], &[&vk]).await.unwrap();
    let ix = close_account_ix(&w.h, &w.victim);
    refused(&mut w, &[ix], &[&vk], FulcrumError::OrderBookStillOpen).await;
    // Closing the book, then the account, returns every lamport (book rent, fee, account rent).
    let book_lamports = lamports(&mut w.h, &book_address(&v)).await;
    let account_lamports = lamports(&mut w.h, &v).await;
    let start = lamports(&mut w.h, &vk.pubkey()).await;
    w.h.send(&[close_book_ix(&w.victim)], &[&vk]).await.unwrap();
    assert!(w.h.margin(&v).await.has_order_book == 0);
    let ix = close_account_ix(&w.h, &w.victim);
    w.h.send(&[ix], &[&vk]).await.unwrap();
    assert_eq!(lamports(&mut w.h, &vk.pubkey()).await, start + book_lamports + account_lamports);
    // Re-created with a fresh 2 SOL long: the old order is gone, a keeper has nothing to execute.
    recreate_account(&mut w.h, &w.victim, 500 * USDC).await;
    w.h.trade(&w.victim, 0, Side::Buy, 2 * SOL).await.unwrap();
    w.h.advance(1).await;
    w.h.set_market_price(0, px(90)).await;
    let after = w.h.after_trade(&v, 0, 5 * SOL as i64).await;
    let ix = execute_ix_on(&w.h, &keeper.pubkey(), &v, id, 0, &after);
    w.rejected_by_anchor(&[ix], &[&keeper], anchor_lang::error::ErrorCode::AccountOwnedByWrongProgram).await;
    assert_eq!(position(&mut w.h, &v).await, 2 * SOL as i64);
    // A new book starts empty and flags the new account.
    create_book(&mut w.h, &w.victim).await;
    assert_eq!((book(&mut w.h, &v).await.open_count, w.h.margin(&v).await.has_order_book), (0, 1));
    w.h.assert_conservation().await;
}
