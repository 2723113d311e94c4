// Keeper scan throughput: margin accounts decoded (IDL-laid-out bytes → fast view) and health
// computed (risk mirror, maintenance check + liquidation eligibility) per second, over 100k
// synthetic accounts. Not a test: prints the numbers.
//   npm run bench:keeper [-- N]
import { marginRiskDecoder } from "../src/sdk/accounts";
import { scan } from "../src/keeper/keeper";
import { syntheticAccounts, syntheticCorrelations, syntheticExchange } from "../src/keeper/synthetic";

const n = Number(process.argv[2] ?? 100_000);
const { state, prices } = syntheticExchange();
// Assets 0–2 for markets 0–2 and banks 1–3, ρ = 0.5 (the margin-modes run).
state.correlations = syntheticCorrelations([[1e6, 5e5, 5e5], [5e5, 1e6, 5e5], [5e5, 5e5, 1e6]], [255, 0, 1, 2], [0, 1, 2]);
const decode = marginRiskDecoder();

function once(raw: { pubkey: string; data: Buffer }[]): { decodeMs: number; scanMs: number; liquidatable: number } {
  const a = performance.now();
  const views = raw.map((r) => [r.pubkey, decode(r.data)] as [string, ReturnType<typeof decode>]);
  const b = performance.now();
  const out = scan(views, { state, prices, slot: 1_000n });
  const c = performance.now();
  return { decodeMs: b - a, scanMs: c - b, liquidatable: out.length };
}

function run(label: string, modes: boolean): void {
  const t0 = performance.now();
  const raw = syntheticAccounts(n, 3, 3, 42n, modes);
  const built = performance.now() - t0;
  once(raw); // warm-up (JIT)
  const runs = [once(raw), once(raw), once(raw)];
  const best = runs.reduce((x, y) => (x.decodeMs + x.scanMs < y.decodeMs + y.scanMs ? x : y));
  const total = best.decodeMs + best.scanMs;
  console.log(`keeper scan benchmark: ${n.toLocaleString()} synthetic margin accounts (1–3 perps, 0–2 collateral${label}; built in ${built.toFixed(0)} ms)`);
  console.log(`  decode:            ${best.decodeMs.toFixed(1)} ms  (${Math.round((n / best.decodeMs) * 1000).toLocaleString()} accounts/s)`);
  console.log(`  health + sort:     ${best.scanMs.toFixed(1)} ms  (${Math.round((n / best.scanMs) * 1000).toLocaleString()} accounts/s)`);
  console.log(`  decode + health:   ${total.toFixed(1)} ms  → ${Math.round((n / total) * 1000).toLocaleString()} accounts/s  (${best.liquidatable.toLocaleString()} liquidatable)`);
}

run("; all cross", false);
run("; 1/8 portfolio accounts, 1/8 isolated positions", true);
