//! SPL Token accounts and mints read from their bytes, in the JSON the real RPC gives them
//! (`jsonParsed` encoding, `getTokenAccountBalance`, `getTokenAccountsByOwner`). Token-2022
//! accounts share the base layouts (extensions follow byte 165 and are not parsed here).

use serde_json::{json, Value};
use solana_sdk::{account::Account, pubkey::Pubkey};

pub const TOKEN_PROGRAM: Pubkey = Pubkey::from_str_const("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
pub const TOKEN_2022_PROGRAM: Pubkey = Pubkey::from_str_const("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb");
const ACCOUNT_LEN: usize = 165;
const MINT_LEN: usize = 82;
/// Token-2022: the byte after the base account layout says which kind an extended account is.
const ACCOUNT_TYPE_MINT: u8 = 1;
const ACCOUNT_TYPE_ACCOUNT: u8 = 2;

pub fn is_token_program(p: &Pubkey) -> bool {
    *p == TOKEN_PROGRAM || *p == TOKEN_2022_PROGRAM
}

/// The `program` name of the parsed encoding.
pub fn program_name(p: &Pubkey) -> &'static str {
    if *p == TOKEN_2022_PROGRAM {
        "spl-token-2022"
    } else {
        "spl-token"
    }
}

/// A token account's base fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenAccount {
    pub mint: Pubkey,
    pub owner: Pubkey,
    pub amount: u64,
    pub delegate: Option<Pubkey>,
    /// 1 initialized, 2 frozen.
    pub state: u8,
    /// Rent-exempt reserve of a wrapped-SOL account.
    pub is_native: Option<u64>,
    pub delegated_amount: u64,
    pub close_authority: Option<Pubkey>,
}

/// A mint's base fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mint {
    pub mint_authority: Option<Pubkey>,
    pub supply: u64,
    pub decimals: u8,
    pub freeze_authority: Option<Pubkey>,
}

fn key(d: &[u8], at: usize) -> Option<Pubkey> {
    d.get(at..at + 32).and_then(|b| <[u8; 32]>::try_from(b).ok()).map(Pubkey::new_from_array)
}

fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    d.get(at..at + 8).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_le_bytes)
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    d.get(at..at + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes)
}

/// `COption<Pubkey>`: a 4-byte tag then the key.
fn opt_key(d: &[u8], at: usize) -> Option<Option<Pubkey>> {
    match u32_at(d, at)? {
        0 => Some(None),
        1 => Some(Some(key(d, at + 4)?)),
        _ => None,
    }
}

fn is_kind(a: &Account, base_len: usize, kind: u8) -> bool {
    is_token_program(&a.owner)
        && (a.data.len() == base_len || (a.data.len() > ACCOUNT_LEN && a.data.get(ACCOUNT_LEN) == Some(&kind)))
}

/// The token account in `a`, if it is an initialized one.
pub fn account(a: &Account) -> Option<TokenAccount> {
    if !is_kind(a, ACCOUNT_LEN, ACCOUNT_TYPE_ACCOUNT) {
        return None;
    }
    let d = &a.data;
    let state = *d.get(108)?;
    if state != 1 && state != 2 {
        return None;
    }
    let is_native = match u32_at(d, 109)? {
        0 => None,
        1 => Some(u64_at(d, 113)?),
        _ => return None,
    };
    Some(TokenAccount {
        mint: key(d, 0)?,
        owner: key(d, 32)?,
        amount: u64_at(d, 64)?,
        delegate: opt_key(d, 72)?,
        state,
        is_native,
        delegated_amount: u64_at(d, 121)?,
        close_authority: opt_key(d, 129)?,
    })
}

/// The mint in `a`, if it is an initialized one.
pub fn mint(a: &Account) -> Option<Mint> {
    if !is_kind(a, MINT_LEN, ACCOUNT_TYPE_MINT) {
        return None;
    }
    let d = &a.data;
    if d.get(45) != Some(&1) {
        return None;
    }
    Some(Mint {
        mint_authority: opt_key(d, 0)?,
        supply: u64_at(d, 36)?,
        decimals: *d.get(44)?,
        freeze_authority: opt_key(d, 46)?,
    })
}

/// `amount` with `decimals` as a decimal string without trailing zeros ("1.5", "0", "12").
pub fn ui_amount_string(amount: u64, decimals: u8) -> String {
    let d = usize::from(decimals);
    if d == 0 {
        return amount.to_string();
    }
    let mut s = format!("{amount:0>width$}", width = d + 1);
    s.insert(s.len() - d, '.');
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A `UiTokenAmount`: `{amount, decimals, uiAmount, uiAmountString}`.
pub fn amount_json(amount: u64, decimals: u8) -> Value {
    // uiAmount is a float by the API's definition (as the validator computes it).
    let ui = amount as f64 / 10f64.powi(i32::from(decimals));
    json!({
        "amount": amount.to_string(),
        "decimals": decimals,
        "uiAmount": ui,
        "uiAmountString": ui_amount_string(amount, decimals),
    })
}

/// The parsed data of a token account (`decimals` of its mint).
pub fn account_data_json(t: &TokenAccount, decimals: u8, program: &Pubkey, space: usize) -> Value {
    let mut info = json!({
        "isNative": t.is_native.is_some(),
        "mint": t.mint.to_string(),
        "owner": t.owner.to_string(),
        "state": if t.state == 2 { "frozen" } else { "initialized" },
        "tokenAmount": amount_json(t.amount, decimals),
    });
    if let Some(d) = t.delegate {
        info["delegate"] = json!(d.to_string());
        info["delegatedAmount"] = amount_json(t.delegated_amount, decimals);
    }
    if let Some(r) = t.is_native {
        info["rentExemptReserve"] = amount_json(r, decimals);
    }
    if let Some(c) = t.close_authority {
        info["closeAuthority"] = json!(c.to_string());
    }
    json!({ "program": program_name(program), "parsed": { "info": info, "type": "account" }, "space": space })
}

/// The parsed data of a mint.
pub fn mint_data_json(m: &Mint, program: &Pubkey, space: usize) -> Value {
    json!({
        "program": program_name(program),
        "parsed": {
            "info": {
                "decimals": m.decimals,
                "freezeAuthority": m.freeze_authority.map(|k| k.to_string()),
                "isInitialized": true,
                "mintAuthority": m.mint_authority.map(|k| k.to_string()),
                "supply": m.supply.to_string(),
            },
            "type": "mint",
        },
        "space": space,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_amount_strings() {
        assert_eq!(ui_amount_string(0, 6), "0");
        assert_eq!(ui_amount_string(1_500_000, 6), "1.5");
        assert_eq!(ui_amount_string(1, 6), "0.000001");
        assert_eq!(ui_amount_string(12_000_000, 6), "12");
        assert_eq!(ui_amount_string(42, 0), "42");
        assert_eq!(amount_json(2_500_000, 6)["uiAmount"], json!(2.5));
    }

    #[test]
    fn parses_account_and_mint() {
        let (mint_key, owner, delegate) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
        let mut d = vec![0u8; ACCOUNT_LEN];
        d[..32].copy_from_slice(mint_key.as_ref());
        d[32..64].copy_from_slice(owner.as_ref());
        d[64..72].copy_from_slice(&7_000_000u64.to_le_bytes());
        d[72] = 1;
        d[76..108].copy_from_slice(delegate.as_ref());
        d[108] = 1;
        d[121..129].copy_from_slice(&5u64.to_le_bytes());
        let a = Account { lamports: 1, data: d, owner: TOKEN_PROGRAM, executable: false, rent_epoch: 0 };
        let t = account(&a).expect("token account");
        assert_eq!(
            (t.mint, t.owner, t.amount, t.delegate, t.delegated_amount),
            (mint_key, owner, 7_000_000, Some(delegate), 5)
        );
        assert!(mint(&a).is_none());
        let j = account_data_json(&t, 6, &TOKEN_PROGRAM, ACCOUNT_LEN);
        assert_eq!(j["parsed"]["info"]["tokenAmount"]["uiAmountString"], "7");
        assert_eq!(j["parsed"]["info"]["delegatedAmount"]["amount"], "5");

        let mut m = vec![0u8; MINT_LEN];
        m[36..44].copy_from_slice(&9u64.to_le_bytes());
        m[44] = 6;
        m[45] = 1;
        let ma = Account { lamports: 1, data: m, owner: TOKEN_PROGRAM, executable: false, rent_epoch: 0 };
        let parsed = mint(&ma).expect("mint");
        assert_eq!((parsed.supply, parsed.decimals, parsed.mint_authority), (9, 6, None));
        assert!(account(&ma).is_none());
        let not_token = Account { owner: Pubkey::new_unique(), ..ma };
        assert!(mint(&not_token).is_none());
    }
}
