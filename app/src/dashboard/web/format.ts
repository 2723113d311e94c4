/**
 * Display formats of the dashboard (the page and the browser tests share them). Figures arrive as
 * decimal strings of native units from the server; nothing here computes risk.
 */

const group = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** Quote native units → "$1,234.56" (exact: bigint arithmetic, truncated to cents). */
export function usd(raw: string, decimals: number): string {
  let v = BigInt(raw);
  const neg = v < 0n;
  if (neg) v = -v;
  const scale = 10n ** BigInt(decimals);
  const whole = v / scale;
  const cents = ((v % scale) * 100n) / scale;
  return `${neg ? "−" : ""}$${group(whole.toString())}.${cents.toString().padStart(2, "0")}`;
}

/** ppm → "12.34%". */
export const pct = (ppm: string | number, digits = 2): string => `${(Number(ppm) / 1e4).toFixed(digits)}%`;

/** Leverage ppm → "4.20x" ("∞" for null: equity ≤ 0 under positions). */
export const lev = (ppm: string | null): string => (ppm === null ? "∞" : `${(Number(ppm) / 1e6).toFixed(2)}x`);

/** Engine price (quote native per base native × 1e12) → dollars. */
export const priceNumber = (raw: string, baseDecimals: number, quoteDecimals: number): number =>
  (Number(raw) / 1e12) * 10 ** (baseDecimals - quoteDecimals);

export function price(raw: string | null, baseDecimals: number, quoteDecimals: number): string {
  if (raw === null) return "—";
  const n = priceNumber(raw, baseDecimals, quoteDecimals);
  return `$${n >= 1000 ? group(n.toFixed(2).split(".")[0]!) + "." + n.toFixed(2).split(".")[1] : n.toFixed(n >= 1 ? 2 : 4)}`;
}

/** Base native units → "1.234". */
export const base = (raw: string, decimals: number): string => (Number(raw) / 10 ** decimals).toFixed(Math.min(4, decimals));

export const short = (pubkey: string): string => `${pubkey.slice(0, 4)}…${pubkey.slice(-4)}`;

export const STATE_LABEL: Record<string, string> = {
  Healthy: "Healthy",
  Restricted: "Restricted (below initial)",
  MarginCall: "Margin call (below maintenance)",
  Bankrupt: "Bankrupt (equity < 0)",
};
