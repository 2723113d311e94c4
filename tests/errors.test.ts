// Program errors come back decoded by name, with and without preflight.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FulcrumError } from "../app/src/sdk";
import { marketIndex, SOL, trader, USDC } from "./helpers";

test("a trade past initial margin fails as TradeExceedsInitialMargin (preflight)", async () => {
  const t = await trader(1_000n * USDC);
  await t.deposit(0, 100n * USDC);
  await assert.rejects(t.trade(await marketIndex("SOL"), "buy", 1_000n * SOL), (e: unknown) => {
    assert.ok(e instanceof FulcrumError, String(e));
    assert.equal(e.errorName, "TradeExceedsInitialMargin");
    return true;
  });
});

test("skipPreflight: the landed failure is decoded from the signature status", async () => {
  const t = await trader(1_000n * USDC);
  await t.deposit(0, 100n * USDC);
  const ix = await t.withdrawIx(0, 1_000n * USDC);
  await assert.rejects(t.send([ix], [], { skipPreflight: true }), (e: unknown) => {
    assert.ok(e instanceof FulcrumError, String(e));
    assert.match(e.errorName, /InsufficientBalance|WithdrawalExceedsInitialMargin/);
    return true;
  });
});

test("a healthy account is NotLiquidatable", async () => {
  const t = await trader(1_000n * USDC);
  await t.deposit(0, 500n * USDC);
  await t.trade(await marketIndex("SOL"), "buy", SOL);
  const keeper = await trader(0n, { marginAccount: false });
  await keeper.send(keeper.ataIxs([keeper.quoteMint]));
  await assert.rejects(keeper.send([await keeper.liquidatePerpIx(t.marginAccountAddress(), await marketIndex("SOL"))]), (e: unknown) => {
    assert.ok(e instanceof FulcrumError);
    assert.equal(e.errorName, "NotLiquidatable");
    return true;
  });
});
