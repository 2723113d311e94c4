//! Order-book helpers shared by the program tests (`orders.rs`), the attack rows
//! (`attacks/orders.rs`) and the fuzzer: builders for every order instruction, taking
//! `&mut Harness`, and the escrow invariant.

use anchor_lang::{InstructionData, ToAccountMetas};
use fulcrum::instructions::{OrderParams, Side};
use fulcrum::seeds;
use fulcrum::state::{Order, OrderBook, OrderKind};
use solana_sdk::{
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

use crate::harness::*;
use solana_program_test::BanksClientError;

/// The order book PDA of `account`.
pub fn book_address(account: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[seeds::ORDERS, account.as_ref()], &fulcrum::ID).0
}

/// Terms of an order: no slippage bound, no expiry, not reduce-only.
pub fn order(kind: OrderKind, side: Side, base_size: u64, trigger_price: u64) -> OrderParams {
    OrderParams { kind, side, base_size, trigger_price, limit_price: 0, reduce_only: false, max_ts: 0, client_id: 0 }
}

/// A reduce-only trigger for the whole position.
pub fn whole(kind: OrderKind, side: Side, trigger_price: u64) -> OrderParams {
    OrderParams { reduce_only: true, ..order(kind, side, 0, trigger_price) }
}

pub fn create_book_ix(h: &Harness, t: &Trader) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::CreateOrderBook {
            exchange: h.exchange,
            margin_account: t.account,
            order_book: book_address(&t.account),
            owner: t.key(),
            system_program: anchor_lang::system_program::ID,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::CreateOrderBook {}.data(),
    }
}

pub async fn create_book(h: &mut Harness, t: &Trader) {
    let ix = create_book_ix(h, t);
    h.send(&[ix], &[&t.kp]).await.expect("create_order_book");
}

pub fn close_book_ix(t: &Trader) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::CloseOrderBook {
            margin_account: t.account,
            order_book: book_address(&t.account),
            owner: t.key(),
        }
        .to_account_metas(None),
        data: fulcrum::instruction::CloseOrderBook {}.data(),
    }
}

pub async fn book(h: &mut Harness, account: &Pubkey) -> OrderBook {
    h.load::<OrderBook>(&book_address(account)).await
}

/// The open order `id` of `account`'s book.
pub async fn open_order(h: &mut Harness, account: &Pubkey, id: u64) -> Option<Order> {
    book(h, account).await.orders.iter().find(|o| o.order_id == id && id != 0).copied()
}

/// `place_order` signed by `signer` (the owner or the delegate) for `account`.
pub fn place_ix_by(h: &Harness, signer: &Pubkey, account: &Pubkey, market: u16, p: OrderParams) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::PlaceOrder {
            exchange: h.exchange,
            margin_account: *account,
            order_book: book_address(account),
            market: h.markets[market as usize].key,
            trader: *signer,
            system_program: anchor_lang::system_program::ID,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::PlaceOrder { params: p }.data(),
    }
}

pub fn place_ix(h: &Harness, t: &Trader, market: u16, p: OrderParams) -> Instruction {
    place_ix_by(h, &t.key(), &t.account, market, p)
}

/// Places `p` for `t` and returns its order id.
pub async fn place(h: &mut Harness, t: &Trader, market: u16, p: OrderParams) -> Result<u64, BanksClientError> {
    let ix = place_ix(h, t, market, p);
    h.send(&[ix], &[&t.kp]).await?;
    Ok(book(h, &t.account).await.next_order_id - 1)
}

/// The signed base order `o` would trade now for an account holding `held`; `None` when it
/// would be cancelled as reduce-only with nothing to reduce.
pub fn order_delta(o: &Order, held: i64) -> Option<i64> {
    let buy = o.side == 0;
    let reduce_only = o.reduce_only != 0;
    if reduce_only && (held == 0 || (held > 0) == buy) {
        return None;
    }
    let mut size = o.base_size;
    if o.whole_position != 0 || (reduce_only && size > held.unsigned_abs()) {
        size = held.unsigned_abs();
    }
    Some(if buy { size as i64 } else { -(size as i64) })
}

/// `execute_order` of `account`'s order `id` by `keeper`, with the health accounts of the
/// account after the fill (those of the account now when the order would not trade).
pub async fn execute_ix(h: &mut Harness, keeper: &Pubkey, account: &Pubkey, id: u64) -> Instruction {
    let acct = h.margin(account).await;
    let o = open_order(h, account, id).await;
    let (market, after) = match o {
        Some(o) => {
            let held = acct.find_perp(o.market_index).map_or(0, |i| acct.perps[i].base);
            match order_delta(&o, held) {
                Some(d) => (o.market_index, h.after_trade(account, o.market_index, d).await),
                None => (o.market_index, acct),
            }
        }
        None => (0, acct),
    };
    execute_ix_on(h, keeper, account, id, market, &after)
}

/// `execute_order` naming `market` and the health accounts of `after`.
pub fn execute_ix_on(
    h: &Harness,
    keeper: &Pubkey,
    account: &Pubkey,
    id: u64,
    market: u16,
    after: &fulcrum::state::MarginAccount,
) -> Instruction {
    let m = h.markets[market as usize];
    let mut metas = fulcrum::accounts::ExecuteOrder {
        exchange: h.exchange,
        margin_account: *account,
        order_book: book_address(account),
        market: m.key,
        oracle: m.oracle.key,
        pool: h.pool,
        keeper: *keeper,
    }
    .to_account_metas(None);
    metas.extend(h.health_metas(after));
    Instruction {
        program_id: fulcrum::ID,
        accounts: metas,
        data: fulcrum::instruction::ExecuteOrder { order_id: id }.data(),
    }
}

pub async fn execute(h: &mut Harness, keeper: &Keypair, account: &Pubkey, id: u64) -> TxResult {
    let ix = execute_ix(h, &keeper.pubkey(), account, id).await;
    h.send(&[ix], &[keeper]).await
}

/// As [`execute`], returning the logs.
pub async fn execute_logged(
    h: &mut Harness,
    keeper: &Keypair,
    account: &Pubkey,
    id: u64,
) -> Result<Vec<String>, BanksClientError> {
    let ix = execute_ix(h, &keeper.pubkey(), account, id).await;
    h.send_logged(&[ix], &[keeper]).await
}

fn cancel_accounts(signer: &Pubkey, account: &Pubkey, owner: &Pubkey) -> Vec<AccountMeta> {
    fulcrum::accounts::CancelOrder {
        margin_account: *account,
        order_book: book_address(account),
        trader: *signer,
        owner: *owner,
    }
    .to_account_metas(None)
}

/// `cancel_order` signed by `signer`, refund to `owner`.
pub fn cancel_ix_by(signer: &Pubkey, account: &Pubkey, owner: &Pubkey, id: u64) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: cancel_accounts(signer, account, owner),
        data: fulcrum::instruction::CancelOrder { order_id: id }.data(),
    }
}

pub fn cancel_ix(t: &Trader, id: u64) -> Instruction {
    cancel_ix_by(&t.key(), &t.account, &t.key(), id)
}

pub fn cancel_all_ix(t: &Trader, market_index: Option<u16>) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: cancel_accounts(&t.key(), &t.account, &t.key()),
        data: fulcrum::instruction::CancelAllOrders { market_index }.data(),
    }
}

pub fn modify_ix(h: &Harness, t: &Trader, id: u64, market: u16, p: OrderParams) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::ModifyOrder {
            exchange: h.exchange,
            margin_account: t.account,
            order_book: book_address(&t.account),
            market: h.markets[market as usize].key,
            trader: t.key(),
            system_program: anchor_lang::system_program::ID,
            owner: t.key(),
        }
        .to_account_metas(None),
        data: fulcrum::instruction::ModifyOrder { order_id: id, params: p }.data(),
    }
}

pub fn cancel_expired_ix(keeper: &Pubkey, account: &Pubkey, id: u64) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::CancelExpiredOrder {
            margin_account: *account,
            order_book: book_address(account),
            keeper: *keeper,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::CancelExpiredOrder { order_id: id }.data(),
    }
}

/// `liquidate_perp` passing `account`'s order book, the liquidator writable.
pub async fn liquidate_with_book_ix(
    h: &mut Harness,
    keeper: &Pubkey,
    fee_to: &Pubkey,
    account: &Pubkey,
    market: u16,
) -> Instruction {
    let mut ix = h.liquidate_perp_ix(keeper, fee_to, account, market).await;
    // Named accounts: exchange, margin_account, liquidator, liquidator_quote, quote (bank,
    // vault), market, oracle, pool, token_program, order_book.
    ix.accounts[2].is_writable = true;
    ix.accounts[10] = AccountMeta::new(book_address(account), false);
    ix
}

pub async fn lamports(h: &mut Harness, key: &Pubkey) -> u64 {
    h.account(key).await.map_or(0, |a| a.lamports)
}

/// The escrow invariant of `account`'s book: lamports == rent + escrowed_fees, and
/// escrowed_fees == Σ open orders' fee (and `open_count` their number).
pub async fn assert_escrow(h: &mut Harness, account: &Pubkey) {
    let b = book(h, account).await;
    let rent = h.ctx.banks_client.get_rent().await.expect("rent").minimum_balance(OrderBook::SIZE);
    let held = lamports(h, &book_address(account)).await;
    let open: Vec<&Order> = b.orders.iter().filter(|o| o.order_id != 0).collect();
    let fees: u64 = open.iter().map(|o| o.fee).sum();
    assert_eq!(b.escrowed_fees, fees, "escrowed_fees != Σ open fees");
    assert_eq!(usize::from(b.open_count), open.len(), "open_count");
    assert_eq!(held, rent + b.escrowed_fees, "lamports != rent + escrowed_fees");
}
