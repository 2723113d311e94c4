// Liquidation index benchmark: a synthetic book (default 1,000,000 accounts; 1/8 portfolio, 1/8
// isolated positions), then price moves; each timed from the new price to the list of accounts
// below maintenance. Checked against a full scan at the end. Not a test: prints the numbers.
//   node --import tsx bench/liq-index.ts [N] [--no-verify]
import { cpus, loadavg } from "node:os";
import { LiquidationIndex, belowMaintenance } from "../src/sdk/liqIndex";
import { priceKey, riskContext } from "../src/sdk/report";
import { syntheticAccountStream, syntheticCorrelations, syntheticExchange } from "../src/keeper/synthetic";

const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const verify = !process.argv.includes("--no-verify");
const { state, prices } = syntheticExchange();
state.correlations = syntheticCorrelations([[1e6, 5e5, 5e5], [5e5, 1e6, 5e5], [5e5, 5e5, 1e6]], [255, 0, 1, 2], [0, 1, 2]);
const mb = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MB`;
const gc = (globalThis as { gc?: () => void }).gc;

gc?.();
const heap0 = process.memoryUsage();
const t0 = performance.now();
const index = new LiquidationIndex(state, prices);
for (const a of syntheticAccountStream(n, 3, 3, 42n, true)) index.upsert(a.address, a.data);
index.liquidatable(); // the list as a keeper holds it after loading
const built = performance.now() - t0;
gc?.();
const heap1 = process.memoryUsage();
console.log(`liquidation index: ${n.toLocaleString()} synthetic accounts (1–3 perps, 0–2 collateral; 1/8 portfolio, 1/8 isolated positions)`);
console.log(`  build (decode + risk + keys): ${(built / 1000).toFixed(1)} s (${Math.round((n / built) * 1000).toLocaleString()} accounts/s); ${index.liquidatableKeys().length.toLocaleString()} below maintenance`);
console.log(`  memory: heap +${mb(heap1.heapUsed - heap0.heapUsed)} (${(((heap1.heapUsed - heap0.heapUsed) / n) | 0) } B/account), rss ${mb(heap1.rss)}${gc ? "" : " (run with --expose-gc for exact figures)"}`);

gc?.(); // moves timed from a settled heap
const book = new Map(prices);
const results: number[] = [];
const settles: number[] = [];
const key = (m: number): string => priceKey(state.markets.get(m)!.market.oracle, 9);
function move(label: string, moves: [number, number][]): void {
  const c0 = { ...index.stats };
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  if (moves.length === 1) {
    const [m, ppm] = moves[0]!;
    const p = book.get(key(m))!;
    const next = { oracle: (p.oracle * BigInt(1_000_000 + ppm)) / 1_000_000n, ema: p.ema };
    book.set(key(m), next);
    index.setPrice(m, next.oracle);
  } else {
    for (const [m, ppm] of moves) {
      const p = book.get(key(m))!;
      book.set(key(m), { oracle: (p.oracle * BigInt(1_000_000 + ppm)) / 1_000_000n, ema: p.ema });
    }
    index.setPrices(book);
  }
  const list = index.liquidatable();
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  results.push(ms);
  // The re-keying the move left for later (the keeper does it once its liquidations are sent).
  const s0 = process.cpuUsage();
  const ts = performance.now();
  index.settle();
  const settleMs = performance.now() - ts;
  const settleCpu = process.cpuUsage(s0);
  settles.push(settleMs);
  const checks = index.stats.checks - c0.checks;
  const exact = index.stats.exact - c0.exact;
  console.log(`  ${label.padEnd(30)} ${ms.toFixed(1).padStart(6)} ms (cpu ${cpuMs.toFixed(1)}) → ${list.length.toLocaleString()} below maintenance; ${checks.toLocaleString()} re-checked (${exact.toLocaleString()} by the risk mirror); ≈ ${Math.round(n / ms / 1000).toLocaleString()}M account-equivalents/s; then re-keying ${settleMs.toFixed(1)} ms (cpu ${((settleCpu.user + settleCpu.system) / 1000).toFixed(1)})`);
}
// Warm-up (the JIT compiles the move path): two 0.01% moves, not counted.
for (const ppm of [-100, 100]) {
  const p = book.get(key(0))!;
  const next = { oracle: (p.oracle * BigInt(1_000_000 + ppm)) / 1_000_000n, ema: p.ema };
  book.set(key(0), next);
  index.setPrice(0, next.oracle);
  index.liquidatable();
  index.settle();
}
move("market 0 −1%", [[0, -10_000]]);
move("market 0 +1% (back up)", [[0, 10_101]]);
move("market 1 −1%", [[1, -10_000]]);
move("market 2 +1%", [[2, 10_000]]);
move("market 0 −1% again", [[0, -10_000]]);
move("all three markets −1% at once", [[0, -10_000], [1, -10_000], [2, -10_000]]);
move("market 1 −0.1%", [[1, -1_000]]);
for (let i = 0; i < 6; i++) move(`market ${i % 3} ${i % 2 ? "+" : "−"}1% (repeat)`, [[i % 3, i % 2 ? 10_000 : -10_000]]);
const single = (a: number[]): number[] => a.filter((_, i) => i !== 5 && i !== 6).sort((x, y) => x - y);
const oneMarket = single(results);
const oneSettle = single(settles);
console.log(`  single-market 1% moves, price → list: median ${oneMarket[oneMarket.length >> 1]!.toFixed(1)} ms, worst ${oneMarket[oneMarket.length - 1]!.toFixed(1)} ms (goal ≤ 50 ms); re-keying after: median ${oneSettle[oneSettle.length >> 1]!.toFixed(1)} ms; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
const t = performance.now();
const shocked = index.shock(0, -5);
console.log(`  shock: market 0 −5% would add       ${(performance.now() - t).toFixed(1).padStart(6)} ms  → ${shocked.length.toLocaleString()} accounts`);

if (verify) {
  const t1 = performance.now();
  const ctx = riskContext(state, book);
  const want: string[] = [];
  for (const [k, v] of index.entries()) if (belowMaintenance(v, ctx)) want.push(k);
  const got = new Set(index.liquidatableKeys());
  const same = want.length === got.size && want.every((k) => got.has(k));
  console.log(`  full-scan cross-check: ${same ? "the same" : "DIFFERENT"} ${want.length.toLocaleString()} accounts (full scan ${((performance.now() - t1) / 1000).toFixed(1)} s)`);
  if (!same) process.exitCode = 1;
}
