/** Human tables and JSON for the CLI and the demo. */
import type { TierStatus } from "../sdk/reputation";
import type { AccountReport, ExchangeState, PriceBook } from "../sdk/report";
import { priceKey } from "../sdk/report";
import { HealthState, MarginMode, PRICE_SCALE } from "../risk";
import { formatUnits } from "./args";
import { enginePriceToNumber } from "../sdk/oracle";

export const usd = (v: bigint, decimals = 6): string => formatUnits(v, decimals, 2);
export const lev = (ppm: bigint | null): string => (ppm === null ? "∞" : `${(Number(ppm) / 1e6).toFixed(2)}x`);
export const stateName = (s: HealthState | number): string => HealthState[s] ?? String(s);
export const modeName = (m: MarginMode | number): string => MarginMode[m] ?? String(m);

/** Fixed-width table: columns right-aligned except the first. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const price = (p: bigint, baseDecimals: number, quoteDecimals: number): string => {
  const n = enginePriceToNumber(p, baseDecimals, quoteDecimals);
  return n >= 1000 ? n.toFixed(2) : n >= 1 ? n.toFixed(4) : n.toPrecision(4);
};

/** `account --json`: every number as a decimal string of native units (or ppm). */
export function reportJson(r: AccountReport, quoteDecimals = 6): Record<string, unknown> {
  const h = r.health;
  return {
    address: r.address.toBase58(),
    owner: r.account.owner.toBase58(),
    marginMode: modeName(r.marginMode),
    quoteBalance: r.account.quoteBalance.toString(),
    quoteDecimals,
    equity: h.equity.toString(),
    initEquity: h.init.equity.toString(),
    initRequirement: h.init.requirement.toString(),
    maintEquity: h.maint.equity.toString(),
    maintRequirement: h.maint.requirement.toString(),
    freeCollateral: r.freeCollateral.toString(),
    notional: h.notional.toString(),
    leveragePpm: h.leverage === null ? null : h.leverage.toString(),
    healthState: stateName(h.state),
    inMarginCall: r.account.inMarginCall !== 0,
    feesPaid: r.account.feesPaid.toString(),
    collateral: r.collateral.map((c) => ({
      bankIndex: c.bankIndex, symbol: c.symbol, amount: c.amount.toString(), decimals: c.decimals,
      ...(c.rate === undefined ? {} : { rate: c.rate.toString(), depegPpm: c.depegPpm }),
    })),
    positions: r.positions.map((p) => ({
      market: p.market,
      marketIndex: p.marketIndex,
      isolated: p.isolated,
      isolatedCollateral: p.isolatedCollateral.toString(),
      isolatedMaintEquity: p.isolatedHealth ? p.isolatedHealth.maint.equity.toString() : null,
      isolatedMaintRequirement: p.isolatedHealth ? p.isolatedHealth.maint.requirement.toString() : null,
      base: p.base.toString(),
      baseDecimals: p.baseDecimals,
      quoteEntry: p.quoteEntry.toString(),
      entryPrice: p.entryPrice.toString(),
      markPrice: p.markPrice.toString(),
      unrealizedPnl: p.unrealizedPnl.toString(),
      realizedPnl: p.realizedPnl.toString(),
      liquidationPrice: p.liquidationPrice === null ? null : p.liquidationPrice.toString(),
    })),
    priceScale: PRICE_SCALE.toString(),
  };
}

export function reportText(r: AccountReport, quoteDecimals = 6): string {
  const h = r.health;
  const lines = [
    `account ${r.address.toBase58()} (owner ${r.account.owner.toBase58()})   margin mode ${modeName(r.marginMode).toLowerCase()}`,
    `  quote balance ${usd(r.account.quoteBalance, quoteDecimals)} USDC   equity ${usd(h.equity, quoteDecimals)}   free collateral ${usd(r.freeCollateral, quoteDecimals)}`,
    `  notional ${usd(h.notional, quoteDecimals)}   leverage ${lev(h.leverage)}   init ${usd(h.init.equity, quoteDecimals)} / ${usd(h.init.requirement, quoteDecimals)}   maint ${usd(h.maint.equity, quoteDecimals)} / ${usd(h.maint.requirement, quoteDecimals)}   state ${stateName(h.state)}${r.account.inMarginCall ? " (margin call)" : ""}`,
  ];
  if (r.positions.some((p) => p.isolated)) lines.push("  (isolated positions stand alone on their own collateral: they are not in the figures above)");
  if (r.collateral.length) {
    const rated = r.collateral.some((c) => c.rate !== undefined);
    // An LST is priced at its underlying × this rate (× the depeg factor, when below 1).
    const rateCell = (c: AccountReport["collateral"][number]): string =>
      c.rate === undefined ? "-" : `${formatUnits(c.rate, 12, 6)}${c.depegPpm !== undefined && c.depegPpm < 1_000_000 ? ` × ${formatUnits(BigInt(c.depegPpm), 6, 4)} depeg` : ""}`;
    const rows = r.collateral.map((c) => [c.symbol, formatUnits(c.amount, c.decimals), ...(rated ? [rateCell(c)] : [])]);
    lines.push("", table(["collateral", "amount", ...(rated ? ["rate"] : [])], rows));
  }
  if (r.positions.length) {
    lines.push(
      "",
      table(
        ["market", "margin", "iso. collateral", "size", "entry", "mark", "uPnL", "rPnL", "liq. price"],
        r.positions.map((p) => [
          p.market,
          p.isolated ? "isolated" : modeName(r.marginMode).toLowerCase(),
          p.isolated ? usd(p.isolatedCollateral, quoteDecimals) : "-",
          formatUnits(p.base, p.baseDecimals),
          price(p.entryPrice, p.baseDecimals, quoteDecimals),
          price(p.markPrice, p.baseDecimals, quoteDecimals),
          usd(p.unrealizedPnl, quoteDecimals),
          usd(p.realizedPnl, quoteDecimals),
          p.liquidationPrice === null ? "-" : price(p.liquidationPrice, p.baseDecimals, quoteDecimals),
        ]),
      ),
    );
  } else {
    lines.push("  no open positions");
  }
  return lines.join("\n");
}

export function marketsJson(state: ExchangeState, prices: PriceBook): Record<string, unknown>[] {
  return [...state.markets.entries()].map(([i, { address, market: m }]) => ({
    index: i,
    name: Buffer.from(m.name).toString("utf8").replace(/\0+$/, ""),
    address: address.toBase58(),
    oracle: m.oracle.toBase58(),
    price: prices.get(priceKey(m.oracle, m.baseDecimals))?.oracle.toString() ?? null,
    baseDecimals: m.baseDecimals,
    initMarginRatio: m.initMarginRatio,
    maintMarginRatio: m.maintMarginRatio,
    takerFee: m.takerFee,
    stepSize: m.stepSize.toString(),
    longBase: m.longBase.toString(),
    shortBase: m.shortBase.toString(),
    volume: m.volume.toString(),
    /** Borrow fee both sides pay the pool, ppm of notional per hour. */
    borrowRate: (m.borrowRate ?? 0n).toString(),
  }));
}

export function marketsText(state: ExchangeState, prices: PriceBook): string {
  const q = state.exchange.quoteDecimals;
  return table(
    ["market", "price", "max lev.", "maint", "fee", "borrow/h", "step", "long OI", "short OI", "volume"],
    [...state.markets.values()].map(({ market: m }) => {
      const p = prices.get(priceKey(m.oracle, m.baseDecimals));
      return [
        Buffer.from(m.name).toString("utf8").replace(/\0+$/, ""),
        p ? price(p.oracle, m.baseDecimals, q) : "-",
        `${(1e6 / m.initMarginRatio).toFixed(0)}x`,
        `${(m.maintMarginRatio / 1e4).toFixed(2)}%`,
        `${(m.takerFee / 1e4).toFixed(2)}%`,
        `${(Number(m.borrowRate ?? 0n) / 1e4).toFixed(4)}%`,
        formatUnits(m.stepSize, m.baseDecimals),
        formatUnits(m.longBase, m.baseDecimals),
        formatUnits(m.shortBase, m.baseDecimals),
        usd(m.volume, q),
      ];
    }),
  );
}

/** `account`: the reputation tier (issue 18 §1), what the next one needs, the leverage it allows. */
export function tierJson(t: TierStatus): Record<string, unknown> {
  return {
    tier: t.tier,
    initMultiplierPpm: t.initMultiplier,
    next: t.next && {
      tier: t.next.tier,
      initMultiplierPpm: t.next.initMultiplier,
      barredByLiquidations: t.next.shortfall === null,
      daysMissing: t.next.shortfall?.days.toString() ?? null,
      equityDaysMissing: t.next.shortfall?.equityDays.toString() ?? null,
      volumeMissing: t.next.shortfall?.volume.toString() ?? null,
      earliest: t.next.earliest.toString(),
    },
    markets: t.markets.map((m) => ({ marketIndex: m.index, initRatioPpm: m.initRatio, maxLeverageX100: m.leverageX100.toString() })),
  };
}

export function tierText(t: TierStatus, quoteDecimals = 6): string {
  const x = (m: number): string => (m === 0 ? "1.00x" : `${(m / 1e6).toFixed(2)}x`);
  const lines = [`  tier ${t.tier} (initial margin ${x(t.initMultiplier)})   max leverage ${t.markets.map((m) => `#${m.index} ${(Number(m.leverageX100) / 100).toFixed(2)}x`).join(", ") || "-"}`];
  const n = t.next;
  if (!n) {
    lines.push("  next tier: none (top tier or tiers off)");
  } else if (!n.shortfall) {
    lines.push(`  next tier ${n.tier} (${x(n.initMultiplier)}): barred by past liquidations`);
  } else {
    const s = n.shortfall;
    const needs = [
      s.days > 0n ? `${s.days} more day(s) of age` : "",
      s.equityDays > 0n ? `${s.equityDays} more USD-days of equity` : "",
      s.volume > 0n ? `${usd(s.volume, quoteDecimals)} more volume (held positions only)` : "",
    ].filter(Boolean);
    const when = new Date(Number(n.earliest) * 1000).toISOString();
    lines.push(`  next tier ${n.tier} (${x(n.initMultiplier)}): ${needs.length ? needs.join(", ") : "requirements met"}; a crank may raise it from ${when}`);
  }
  return lines.join("\n");
}
