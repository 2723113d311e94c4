/**
 * Which banks and markets an account's margin check names ({@link SlotSet}), now and after a
 * trade, an isolated transfer or a withdrawal: pure functions of the decoded account, from which
 * `FulcrumClient.healthMetas` builds the remaining accounts.
 */
import * as risk from "../risk";
import type { MarginAccount, MarginRiskView } from "./accounts";

/** Which slots an account has (for the canonical health account list). */
export interface SlotSet {
  collateral: number[];
  perps: number[];
  /** A portfolio account: its margin checks append the exchange's correlations. */
  portfolio?: boolean;
}

export function slotsOf(acct: MarginAccount | MarginRiskView | null): SlotSet {
  return {
    collateral: acct ? acct.collateral.filter((s) => s.amount > 0n).map((s) => s.bankIndex) : [],
    perps: acct ? acct.perps.map((s) => s.marketIndex) : [],
    portfolio: acct?.marginMode === risk.MarginMode.Portfolio,
  };
}

/** Slots after trading `delta` base on `market` (an isolated slot with collateral stays when closed). */
export function slotsAfterTrade(acct: MarginAccount | null, market: number, delta: bigint): SlotSet {
  const s = slotsOf(acct);
  const slot = acct?.perps.find((p) => p.marketIndex === market);
  const held = slot?.base ?? 0n;
  const perps = new Set(s.perps);
  if (held + delta === 0n && !(slot && slot.isolatedCollateral !== 0n)) perps.delete(market);
  else perps.add(market);
  return { ...s, perps: [...perps] };
}

/** Slots after moving `amount` quote into (> 0) or out of (< 0) the isolated slot of `market`. */
export function slotsAfterIsolatedTransfer(acct: MarginAccount | null, market: number, amount: bigint): SlotSet {
  const s = slotsOf(acct);
  const slot = acct?.perps.find((p) => p.marketIndex === market);
  const active = slot ? slot.base !== 0n || slot.quoteEntry !== 0n || slot.isolatedCollateral + amount !== 0n : amount !== 0n;
  const perps = new Set(s.perps);
  if (active) perps.add(market);
  else perps.delete(market);
  return { ...s, perps: [...perps] };
}

/** Slots after withdrawing `amount` of bank `bankIndex`. */
export function slotsAfterWithdraw(acct: MarginAccount | null, bankIndex: number, amount: bigint): SlotSet {
  const s = slotsOf(acct);
  const held = acct?.collateral.find((c) => c.bankIndex === bankIndex)?.amount ?? 0n;
  if (bankIndex !== 0 && held <= amount) s.collateral = s.collateral.filter((i) => i !== bankIndex);
  return s;
}
