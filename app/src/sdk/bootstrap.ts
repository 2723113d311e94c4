/**
 * The demo exchange of `fulcrum-localnet --bootstrap demo` (crates/localnet/src/bootstrap.rs),
 * built through the SDK against any RPC endpoint with Fulcrum and mock-pyth loaded: a local
 * validator (`scripts/test-validator.sh`). USDC-like quote mint, SOL/BTC/ETH collateral banks
 * and perp markets on mock-pyth price accounts (SOL and BTC PriceUpdateV2, ETH legacy), a seeded
 * pool and insurance fund. The deployment it returns has the same shape as the local chain's,
 * with `"prices": "mock-pyth"`, and keys that are for a local validator only.
 */
import { BN } from "@anchor-lang/core";
import { createMint } from "@solana/spl-token";
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, Transaction, sendAndConfirmTransaction } from "@solana/web3.js";
import { FulcrumClient } from "./client";
import type { Deployment } from "./deployment";
import { createMockPythAccountIx, mockPriceFromDollars, mockPythSetPriceIx, type OracleEntry } from "./mockPyth";
import { OracleKind } from "./oracle";
import * as pda from "./pda";

const USDC = 1_000_000n;
const EXPO = -8;
const U64_HALF = (1n << 63n) - 1n;
const U64_QUARTER = (1n << 62n) - 1n;

interface Asset {
  symbol: string;
  decimals: number;
  price: number;
  initMarginRatio: number;
  maintMarginRatio: number;
  stepSize: bigint;
  initAssetWeight: number;
  maintAssetWeight: number;
  format: "PriceUpdateV2" | "legacy";
}

/** The same assets and parameters as the local chain's demo bootstrap. */
const ASSETS: Asset[] = [
  { symbol: "SOL", decimals: 9, price: 150, initMarginRatio: 100_000, maintMarginRatio: 50_000, stepSize: 1_000_000n, initAssetWeight: 800_000, maintAssetWeight: 900_000, format: "PriceUpdateV2" },
  { symbol: "BTC", decimals: 8, price: 65_000, initMarginRatio: 50_000, maintMarginRatio: 25_000, stepSize: 10_000n, initAssetWeight: 900_000, maintAssetWeight: 950_000, format: "PriceUpdateV2" },
  { symbol: "ETH", decimals: 8, price: 3_000, initMarginRatio: 100_000, maintMarginRatio: 50_000, stepSize: 100_000n, initAssetWeight: 850_000, maintAssetWeight: 900_000, format: "legacy" },
];

/** The local chain's feed id of `symbol` (XOR of "fulcrum-localnet:<symbol>" into 32 bytes). */
export function demoFeedId(symbol: string): Uint8Array {
  const id = new Uint8Array(32);
  const tag = Buffer.from(`fulcrum-localnet:${symbol}`);
  tag.forEach((b, i) => (id[i % 32]! ^= b));
  return id;
}

async function airdrop(connection: Connection, to: PublicKey, sol: number): Promise<void> {
  const sig = await connection.requestAirdrop(to, sol * LAMPORTS_PER_SOL);
  const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash("confirmed");
  await connection.confirmTransaction({ signature: sig, blockhash, lastValidBlockHeight }, "confirmed");
}

/**
 * Builds the demo exchange on `connection` (Fulcrum at `programId`; mock-pyth at the Pyth program
 * ids). `log` reports each step.
 */
export async function bootstrapDemoExchange(
  connection: Connection,
  opts: { programId?: PublicKey; rpcUrl?: string; log?: (line: string) => void } = {},
): Promise<Deployment> {
  const log = opts.log ?? (() => {});
  const programId = opts.programId ?? pda.PROGRAM_ID;
  const admin = Keypair.generate();
  const faucet = Keypair.generate();
  log("funding the admin and the faucet (airdrops)");
  await airdrop(connection, admin.publicKey, 100);
  await airdrop(connection, faucet.publicKey, 100);
  log("quote mint (USDC-like, 6 decimals; authority: the faucet)");
  const quoteMint = await createMint(connection, faucet, faucet.publicKey, null, 6, undefined, { commitment: "confirmed" });

  const exchange = pda.exchangeAddress(admin.publicKey, 0, programId);
  const deployment: Deployment = {
    cluster: "localnet",
    rpcUrl: opts.rpcUrl,
    programId: programId.toBase58(),
    exchange: exchange.toBase58(),
    admin: admin.publicKey.toBase58(),
    quoteMint: quoteMint.toBase58(),
    quoteDecimals: 6,
    pool: pda.poolAddress(exchange, programId).toBase58(),
    lpMint: pda.lpMintAddress(exchange, programId).toBase58(),
    banks: [
      {
        index: 0, symbol: "USDC", address: pda.bankAddress(exchange, 0, programId).toBase58(), mint: quoteMint.toBase58(),
        vault: pda.vaultAddress(exchange, quoteMint, programId).toBase58(), oracle: PublicKey.default.toBase58(), decimals: 6,
      },
    ],
    markets: [],
    oracles: {},
    prices: "mock-pyth",
    localOnly: { faucetSecretKey: Array.from(faucet.secretKey), adminSecretKey: Array.from(admin.secretKey) },
  };
  const adminClient = new FulcrumClient(connection, admin, deployment);
  log(`initialize_exchange ${exchange.toBase58()}`);
  await adminClient.send([
    await adminClient.admin.initializeExchange(
      0,
      {
        quoteInitLiabilityWeight: 1_000_000,
        quoteMaintLiabilityWeight: 1_000_000,
        unrealizedPnlInitWeight: 1_000_000,
        maxPoolUtilisation: 800_000,
        marginCallGraceSlots: new BN(0),
        liquidationThresholdRatio: 800_000,
        liquidationBuffer: 100_000,
        liquidatorFee: 5_000,
        insuranceFee: 2_500,
        collateralLiquidationDiscount: 40_000,
        insuranceFeeShare: 100_000,
        insuranceFloor: new BN(0),
        dustNotional: new BN((10n * USDC).toString()),
        // LP flows as the local chain sets them (crates/localnet/src/bootstrap.rs).
        lpCooldownSecs: 0,
        lpWithdrawalFee: 0,
        maxPnlFactorForDeposits: 600_000,
        maxPnlFactorForWithdrawals: 300_000,
        // Orders as the local chain sets them (crates/localnet/src/bootstrap.rs).
        orderFeeLamports: new BN(100_000),
        triggerBand: 50_000,
      },
      U64_HALF,
      quoteMint,
    ),
  ]);

  for (const [i, a] of ASSETS.entries()) {
    const oracle = Keypair.generate();
    const feedId = demoFeedId(a.symbol);
    const entry: OracleEntry = { address: oracle.publicKey.toBase58(), format: a.format, feedId: Buffer.from(feedId).toString("hex"), exponent: EXPO };
    log(`${a.symbol}: mock-pyth ${a.format} price account ${entry.address} at $${a.price}`);
    await sendAndConfirmTransaction(
      connection,
      new Transaction().add(
        await createMockPythAccountIx(connection, faucet.publicKey, oracle.publicKey, a.format),
        mockPythSetPriceIx(oracle.publicKey, a.format, mockPriceFromDollars(a.price, EXPO), feedId),
      ),
      [faucet, oracle],
      { commitment: "confirmed" },
    );
    deployment.oracles![a.symbol] = entry;
    const kind = a.format === "legacy" ? OracleKind.PythLegacy : OracleKind.PythPull;

    const bankIndex = i + 1;
    const mint = await createMint(connection, faucet, faucet.publicKey, null, a.decimals, undefined, { commitment: "confirmed" });
    log(`${a.symbol}: collateral bank ${bankIndex}`);
    await adminClient.send([
      await adminClient.admin.addCollateralBank(
        bankIndex,
        kind,
        Array.from(feedId),
        { initAssetWeight: a.initAssetWeight, maintAssetWeight: a.maintAssetWeight, maxOracleAge: 60, maxConfRatio: 20_000, depositCap: new BN(U64_HALF.toString()) },
        mint,
        oracle.publicKey,
      ),
    ]);
    deployment.banks.push({
      index: bankIndex, symbol: a.symbol, address: pda.bankAddress(exchange, bankIndex, programId).toBase58(), mint: mint.toBase58(),
      vault: pda.vaultAddress(exchange, mint, programId).toBase58(), oracle: oracle.publicKey.toBase58(), decimals: a.decimals,
    });

    const label = `${a.symbol}-PERP`;
    const name = Array.from(Buffer.concat([Buffer.from(label), Buffer.alloc(16 - label.length)]));
    log(`${a.symbol}: perp market ${i} (${label})`);
    await adminClient.send([
      await adminClient.admin.addPerpMarket(
        i,
        name,
        a.decimals,
        kind,
        Array.from(feedId),
        {
          initMarginRatio: a.initMarginRatio,
          maintMarginRatio: a.maintMarginRatio,
          imf: 0,
          takerFee: 1_000,
          maxOracleAge: 60,
          maxConfRatio: 20_000,
          stepSize: new BN(a.stepSize.toString()),
          longOiCap: new BN(U64_QUARTER.toString()),
          shortOiCap: new BN(U64_QUARTER.toString()),
          // Dynamic risk off, as the local chain's demo (update_market_params turns it on).
          volZ: 0,
          volHorizonSecs: 3_600,
          volDecaySecs: 3_600,
          maintFraction: 0,
          maxMaintIncreasePerHour: 0,
          oiPremium: 0,
          priceBand: 0,
          breakerCooldownSecs: 0,
          fundingFactor: 0,
          maxFundingRate: 0,
          impactFee: 0,
          liquidationMaxAge: 120,
          // As crates/localnet/src/bootstrap.rs: latency spread, PnL cap and ADL on; capacity off.
          maxFillAge: 60,
          minSpread: 0,
          spreadZ: 3_000_000,
          maxPnlFactor: 300_000,
          adlThreshold: 450_000,
          adlFloor: 250_000,
          reserveFactor: 0,
          borrowBaseRate: 0,
          borrowSlope1: 0,
          borrowKink: 800_000,
          borrowSlope2: 0,
          oiShock: 0,
          oiPoolFraction: 0,
        },
        oracle.publicKey,
      ),
    ]);
    deployment.markets.push({
      index: i, name: label, symbol: a.symbol, address: pda.marketAddress(exchange, i, programId).toBase58(),
      oracle: oracle.publicKey.toBase58(), baseDecimals: a.decimals, stepSize: a.stepSize.toString(),
    });
  }

  // Seed the pool (LP) and the insurance fund from the faucet.
  const seed = 5_000_000n * USDC;
  const insurance = 50_000n * USDC;
  const provider = new FulcrumClient(connection, faucet, deployment);
  log(`pool: LP deposit of ${seed / USDC} USDC; insurance fund ${insurance / USDC} USDC`);
  await provider.faucet(quoteMint, seed + insurance);
  await provider.send([...provider.ataIxs([provider.lpMint]), await provider.lpDepositIx(seed)]);
  await provider.send([await provider.insuranceDepositIx(insurance)]);
  return deployment;
}
