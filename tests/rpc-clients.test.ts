// What ordinary clients call, through plain web3.js and spl-token against the chain: a transfer
// signed with a blockhash fetched seconds earlier, token balances and token accounts by owner,
// signatures for an address, recent prioritization fees, logsSubscribe receiving a Fulcrum
// transaction's logs, getTokenSupply, and Anchor's EventParser over a multi-instruction Fulcrum
// transaction's logs. Only the last two go through the Fulcrum SDK (its sending path, lpValuation).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AccountLayout,
  BorshCoder,
  ComputeBudgetProgram,
  EventParser,
  Keypair,
  LAMPORTS_PER_SOL,
  PublicKey,
  SystemProgram,
  TOKEN_PROGRAM_ID,
  Transaction,
  createMint,
  getAccount,
  getOrCreateAssociatedTokenAccount,
  mintTo,
  sendAndConfirmTransaction,
  splTransfer,
} from "../app/src/sdk/vendor";
import { IDL, risk, type Fulcrum } from "../app/src/sdk";
import { connection, getDeployment, marketIndex, SOL, trader, USDC } from "./helpers";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fresh keypair with `sol` SOL, airdropped and confirmed through web3.js alone. */
async function funded(sol = 2): Promise<Keypair> {
  const conn = connection();
  const kp = Keypair.generate();
  const sig = await conn.requestAirdrop(kp.publicKey, sol * LAMPORTS_PER_SOL);
  const { blockhash, lastValidBlockHeight } = await conn.getLatestBlockhash();
  await conn.confirmTransaction({ signature: sig, blockhash, lastValidBlockHeight }, "confirmed");
  return kp;
}

test("a plain web3.js transfer signed with a blockhash fetched 5 slots earlier lands (valid ~150 slots)", async () => {
  const conn = connection();
  const payer = await funded();
  const to = Keypair.generate().publicKey;
  const { blockhash, lastValidBlockHeight } = await conn.getLatestBlockhash("confirmed");
  const slot0 = await conn.getSlot();
  assert.ok(lastValidBlockHeight - (await conn.getBlockHeight()) >= 140, "lastValidBlockHeight ~150 slots ahead");
  // At least 5 slots on (a real validator on a busy machine can take longer than its nominal
  // 400 ms a slot).
  let slot1 = await conn.getSlot();
  for (let i = 0; i < 100 && slot1 - slot0 < 5; i++) {
    await sleep(200);
    slot1 = await conn.getSlot();
  }
  assert.ok(slot1 - slot0 >= 5, `slots went on while waiting (${slot0} → ${slot1})`);
  assert.equal((await conn.isBlockhashValid(blockhash)).value, true);
  const tx = new Transaction({ feePayer: payer.publicKey, blockhash, lastValidBlockHeight }).add(
    SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: 12_345_678 }),
  );
  tx.sign(payer);
  const sig = await conn.sendRawTransaction(tx.serialize());
  const res = await conn.confirmTransaction({ signature: sig, blockhash, lastValidBlockHeight }, "confirmed");
  assert.equal(res.value.err, null);
  assert.equal(await conn.getBalance(to), 12_345_678);
  // The record is the transaction as signed: same blockhash, same signature.
  const got = await conn.getTransaction(sig, { maxSupportedTransactionVersion: 0 });
  assert.equal(got!.transaction.message.recentBlockhash, blockhash);
  // Sent again: refused as already processed (preflight), nothing moves twice.
  await assert.rejects(conn.sendRawTransaction(tx.serialize()), /already been processed/);
  assert.equal(await conn.getBalance(to), 12_345_678);
  // sendAndConfirmTransaction (fetches its own blockhash) works too.
  await sendAndConfirmTransaction(conn, new Transaction().add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: 1 })), [payer], {
    commitment: "confirmed",
  });
  assert.equal(await conn.getBalance(to), 12_345_679);
});

test("spl-token: getTokenAccountBalance and getTokenAccountsByOwner (mint / programId, base64 / jsonParsed)", async () => {
  const conn = connection();
  const payer = await funded();
  const alice = Keypair.generate();
  const bob = Keypair.generate();
  const mint = await createMint(conn, payer, payer.publicKey, null, 6, undefined, { commitment: "confirmed" });
  const a = await getOrCreateAssociatedTokenAccount(conn, payer, mint, alice.publicKey, false, "confirmed");
  const b = await getOrCreateAssociatedTokenAccount(conn, payer, mint, bob.publicKey, false, "confirmed");
  await mintTo(conn, payer, mint, a.address, payer, 2_500_000n, [], { commitment: "confirmed" });
  await splTransfer(conn, payer, a.address, b.address, alice, 1_000_000n, [], { commitment: "confirmed" });

  const bal = await conn.getTokenAccountBalance(a.address);
  assert.deepEqual(bal.value, { amount: "1500000", decimals: 6, uiAmount: 1.5, uiAmountString: "1.5" });
  assert.equal((await conn.getTokenAccountBalance(b.address)).value.uiAmountString, "1");
  assert.equal((await getAccount(conn, b.address)).amount, 1_000_000n);
  await assert.rejects(conn.getTokenAccountBalance(alice.publicKey), /could not find account|not a Token account/);

  // base64 (web3.js's default for getTokenAccountsByOwner), by mint.
  const byMint = await conn.getTokenAccountsByOwner(alice.publicKey, { mint });
  assert.equal(byMint.value.length, 1);
  assert.ok(byMint.value[0]!.pubkey.equals(a.address));
  assert.ok(byMint.value[0]!.account.owner.equals(TOKEN_PROGRAM_ID));
  const raw = AccountLayout.decode(byMint.value[0]!.account.data);
  assert.equal(raw.amount, 1_500_000n);
  assert.ok(raw.owner.equals(alice.publicKey));

  // jsonParsed, by program id.
  const parsed = await conn.getParsedTokenAccountsByOwner(bob.publicKey, { programId: TOKEN_PROGRAM_ID });
  assert.equal(parsed.value.length, 1);
  const data = parsed.value[0]!.account.data;
  assert.equal(data.program, "spl-token");
  assert.equal(data.space, 165);
  assert.equal(data.parsed.type, "account");
  assert.equal(data.parsed.info.mint, mint.toBase58());
  assert.equal(data.parsed.info.owner, bob.publicKey.toBase58());
  assert.equal(data.parsed.info.state, "initialized");
  assert.equal(data.parsed.info.isNative, false);
  assert.deepEqual(data.parsed.info.tokenAmount, { amount: "1000000", decimals: 6, uiAmount: 1, uiAmountString: "1" });
  // A mint parsed by getParsedAccountInfo.
  const m = await conn.getParsedAccountInfo(mint);
  const md = m.value!.data as { parsed: { type: string; info: { decimals: number; supply: string; mintAuthority: string } } };
  assert.deepEqual([md.parsed.type, md.parsed.info.decimals, md.parsed.info.supply, md.parsed.info.mintAuthority], ["mint", 6, "2500000", payer.publicKey.toBase58()]);
  // Nobody else's accounts, and an unknown program id is refused.
  assert.equal((await conn.getTokenAccountsByOwner(Keypair.generate().publicKey, { programId: TOKEN_PROGRAM_ID })).value.length, 0);
  await assert.rejects(conn.getTokenAccountsByOwner(alice.publicKey, { programId: SystemProgram.programId }), /unrecognized Token program id/);

  // The Fulcrum quote token of a trader funded by the local faucet.
  const t = await trader(1_234n * USDC, { marginAccount: false });
  const quote = await conn.getParsedTokenAccountsByOwner(t.owner, { mint: t.quoteMint });
  assert.equal(quote.value.length, 1);
  assert.equal(quote.value[0]!.account.data.parsed.info.tokenAmount.amount, (1_234n * USDC).toString());
  assert.equal((await conn.getTokenAccountBalance(quote.value[0]!.pubkey)).value.amount, (1_234n * USDC).toString());
});

test("getSignaturesForAddress: newest first, with limit, before and until", async () => {
  const conn = connection();
  const payer = await funded();
  const to = Keypair.generate().publicKey;
  const sigs: string[] = [];
  for (let i = 1; i <= 3; i++) {
    sigs.push(
      await sendAndConfirmTransaction(conn, new Transaction().add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: 1_000_000 * i })), [payer], {
        commitment: "confirmed",
      }),
    );
  }
  const all = await conn.getSignaturesForAddress(to);
  assert.deepEqual(
    all.map((s) => s.signature),
    [...sigs].reverse(),
  );
  for (const s of all) {
    assert.equal(s.err, null);
    assert.equal(s.memo, null);
    // The local chain finalizes at once; a validator says "confirmed" until ~32 slots later.
    assert.ok(s.confirmationStatus === "confirmed" || s.confirmationStatus === "finalized", s.confirmationStatus ?? "none");
    assert.ok(s.slot > 0 && typeof s.blockTime === "number");
  }
  assert.ok(all[0]!.slot >= all[2]!.slot);
  assert.deepEqual((await conn.getSignaturesForAddress(to, { limit: 2 })).map((s) => s.signature), [sigs[2], sigs[1]]);
  assert.deepEqual((await conn.getSignaturesForAddress(to, { before: sigs[2] })).map((s) => s.signature), [sigs[1], sigs[0]]);
  assert.deepEqual((await conn.getSignaturesForAddress(to, { until: sigs[0] })).map((s) => s.signature), [sigs[2], sigs[1]]);
  // The payer's list has the airdrop too; an untouched address has none.
  assert.equal((await conn.getSignaturesForAddress(payer.publicKey)).length, 4);
  assert.deepEqual(await conn.getSignaturesForAddress(Keypair.generate().publicKey), []);
});

test("getRecentPrioritizationFees reports the compute unit price paid for a written account", async () => {
  const conn = connection();
  const payer = await funded();
  const to = Keypair.generate().publicKey;
  const tx = new Transaction().add(
    ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 4_321 }),
    SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: 1_000_000 }),
  );
  const sig = await sendAndConfirmTransaction(conn, tx, [payer], { commitment: "confirmed" });
  const slot = (await conn.getTransaction(sig, { maxSupportedTransactionVersion: 0 }))!.slot;
  // A validator reports the slots it has finalized: wait until the transaction's is among them.
  let fees = await conn.getRecentPrioritizationFees({ lockedWritableAccounts: [to] });
  for (let i = 0; i < 50 && !fees.some((f) => f.slot === slot); i++) {
    await sleep(200);
    fees = await conn.getRecentPrioritizationFees({ lockedWritableAccounts: [to] });
  }
  assert.ok(fees.length > 0 && fees.length <= 150, `${fees.length} slots`);
  assert.equal(new Set(fees.map((f) => f.slot)).size, fees.length, "one entry per slot");
  assert.deepEqual(
    fees.filter((f) => f.prioritizationFee > 0),
    [{ slot, prioritizationFee: 4_321 }],
  );
  // Without accounts: the lowest price of each slot's transactions (the transfer alone in its slot
  // unless others landed with it).
  const all = await conn.getRecentPrioritizationFees();
  const at = all.find((f) => f.slot === slot);
  assert.ok(at && at.prioritizationFee <= 4_321);
  // An account never written: the slot minimum only, never 4,321 from `to`.
  const other = await conn.getRecentPrioritizationFees({ lockedWritableAccounts: [Keypair.generate().publicKey] });
  assert.equal(other.find((f) => f.slot === slot)!.prioritizationFee, at!.prioritizationFee);
});

test("logsSubscribe: a Fulcrum deposit's logs arrive for mentions of the program and for 'all'", async () => {
  const conn = connection();
  const d = await getDeployment();
  const program = new PublicKey(d.programId);
  const t = await trader(100n * USDC);
  const byProgram: { signature: string; logs: string[]; err: unknown; slot: number }[] = [];
  const byAll: string[] = [];
  const sub1 = conn.onLogs(program, (l, ctx) => byProgram.push({ ...l, slot: ctx.slot }), "confirmed");
  const sub2 = conn.onLogs("all", (l) => byAll.push(l.signature), "confirmed");
  try {
    // The subscriptions are registered over the socket first: at least 500 ms, and on a validator
    // (whose price feeder keeps transactions flowing) until 'all' has delivered something, which
    // can take seconds on a loaded machine.
    await sleep(500);
    for (let i = 0; i < 100 && byAll.length === 0; i++) await sleep(50);
    const sig = await t.deposit(0, 10n * USDC);
    const deadline = Date.now() + 10_000;
    while (!(byProgram.some((l) => l.signature === sig) && byAll.includes(sig)) && Date.now() < deadline) await sleep(50);
    const got = byProgram.find((l) => l.signature === sig);
    assert.ok(got, `logsNotification for ${sig} (mentions ${program.toBase58()})`);
    assert.equal(got.err, null);
    assert.ok(got.slot > 0);
    assert.ok(got.logs.includes(`Program ${program.toBase58()} invoke [1]`), got.logs.join("\n"));
    assert.ok(got.logs.some((l) => l === `Program ${program.toBase58()} success`));
    assert.ok(byAll.includes(sig), "the 'all' subscription saw it too");
    // A transfer that does not touch Fulcrum reaches 'all' only.
    const payer = await funded(1);
    const other = await sendAndConfirmTransaction(
      conn,
      new Transaction().add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1_000_000 })),
      [payer],
      { commitment: "confirmed" },
    );
    const until = Date.now() + 10_000;
    while (!byAll.includes(other) && Date.now() < until) await sleep(50);
    assert.ok(byAll.includes(other));
    assert.ok(!byProgram.some((l) => l.signature === other));
  } finally {
    await conn.removeOnLogsListener(sub1);
    await conn.removeOnLogsListener(sub2);
  }
});

test("getTokenSupply: a mint's supply as web3.js reads it; the SDK's lpValuation on the LP mint", async () => {
  const conn = connection();
  const payer = await funded();
  const mint = await createMint(conn, payer, payer.publicKey, null, 6, undefined, { commitment: "confirmed" });
  assert.deepEqual((await conn.getTokenSupply(mint)).value, { amount: "0", decimals: 6, uiAmount: 0, uiAmountString: "0" });
  const a = await getOrCreateAssociatedTokenAccount(conn, payer, mint, payer.publicKey, false, "confirmed");
  await mintTo(conn, payer, mint, a.address, payer, 2_500_000n, [], { commitment: "confirmed" });
  const s = await conn.getTokenSupply(mint, "confirmed");
  assert.ok(s.context.slot > 0);
  assert.deepEqual(s.value, { amount: "2500000", decimals: 6, uiAmount: 2.5, uiAmountString: "2.5" });
  // Not a mint: the validator's errors.
  await assert.rejects(conn.getTokenSupply(a.address), /mint could not be unpacked/);
  await assert.rejects(conn.getTokenSupply(payer.publicKey), /not a Token mint/);
  await assert.rejects(conn.getTokenSupply(Keypair.generate().publicKey), /could not find account/);
  // The pool's LP share mint (seeded by the local chain's bootstrap), and the SDK's valuation on it.
  const d = await getDeployment();
  const t = await trader(0n, { marginAccount: false });
  const lp = await conn.getTokenSupply(t.lpMint);
  assert.equal(lp.value.decimals, d.quoteDecimals, "LP shares have the quote's decimals");
  assert.ok(BigInt(lp.value.amount) > 0n, lp.value.amount);
  const { valuation, supply } = await t.lpValuation(risk.Rounding.Down);
  assert.ok(supply >= BigInt(lp.value.amount), `share supply ${supply} counts the ${lp.value.amount} minted`);
  assert.ok(valuation);
});

/**
 * The invocations of `logs` as [depth, program], checking they nest as a validator logs them:
 * each `invoke [n]` one deeper than the invocations open, each `success` closing the innermost.
 */
function invocations(logs: string[]): [number, string][] {
  const out: [number, string][] = [];
  const stack: string[] = [];
  for (const l of logs) {
    const inv = /^Program (\S+) invoke \[(\d+)\]$/.exec(l);
    if (inv) {
      assert.equal(Number(inv[2]), stack.length + 1, `depth of "${l}" in\n${logs.join("\n")}`);
      stack.push(inv[1]!);
      out.push([stack.length, inv[1]!]);
      continue;
    }
    const ok = /^Program (\S+) success$/.exec(l);
    if (ok) assert.equal(stack.pop(), ok[1], `"${l}" closes the innermost invocation in\n${logs.join("\n")}`);
  }
  assert.equal(stack.length, 0, "every invocation closed");
  return out;
}

test("Anchor's EventParser reads both events of a deposit + trade transaction (getTransaction, logsSubscribe)", async () => {
  const conn = connection();
  const d = await getDeployment();
  const program = new PublicKey(d.programId);
  const token = TOKEN_PROGRAM_ID.toBase58();
  const t = await trader(2_000n * USDC);
  const sol = await marketIndex("SOL");
  const notified: { signature: string; logs: string[] }[] = [];
  const sub = conn.onLogs(program, (l) => notified.push(l), "confirmed");
  try {
    await sleep(500); // the subscription is registered over the socket first
    const sig = await t.send([await t.depositIx(0, 1_000n * USDC), await t.placePerpTradeIx(sol, "buy", 10n * SOL)]);

    // client.events(): EventParser over getTransaction's logMessages.
    const events = await t.events(sig);
    const names = events.map((e) => e.name);
    const dep = events.find((e) => e.name === "depositEvent");
    const trade = events.find((e) => e.name === "tradeEvent");
    assert.ok(dep && trade, `both events: ${JSON.stringify(names)}`);
    assert.ok(names.indexOf("depositEvent") < names.indexOf("tradeEvent"), JSON.stringify(names));
    assert.equal(dep.data.amount!.toString(), (1_000n * USDC).toString());
    assert.equal(trade.data.baseDelta!.toString(), (10n * SOL).toString());

    // One invoke [1] / success pair per instruction, the token transfer at depth 2 inside the deposit.
    const logs = (await conn.getTransaction(sig, { commitment: "confirmed", maxSupportedTransactionVersion: 0 }))!.meta!.logMessages!;
    const inv = invocations(logs);
    const p = program.toBase58();
    assert.deepEqual(inv.filter(([depth]) => depth === 1).map(([, id]) => id), [p, p]);
    assert.deepEqual(inv.slice(0, 2), [[1, p], [2, token]]);

    // The same logs over logsSubscribe, and EventParser finds the same events there.
    const deadline = Date.now() + 10_000;
    while (!notified.some((l) => l.signature === sig) && Date.now() < deadline) await sleep(50);
    const got = notified.find((l) => l.signature === sig);
    assert.ok(got, `logsNotification for ${sig}`);
    assert.deepEqual(got.logs, logs);
    // (The raw IDL names events as declared, `DepositEvent`; the SDK's Program camel-cases them.)
    const parser = new EventParser(program, new BorshCoder({ ...(IDL as unknown as Fulcrum), address: d.programId }));
    const lower = (n: string) => n.toLowerCase();
    assert.deepEqual([...parser.parseLogs(got.logs)].map((e) => lower(e.name)), names.map(lower));
  } finally {
    await conn.removeOnLogsListener(sub);
  }
});
