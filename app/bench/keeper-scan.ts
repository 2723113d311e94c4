// Keeper scan throughput: margin accounts decoded (IDL-laid-out bytes → fast view) and health
// computed (risk mirror, maintenance check + liquidation eligibility) per second, over 100k
// synthetic accounts. Not a test: prints the numbers.
//   npm run bench:keeper [-- N]
import { marginRiskDecoder } from "../src/sdk/accounts";
import { scan } from "../src/keeper/keeper";
import { syntheticAccounts, syntheticExchange } from "../src/keeper/synthetic";

const n = Number(process.argv[2] ?? 100_000);
const { state, prices } = syntheticExchange();
const t0 = performance.now();
const raw = syntheticAccounts(n);
const built = performance.now() - t0;
const decode = marginRiskDecoder();

function once(): { decodeMs: number; scanMs: number; liquidatable: number } {
  const a = performance.now();
  const views = raw.map((r) => [r.pubkey, decode(r.data)] as [string, ReturnType<typeof decode>]);
  const b = performance.now();
  const out = scan(views, { state, prices, slot: 1_000n });
  const c = performance.now();
  return { decodeMs: b - a, scanMs: c - b, liquidatable: out.length };
}

once(); // warm-up (JIT)
const runs = [once(), once(), once()];
const best = runs.reduce((x, y) => (x.decodeMs + x.scanMs < y.decodeMs + y.scanMs ? x : y));
const total = best.decodeMs + best.scanMs;
console.log(`keeper scan benchmark: ${n.toLocaleString()} synthetic margin accounts (1–3 perps, 0–2 collateral; built in ${built.toFixed(0)} ms)`);
console.log(`  decode:            ${best.decodeMs.toFixed(1)} ms  (${Math.round((n / best.decodeMs) * 1000).toLocaleString()} accounts/s)`);
console.log(`  health + sort:     ${best.scanMs.toFixed(1)} ms  (${Math.round((n / best.scanMs) * 1000).toLocaleString()} accounts/s)`);
console.log(`  decode + health:   ${total.toFixed(1)} ms  → ${Math.round((n / total) * 1000).toLocaleString()} accounts/s  (${best.liquidatable.toLocaleString()} liquidatable)`);
