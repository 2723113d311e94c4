/**
 * FulcrumClient: instruction builders and send helpers for every instruction, account fetchers,
 * and the engine's view of any margin account. Works against any Solana RPC (the local chain,
 * `solana-test-validator`, devnet): it uses only the standard JSON-RPC API.
 */
import { createHash } from "node:crypto";
import { AnchorProvider, BN, BorshCoder, EventParser, Program, Wallet } from "@anchor-lang/core";
import {
  createAssociatedTokenAccountIdempotentInstruction,
  createMintToInstruction,
  getAssociatedTokenAddressSync,
  TOKEN_PROGRAM_ID,
} from "@solana/spl-token";
import {
  AccountMeta,
  AddressLookupTableAccount,
  AddressLookupTableProgram,
  ComputeBudgetProgram,
  Connection,
  Keypair,
  PublicKey,
  Signer,
  SystemProgram,
  TransactionInstruction,
  TransactionMessage,
  VersionedTransaction,
  type Commitment,
} from "@solana/web3.js";
import * as risk from "../risk";
import {
  decodeBank, decodeCorrelations, decodeExchange, decodeLpPosition, decodeMarginAccount, decodeMarket, decodePool,
  type LpPosition, type MarginAccount, type MarginRiskView, type PerpMarket,
} from "./accounts";
import { type Deployment, faucetKeypair } from "./deployment";
import { decodeError, FulcrumError } from "./errors";
import { IDL, type Fulcrum } from "./idl";
import { accountDiscriminator, accountSize, i128FromBytes } from "./layout";
import { readOracle, toEnginePrice } from "./oracle";
import { Orders } from "./orders";
import * as pda from "./pda";

import * as accountMath from "./report";
import {
  priceKey,
  type AccountReport, type AdlEntry, type AdlMarket, type BankEntry, type ExchangeState, type FillPreview, type MarginParts, type MarketEntry,
  type PriceBook, type RiskContext, type Side,
} from "./report";
import * as slotMath from "./slots";
import type { SlotSet } from "./slots";
import type { ReputationTierParams } from "./reputation";
import { depegRefreshIxs } from "./rate";

// The pure account math lives in ./report and ./slots (importable without a client); its types
// and `priceKey` stay importable from here.
export {
  priceKey,
  type AccountReport, type AdlEntry, type AdlMarket, type BankEntry, type ExchangeState, type FillPreview, type MarginParts, type MarketEntry,
  type PositionReport, type PriceBook, type RiskContext, type Side,
} from "./report";
export type { SlotSet } from "./slots";

/** `set_correlations` arguments (`CorrelationParams`). */
export interface CorrelationParams {
  /** Correlations, ppm: `n × n` rows, or row-major flat (n ≤ 12). */
  matrix: number[][] | number[];
  /** Asset of each collateral bank by bank index (255: none; bank 0, the quote, is ignored). */
  bankAssets: number[];
  /** Asset of each perp market by market index (255: none). */
  marketAssets: number[];
  /** Portfolio requirement ≥ floor × gross risk; ppm. */
  floor: number;
  /** Least account equity to switch to portfolio margin, quote native units. */
  minEquity: bigint;
}

export interface SendOptions {
  skipPreflight?: boolean;
  /** Address lookup tables: sends a v0 transaction. */
  lookupTables?: AddressLookupTableAccount[];
  /** Compute unit limit (adds a ComputeBudget instruction). */
  computeUnits?: number;
  /** Retries on an expired blockhash (rebuilt and re-signed). */
  retries?: number;
}

const sideArg = (s: Side): { buy: Record<string, never> } | { sell: Record<string, never> } => (s === "buy" ? { buy: {} } : { sell: {} });
const bn = (v: bigint | number): BN => new BN(v.toString());
const ro = (pubkey: PublicKey): AccountMeta => ({ pubkey, isSigner: false, isWritable: false });
const U64_MAX = (1n << 64n) - 1n;

export class FulcrumClient {
  readonly program: Program<Fulcrum>;
  readonly programId: PublicKey;
  readonly exchange: PublicKey;
  readonly provider: AnchorProvider;
  /** Set by {@link createLookupTable}: used automatically for transactions with many accounts. */
  lookupTable: AddressLookupTableAccount | null = null;
  private state: ExchangeState | null = null;
  /** Bank mint (base58) → symbol, from the deployment (the collateral rows of {@link accountReport}). */
  readonly bankSymbols: ReadonlyMap<string, string>;

  constructor(
    readonly connection: Connection,
    readonly wallet: Keypair,
    readonly deployment: Deployment,
  ) {
    this.provider = new AnchorProvider(connection, new Wallet(wallet), { commitment: "confirmed", preflightCommitment: "confirmed" });
    const idl = { ...(IDL as unknown as Fulcrum), address: deployment.programId } as Fulcrum;
    this.program = new Program<Fulcrum>(idl, this.provider);
    this.programId = new PublicKey(deployment.programId);
    this.exchange = new PublicKey(deployment.exchange);
    this.bankSymbols = new Map(deployment.banks.map((b) => [b.mint, b.symbol]));
  }

  static connect(rpcUrl: string, wallet: Keypair, deployment: Deployment, commitment: Commitment = "confirmed"): FulcrumClient {
    return new FulcrumClient(new Connection(rpcUrl, { commitment }), wallet, deployment);
  }

  /** The same exchange for another wallet. */
  withWallet(wallet: Keypair): FulcrumClient {
    const c = new FulcrumClient(this.connection, wallet, this.deployment);
    c.lookupTable = this.lookupTable;
    c.state = this.state;
    return c;
  }

  get owner(): PublicKey {
    return this.wallet.publicKey;
  }

  /** Order instructions and the order book (issue 16; `./orders.ts`), signed by this client's wallet. */
  get orders(): Orders {
    return new Orders(this);
  }

  // ------------------------------------------------------------------ addresses

  marginAccountAddress(owner: PublicKey = this.owner, subAccountId = 0): PublicKey {
    return pda.marginAccountAddress(this.exchange, owner, subAccountId, this.programId);
  }

  get poolAddress(): PublicKey {
    return pda.poolAddress(this.exchange, this.programId);
  }
  get lpMint(): PublicKey {
    return pda.lpMintAddress(this.exchange, this.programId);
  }
  get quoteMint(): PublicKey {
    return new PublicKey(this.deployment.quoteMint);
  }

  ata(mint: PublicKey, owner: PublicKey = this.owner): PublicKey {
    return getAssociatedTokenAddressSync(mint, owner, true);
  }

  // ------------------------------------------------------------------ reading

  /** Reads the exchange, pool, every bank and market (cached; `refresh` rereads). */
  async loadExchange(refresh = false): Promise<ExchangeState> {
    if (this.state && !refresh) return this.state;
    const ex = await this.connection.getAccountInfo(this.exchange);
    if (!ex) throw new Error(`exchange ${this.exchange.toBase58()} not found`);
    const exchange = decodeExchange(ex.data);
    const bankKeys = Array.from({ length: exchange.numBanks }, (_, i) => pda.bankAddress(this.exchange, i, this.programId));
    const marketKeys = Array.from({ length: exchange.numMarkets }, (_, i) => pda.marketAddress(this.exchange, i, this.programId));
    const poolAddress = this.poolAddress;
    const correlationsAddress = pda.correlationsAddress(this.exchange, this.programId);
    const keys = [poolAddress, ...bankKeys, ...marketKeys, correlationsAddress];
    const infos = await this.getMultiple(keys);
    const pool = decodePool(infos[0]!.data);
    const corr = infos[keys.length - 1];
    const correlations = corr && corr.owner.equals(this.programId) ? decodeCorrelations(corr.data) : null;
    const banks = new Map<number, BankEntry>();
    const markets = new Map<number, MarketEntry>();
    bankKeys.forEach((k, i) => {
      const info = infos[1 + i];
      if (info) banks.set(i, { address: k, bank: decodeBank(info.data) });
    });
    marketKeys.forEach((k, i) => {
      const info = infos[1 + bankKeys.length + i];
      if (info) markets.set(i, { address: k, market: decodeMarket(info.data) });
    });
    this.state = { address: this.exchange, exchange, pool, poolAddress, banks, markets, correlations, correlationsAddress };
    return this.state;
  }

  private async getMultiple(keys: PublicKey[]): Promise<({ data: Buffer; owner: PublicKey } | null)[]> {
    const out: ({ data: Buffer; owner: PublicKey } | null)[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      const chunk = await this.connection.getMultipleAccountsInfo(keys.slice(i, i + 100));
      out.push(...chunk.map((a) => (a ? { data: a.data, owner: a.owner } : null)));
    }
    return out;
  }

  /** Every oracle of the exchange, read and converted to engine prices. */
  async fetchPrices(state?: ExchangeState): Promise<PriceBook> {
    const s = state ?? (await this.loadExchange());
    const wanted = new Map<string, { oracle: PublicKey; decimals: number; feedId: Uint8Array }>();
    for (const { bank } of s.banks.values()) {
      if (bank.index !== 0) wanted.set(priceKey(bank.oracle, bank.decimals), { oracle: bank.oracle, decimals: bank.decimals, feedId: bank.feedId });
    }
    for (const { market } of s.markets.values()) {
      wanted.set(priceKey(market.oracle, market.baseDecimals), { oracle: market.oracle, decimals: market.baseDecimals, feedId: market.feedId });
    }
    const list = [...wanted.values()];
    const infos = await this.getMultiple(list.map((w) => w.oracle));
    const book: PriceBook = new Map();
    list.forEach((w, i) => {
      const info = infos[i];
      if (!info) return;
      const reading = readOracle(info.data, info.owner, w.feedId);
      book.set(priceKey(w.oracle, w.decimals), toEnginePrice(reading, w.decimals, s.exchange.quoteDecimals));
    });
    return book;
  }

  async marginAccount(address: PublicKey = this.marginAccountAddress()): Promise<MarginAccount | null> {
    const info = await this.connection.getAccountInfo(address);
    return info ? decodeMarginAccount(info.data) : null;
  }

  /** Every margin account of this exchange: `getProgramAccounts` with size, discriminator and exchange filters. */
  async allMarginAccounts(): Promise<{ pubkey: PublicKey; data: Buffer }[]> {
    const accounts = await this.connection.getProgramAccounts(this.programId, {
      commitment: "confirmed",
      filters: FulcrumClient.marginAccountFilters(this.exchange),
    });
    return accounts.map((a) => ({ pubkey: a.pubkey, data: a.account.data }));
  }

  static marginAccountFilters(exchange: PublicKey): ({ dataSize: number } | { memcmp: { offset: number; bytes: string } })[] {
    return [
      { dataSize: accountSize("MarginAccount") },
      { memcmp: { offset: 0, bytes: encodeBase58(accountDiscriminator("MarginAccount")) } },
      { memcmp: { offset: 8, bytes: exchange.toBase58() } },
    ];
  }

  // The engine's view of accounts: pure functions in ./report, kept here as thin delegates.

  static riskContext(state: ExchangeState, prices: PriceBook): RiskContext {
    return accountMath.riskContext(state, prices);
  }
  static marginParts(v: MarginAccount | MarginRiskView, ctx: RiskContext): MarginParts {
    return accountMath.marginParts(v, ctx);
  }
  static marginModel(v: MarginAccount | MarginRiskView, mainMarkets: number[], ctx: RiskContext): risk.MarginModel | null {
    return accountMath.marginModel(v, mainMarkets, ctx);
  }
  static riskAccountFast(v: MarginAccount | MarginRiskView, ctx: RiskContext): risk.RiskAccount {
    return accountMath.riskAccountFast(v, ctx);
  }
  static riskAccount(acct: MarginAccount | MarginRiskView, state: ExchangeState, prices: PriceBook): risk.RiskAccount {
    return accountMath.riskAccount(acct, state, prices);
  }

  /** Balances, positions (entry, mark, PnL, liquidation price), leverage and health state. */
  async accountReport(address: PublicKey = this.marginAccountAddress()): Promise<AccountReport | null> {
    const account = await this.marginAccount(address);
    if (!account) return null;
    const state = await this.loadExchange(true);
    const prices = await this.fetchPrices(state);
    return accountMath.accountReport(address, account, state, prices, this.bankSymbols);
  }

  static report(address: PublicKey, account: MarginAccount, state: ExchangeState, prices: PriceBook, symbols?: ReadonlyMap<string, string>): AccountReport {
    return accountMath.accountReport(address, account, state, prices, symbols);
  }

  // ------------------------------------------------------------------ winners: PnL cap and ADL (pure: ./report)

  static marketExposure(m: PerpMarket, price: bigint): risk.MarketExposure {
    return accountMath.marketExposure(m, price);
  }
  static marketHaircut(m: PerpMarket, price: bigint, poolBalance: bigint): risk.PnlHaircut {
    return accountMath.marketHaircut(m, price, poolBalance);
  }
  static adlMarkets(state: ExchangeState, prices: PriceBook): AdlMarket[] {
    return accountMath.adlMarkets(state, prices);
  }
  static adlRanking(
    state: ExchangeState,
    prices: PriceBook,
    accounts: Iterable<[string, MarginAccount | MarginRiskView]>,
    marketIndex: number,
    ctx?: RiskContext,
  ): AdlEntry[] {
    return accountMath.adlRanking(state, prices, accounts, marketIndex, ctx);
  }
  static adlRank(state: ExchangeState, prices: PriceBook, accounts: Iterable<[string, MarginAccount | MarginRiskView]>, account: string): Map<number, AdlEntry> {
    return accountMath.adlRank(state, prices, accounts, account);
  }
  static previewFill(acct: MarginAccount | MarginRiskView | null, state: ExchangeState, prices: PriceBook, marketIndex: number, delta: bigint): FillPreview {
    return accountMath.previewFill(acct, state, prices, marketIndex, delta);
  }

  /** {@link previewFill} of a trade (or, with `reduceOnly` and a size past the position, of its close). */
  async tradePreview(marketIndex: number, side: Side, baseSize: bigint, opts: { reduceOnly?: boolean; account?: PublicKey } = {}): Promise<FillPreview> {
    const state = await this.loadExchange(true);
    const prices = await this.fetchPrices(state);
    const acct = await this.marginAccount(opts.account ?? this.marginAccountAddress());
    const held = acct?.perps.find((p) => p.marketIndex === marketIndex)?.base ?? 0n;
    let delta = side === "buy" ? baseSize : -baseSize;
    const absHeld = held < 0n ? -held : held;
    if (opts.reduceOnly && held !== 0n && baseSize > absHeld) delta = -held;
    return FulcrumClient.previewFill(acct, state, prices, marketIndex, delta);
  }

  /** Permissionless `auto_deleverage` of `account`'s position in `marketIndex`, signed by this client's wallet. */
  async autoDeleverageIx(account: PublicKey, marketIndex: number): Promise<TransactionInstruction> {
    const state = await this.loadExchange();
    const m = this.marketEntry(state, marketIndex);
    // Built by hand (its discriminator is Anchor's `global:auto_deleverage`) so that it does not
    // wait for the regenerated IDL types.
    const data = createHash("sha256").update("global:auto_deleverage").digest().subarray(0, 8);
    return new TransactionInstruction({
      programId: this.programId,
      keys: [
        { pubkey: this.exchange, isSigner: false, isWritable: false },
        { pubkey: account, isSigner: false, isWritable: true },
        { pubkey: this.owner, isSigner: true, isWritable: false },
        { pubkey: m.address, isSigner: false, isWritable: true },
        { pubkey: m.market.oracle, isSigner: false, isWritable: false },
        { pubkey: state.poolAddress, isSigner: false, isWritable: true },
      ],
      data: Buffer.from(data),
    });
  }

  // ------------------------------------------------------------------ health accounts

  /**
   * The remaining accounts of a margin check for an account with `slots`: the canonical list, then
   * the exchange's correlations for a portfolio account, then the pool when it has a perp slot.
   */
  healthMetas(slots: SlotSet, state: ExchangeState): AccountMeta[] {
    const metas: AccountMeta[] = [];
    for (const i of [...slots.collateral].sort((a, b) => a - b)) {
      const b = state.banks.get(i);
      if (!b) throw new Error(`bank ${i} not listed`);
      metas.push(ro(b.address), ro(b.bank.oracle));
    }
    for (const i of [...slots.perps].sort((a, b) => a - b)) {
      const m = state.markets.get(i);
      if (!m) throw new Error(`market ${i} not listed`);
      metas.push(ro(m.address), ro(m.market.oracle));
    }
    if (slots.portfolio) metas.push(ro(pda.correlationsAddress(this.exchange, this.programId)));
    // Any perp slot: the pool, whose cash sets each market's PnL cap.
    if (slots.perps.length > 0) metas.push(ro(state.poolAddress));
    return metas;
  }

  /**
   * `refresh_bank_rate` of each bank of `account`'s collateral whose depeg factor would
   * be too old for a risk-increasing check ({@link depegRefreshIxs}); empty for most accounts.
   * The send helpers below (withdraw, trade, isolated transfer, margin mode) prepend them.
   */
  async depegRefreshIxs(account: PublicKey = this.marginAccountAddress()): Promise<TransactionInstruction[]> {
    const state = await this.loadExchange();
    const acct = await this.marginAccount(account);
    return depegRefreshIxs(this.programId, this.exchange, state.banks, FulcrumClient.slotsOf(acct).collateral);
  }

  static slotsOf(acct: MarginAccount | MarginRiskView | null): SlotSet {
    return slotMath.slotsOf(acct);
  }
  static slotsAfterTrade(acct: MarginAccount | null, market: number, delta: bigint): SlotSet {
    return slotMath.slotsAfterTrade(acct, market, delta);
  }
  static slotsAfterIsolatedTransfer(acct: MarginAccount | null, market: number, amount: bigint): SlotSet {
    return slotMath.slotsAfterIsolatedTransfer(acct, market, amount);
  }
  static slotsAfterWithdraw(acct: MarginAccount | null, bankIndex: number, amount: bigint): SlotSet {
    return slotMath.slotsAfterWithdraw(acct, bankIndex, amount);
  }

  private marketMetas(state: ExchangeState): AccountMeta[] {
    return [...state.markets.entries()].sort(([a], [b]) => a - b).flatMap(([, m]) => [ro(m.address), ro(m.market.oracle)]);
  }

  private bankEntry(state: ExchangeState, index: number): BankEntry {
    const b = state.banks.get(index);
    if (!b) throw new Error(`bank ${index} not listed`);
    return b;
  }

  /**
   * The `quote` accounts group (the program's `QuoteVault`) of the liquidations and the insurance
   * fund: Anchor's client takes a composite's accounts nested under its name and lays them out
   * flat, in order, in the instruction.
   */
  private static quoteVault(quote: BankEntry): { bank: PublicKey; vault: PublicKey } {
    return { bank: quote.address, vault: quote.bank.vault };
  }

  private marketEntry(state: ExchangeState, index: number): MarketEntry {
    const m = state.markets.get(index);
    if (!m) throw new Error(`market ${index} not listed`);
    return m;
  }

  /** Market index by name ("SOL-PERP"), symbol ("SOL") or number. */
  async resolveMarket(name: string | number): Promise<number> {
    const state = await this.loadExchange();
    if (typeof name === "number") return name;
    if (/^\d+$/.test(name)) return Number(name);
    const up = name.toUpperCase();
    for (const [i, m] of state.markets) {
      const n = Buffer.from(m.market.name).toString("utf8").replace(/\0+$/, "");
      if (n === up || n === `${up}-PERP`) return i;
    }
    throw new Error(`unknown market ${name}`);
  }

  /** Bank index by symbol ("USDC", "SOL") or number. */
  async resolveBank(name: string | number): Promise<number> {
    if (typeof name === "number") return name;
    if (/^\d+$/.test(name)) return Number(name);
    const up = name.toUpperCase();
    const b = this.deployment.banks.find((x) => x.symbol.toUpperCase() === up);
    if (!b) throw new Error(`unknown bank ${name}`);
    return b.index;
  }

  // ------------------------------------------------------------------ instructions: traders

  async createMarginAccountIx(subAccountId = 0, owner: PublicKey = this.owner): Promise<TransactionInstruction> {
    return this.program.methods
      .createMarginAccount(subAccountId)
      .accountsPartial({ owner, exchange: this.exchange, marginAccount: this.marginAccountAddress(owner, subAccountId), systemProgram: SystemProgram.programId })
      .instruction();
  }

  /**
   * `withHealth`: name the account's margin-check accounts, so a quote top-up of an account
   * below initial margin is exempt from the quote bank's cap up to its shortfall.
   */
  async depositIx(
    bankIndex: number,
    amount: bigint,
    opts: { account?: PublicKey; source?: PublicKey; depositor?: PublicKey; withHealth?: boolean } = {},
  ): Promise<TransactionInstruction> {
    const state = await this.loadExchange();
    const b = this.bankEntry(state, bankIndex);
    const depositor = opts.depositor ?? this.owner;
    const address = opts.account ?? this.marginAccountAddress();
    const health = opts.withHealth ? this.healthMetas(FulcrumClient.slotsOf(await this.marginAccount(address)), state) : [];
    return this.program.methods
      .deposit(bn(amount))
      .accountsPartial({
        exchange: this.exchange,
        marginAccount: address,
        bank: b.address,
        vault: b.bank.vault,
        source: opts.source ?? this.ata(b.bank.mint, depositor),
        depositor,
        tokenProgram: TOKEN_PROGRAM_ID,
        pool: this.poolAddress,
      })
      .remainingAccounts(health)
      .instruction();
  }

  async withdrawIx(bankIndex: number, amount: bigint, opts: { account?: PublicKey; destination?: PublicKey } = {}): Promise<TransactionInstruction> {
    const state = await this.loadExchange();
    const b = this.bankEntry(state, bankIndex);
    const address = opts.account ?? this.marginAccountAddress();
    const acct = await this.marginAccount(address);
    return this.program.methods
      .withdraw(bn(amount))
      .accountsPartial({
        exchange: this.exchange,
        marginAccount: address,
        owner: this.owner,
        bank: b.address,
        vault: b.bank.vault,
        destination: opts.destination ?? this.ata(b.bank.mint),
        tokenProgram: TOKEN_PROGRAM_ID,
      })
      .remainingAccounts(this.healthMetas(FulcrumClient.slotsAfterWithdraw(acct, bankIndex, amount), state))
      .instruction();
  }

  /** `fillQuote` of ./report: the latency spread and fill price of an immediate fill (pure; see there). */
  static fillQuote(market: PerpMarket, reading: { price: bigint; conf: bigint }, oracle: bigint, side: Side, slot?: bigint): { oracle: bigint; spread: number; fillPrice: bigint } {
    return accountMath.fillQuote(market, reading, oracle, side, slot);
  }

  /** {@link FulcrumClient.fillQuote} for market `marketIndex` now (its oracle and the current slot). */
  async quoteFill(marketIndex: number, side: Side, state?: ExchangeState): Promise<{ oracle: bigint; spread: number; fillPrice: bigint }> {
    const s = state ?? (await this.loadExchange());
    const m = this.marketEntry(s, marketIndex);
    const [info] = await this.getMultiple([m.market.oracle]);
    if (!info) throw new Error(`oracle ${m.market.oracle.toBase58()} not found`);
    const reading = readOracle(info.data, info.owner, m.market.feedId);
    const price = toEnginePrice(reading, m.market.baseDecimals, s.exchange.quoteDecimals);
    const slot = BigInt(await this.connection.getSlot("confirmed"));
    return FulcrumClient.fillQuote(m.market, reading, price.oracle, side, slot);
  }

  /**
   * `place_perp_trade`. `limitPrice` bounds the fill price (spread included); without it,
   * `slippagePpm` sets it that far past the quoted fill price ({@link FulcrumClient.quoteFill}:
   * oracle ± the latency spread), and with neither the trade takes any price.
   */
  async placePerpTradeIx(
    marketIndex: number,
    side: Side,
    baseSize: bigint,
    opts: { limitPrice?: bigint; slippagePpm?: number; reduceOnly?: boolean; account?: PublicKey } = {},
  ): Promise<TransactionInstruction> {
    const state = await this.loadExchange();
    const m = this.marketEntry(state, marketIndex);
    let limitPrice = opts.limitPrice;
    if (limitPrice === undefined && opts.slippagePpm !== undefined) {
      const q = await this.quoteFill(marketIndex, side, state);
      const slip = BigInt(opts.slippagePpm);
      limitPrice = side === "buy"
        ? risk.mulDivCeil(q.fillPrice, risk.RATIO_ONE + slip, risk.RATIO_ONE)
        : risk.mulDivFloor(q.fillPrice, slip >= risk.RATIO_ONE ? 0n : risk.RATIO_ONE - slip, risk.RATIO_ONE);
    }
    const address = opts.account ?? this.marginAccountAddress();
    const acct = await this.marginAccount(address);
    const held = acct?.perps.find((p) => p.marketIndex === marketIndex)?.base ?? 0n;
    let delta = side === "buy" ? baseSize : -baseSize;
    const absHeld = held < 0n ? -held : held;
    if (opts.reduceOnly && held !== 0n && baseSize > absHeld) delta = -held;
    const limit = limitPrice ?? (side === "buy" ? U64_MAX : 0n);
    return this.program.methods
      .placePerpTrade({ side: sideArg(side), baseSize: bn(baseSize), limitPrice: bn(limit), reduceOnly: opts.reduceOnly ?? false })
      .accountsPartial({
        exchange: this.exchange,
        marginAccount: address,
        trader: this.owner,
        market: m.address,
        oracle: m.market.oracle,
        pool: state.poolAddress,
      })
      .remainingAccounts(this.healthMetas(FulcrumClient.slotsAfterTrade(acct, marketIndex, delta), state))
      .instruction();
  }

  /** Reduce-only trade closing the whole position in `marketIndex`. */
  async closePositionIx(marketIndex: number, account: PublicKey = this.marginAccountAddress()): Promise<TransactionInstruction> {
    const acct = await this.marginAccount(account);
    const base = acct?.perps.find((p) => p.marketIndex === marketIndex)?.base ?? 0n;
    if (base === 0n) throw new Error(`no position in market ${marketIndex}`);
    return this.placePerpTradeIx(marketIndex, base > 0n ? "sell" : "buy", base < 0n ? -base : base, { reduceOnly: true, account });
  }

  async setDelegateIx(delegate: PublicKey, account: PublicKey = this.marginAccountAddress()): Promise<TransactionInstruction> {
    return this.program.methods.setDelegate(delegate).accountsPartial({ owner: this.owner, marginAccount: account }).instruction();
  }

  async closeMarginAccountIx(account: PublicKey = this.marginAccountAddress()): Promise<TransactionInstruction> {
    return this.program.methods
      .closeMarginAccount()
      .accountsPartial({ exchange: this.exchange, marginAccount: account, owner: this.owner })
      .instruction();
  }

  /**
   * Closing an account as its owner expects: the program refuses while the account's order book
   * exists (`OrderBookStillOpen`), so open orders are cancelled (fees refunded) and the book
   * closed (its rent back) first, in the same transaction.
   */
  async closeMarginAccountIxs(account: PublicKey = this.marginAccountAddress()): Promise<TransactionInstruction[]> {
    const book = await this.orders.fetchBook(account);
    const ixs: TransactionInstruction[] = [];
    if (book) {
      if (book.openCount > 0) ixs.push(await this.orders.cancelAllOrdersIx(null, account));
      ixs.push(await this.orders.closeOrderBookIx(account));
    }
    ixs.push(await this.closeMarginAccountIx(account));
    return ixs;
  }

  /**
   * `transfer_isolated_collateral`: `amount` > 0 moves quote from the account's balance into its
   * isolated position in `marketIndex` (opening the isolated slot), < 0 moves it back. Health
   * accounts are those of the account after the change.
   */
  async transferIsolatedCollateralIx(account: PublicKey, marketIndex: number, amount: bigint): Promise<TransactionInstruction> {
    const state = await this.loadExchange();
    const m = this.marketEntry(state, marketIndex);
    const acct = await this.marginAccount(account);
    return this.program.methods
      .transferIsolatedCollateral(bn(amount))
      .accountsPartial({ exchange: this.exchange, marginAccount: account, trader: this.owner, market: m.address })
      .remainingAccounts(this.healthMetas(FulcrumClient.slotsAfterIsolatedTransfer(acct, marketIndex, amount), state))
      .instruction();
  }

  /**
   * `set_margin_mode`: cross or portfolio. The correlations are a named account here; the
   * remaining accounts are the canonical list of the account as it is (without them).
   */
  async setMarginModeIx(account: PublicKey, mode: risk.MarginMode): Promise<TransactionInstruction> {
    const state = await this.loadExchange();
    const acct = await this.marginAccount(account);
    return this.program.methods
      .setMarginMode(mode)
      .accountsPartial({ exchange: this.exchange, marginAccount: account, owner: this.owner, correlations: state.correlationsAddress })
      .remainingAccounts(this.healthMetas({ ...FulcrumClient.slotsOf(acct), portfolio: false }, state))
      .instruction();
  }

  // ------------------------------------------------------------------ instructions: keepers

  async refreshHealthIx(account: PublicKey): Promise<TransactionInstruction> {
    const state = await this.loadExchange();
    const acct = await this.marginAccount(account);
    return this.program.methods
      .refreshHealth()
      .accountsPartial({ exchange: this.exchange, marginAccount: account })
      .remainingAccounts(this.healthMetas(FulcrumClient.slotsOf(acct), state))
      .instruction();
  }

  /** The permissionless `refresh_reputation` crank of `account` (issue 18 §1): its margin-check accounts. */
  async refreshReputationIx(account: PublicKey): Promise<TransactionInstruction> {
    const state = await this.loadExchange();
    const acct = await this.marginAccount(account);
    return this.program.methods
      .refreshReputation()
      .accountsPartial({ exchange: this.exchange, marginAccount: account })
      .remainingAccounts(this.healthMetas(FulcrumClient.slotsOf(acct), state))
      .instruction();
  }

  /**
   * `liquidate_perp` of `account`'s position in `marketIndex`; the fee goes to the keeper's quote
   * ATA. `orderBook`: name the account's order book, whose risk-increasing orders the program
   * then cancels (their fees to the keeper, which is then writable).
   */
  async liquidatePerpIx(account: PublicKey, marketIndex: number, acct?: MarginAccount | MarginRiskView, opts: { orderBook?: boolean } = {}): Promise<TransactionInstruction> {
    const state = await this.loadExchange();
    const m = this.marketEntry(state, marketIndex);
    const quote = this.bankEntry(state, 0);
    const a = acct ?? (await this.marginAccount(account));
    const slots = FulcrumClient.slotsOf(a);
    return this.program.methods
      .liquidatePerp()
      .accountsPartial({
        exchange: this.exchange,
        marginAccount: account,
        liquidator: this.owner,
        liquidatorQuote: this.ata(quote.bank.mint),
        quote: FulcrumClient.quoteVault(quote),
        market: m.address,
        oracle: m.market.oracle,
        pool: state.poolAddress,
        tokenProgram: TOKEN_PROGRAM_ID,
        orderBook: opts.orderBook ? pda.orderBookAddress(account, this.programId) : null,
      })
      .remainingAccounts(this.healthMetas(slots, state))
      .instruction()
      .then((ix) => (opts.orderBook ? withWritable(ix, this.owner) : ix));
  }

  async liquidateCollateralIx(account: PublicKey, bankIndex: number, maxRepay: bigint, acct?: MarginAccount | MarginRiskView): Promise<TransactionInstruction> {
    const state = await this.loadExchange();
    const b = this.bankEntry(state, bankIndex);
    const quote = this.bankEntry(state, 0);
    const a = acct ?? (await this.marginAccount(account));
    const slots = FulcrumClient.slotsOf(a);
    return this.program.methods
      .liquidateCollateral(bn(maxRepay))
      .accountsPartial({
        exchange: this.exchange,
        marginAccount: account,
        liquidator: this.owner,
        liquidatorQuote: this.ata(quote.bank.mint),
        liquidatorCollateral: this.ata(b.bank.mint),
        quote: FulcrumClient.quoteVault(quote),
        bank: b.address,
        vault: b.bank.vault,
        tokenProgram: TOKEN_PROGRAM_ID,
        pool: this.poolAddress,
      })
      .remainingAccounts(this.healthMetas(slots, state))
      .instruction();
  }

  /** Permissionless `crank_market`: funding, volatility, breaker and effective ratios from the oracle. */
  async crankMarketIx(marketIndex: number): Promise<TransactionInstruction> {
    const state = await this.loadExchange();
    const m = this.marketEntry(state, marketIndex);
    return this.program.methods
      .crankMarket()
      .accountsPartial({ exchange: this.exchange, market: m.address, oracle: m.market.oracle, pool: state.poolAddress })
      .instruction();
  }

  async resolveBankruptcyIx(account: PublicKey): Promise<TransactionInstruction> {
    return this.program.methods
      .resolveBankruptcy()
      .accountsPartial({ exchange: this.exchange, marginAccount: account, pool: this.poolAddress })
      .instruction();
  }

  // ------------------------------------------------------------------ instructions: LPs and insurance

  /** Accounts both LP instructions name, the quote and share token accounts of the provider. */
  private async lpAccounts() {
    const state = await this.loadExchange();
    const quote = this.bankEntry(state, 0);
    const common = {
      exchange: this.exchange,
      pool: state.poolAddress,
      lpMint: this.lpMint,
      quoteBank: quote.address,
      vault: quote.bank.vault,
      provider: this.owner,
      tokenProgram: TOKEN_PROGRAM_ID,
    };
    return { state, common, quoteAta: this.ata(quote.bank.mint), lpAta: this.ata(this.lpMint) };
  }

  /** The provider's cooldown account (`[lp_position, exchange, provider]`). */
  lpPositionAddress(provider: PublicKey = this.owner): PublicKey {
    return pda.lpPositionAddress(this.exchange, provider, this.programId);
  }

  /**
   * Deposits `amount` of quote for at least `minSharesOut` shares (`LpSlippageExceeded`
   * otherwise; see `previewLpDeposit`). With an exchange LP cooldown the shares are locked in the
   * provider's `LpPosition` until `lpClaimIx`.
   */
  async lpDepositIx(amount: bigint, minSharesOut = 0n): Promise<TransactionInstruction> {
    const { state, common, quoteAta, lpAta } = await this.lpAccounts();
    return this.program.methods
      .lpDeposit(bn(amount), bn(minSharesOut))
      .accountsPartial({
        ...common, source: quoteAta, lpDestination: lpAta, lpPosition: this.lpPositionAddress(), systemProgram: SystemProgram.programId,
      })
      .remainingAccounts(this.marketMetas(state))
      .instruction();
  }

  /** Burns `shares` for at least `minAmountOut` of quote, after the withdrawal fee. */
  async lpWithdrawIx(shares: bigint, minAmountOut = 0n): Promise<TransactionInstruction> {
    const { state, common, quoteAta, lpAta } = await this.lpAccounts();
    return this.program.methods
      .lpWithdraw(bn(shares), bn(minAmountOut))
      .accountsPartial({ ...common, lpSource: lpAta, destination: quoteAta })
      .remainingAccounts(this.marketMetas(state))
      .instruction();
  }

  /** Mints the provider's locked shares once the cooldown has passed (`LpCooldownActive` before). */
  async lpClaimIx(): Promise<TransactionInstruction> {
    const { common, lpAta } = await this.lpAccounts();
    return this.program.methods
      .lpClaim()
      .accountsPartial({
        exchange: common.exchange, pool: common.pool, lpMint: common.lpMint, lpPosition: this.lpPositionAddress(),
        lpDestination: lpAta, provider: common.provider, tokenProgram: common.tokenProgram,
      })
      .instruction();
  }

  /** The provider's shares still in cooldown, if any. */
  async lpPosition(provider: PublicKey = this.owner): Promise<LpPosition | null> {
    const info = await this.connection.getAccountInfo(this.lpPositionAddress(provider));
    return info ? decodeLpPosition(info.data) : null;
  }

  /**
   * The pool as LP flows value it now, each market at its oracle mid with funding accrued to the
   * last crank (`risk.LpValuation`), and the share supply (minted + locked + dead). The program
   * marks each market at the edge of its confidence interval against the LP and accrues funding
   * to the second, so its figure can differ by the confidence and a few seconds of funding: a
   * preview, to set `minSharesOut` / `minAmountOut` with some slippage.
   */
  async lpValuation(side: risk.Rounding): Promise<{ valuation: risk.LpValuation; supply: bigint }> {
    const state = await this.loadExchange(true);
    const prices = await this.fetchPrices(state);
    const minted = BigInt((await this.connection.getTokenSupply(this.lpMint)).value.amount);
    return accountMath.lpValuation(state, prices, side, minted);
  }

  /** Shares an LP deposit of `amount` would mint now (see `lpValuation`). */
  async previewLpDeposit(amount: bigint): Promise<bigint> {
    const { valuation, supply } = await this.lpValuation(risk.Rounding.Up);
    return risk.previewLpDeposit(amount, valuation, supply);
  }

  /** Quote burning `shares` would pay now, after the withdrawal fee (see `lpValuation`). */
  async previewLpWithdraw(shares: bigint): Promise<bigint> {
    const { valuation, supply } = await this.lpValuation(risk.Rounding.Down);
    const state = await this.loadExchange();
    return risk.previewLpWithdrawal(shares, valuation, supply, state.exchange.lpWithdrawalFee ?? 0);
  }

  async insuranceDepositIx(amount: bigint): Promise<TransactionInstruction> {
    const state = await this.loadExchange();
    const quote = this.bankEntry(state, 0);
    return this.program.methods
      .insuranceDeposit(bn(amount))
      .accountsPartial({
        exchange: this.exchange,
        pool: state.poolAddress,
        quote: FulcrumClient.quoteVault(quote),
        source: this.ata(quote.bank.mint),
        depositor: this.owner,
        tokenProgram: TOKEN_PROGRAM_ID,
      })
      .instruction();
  }

  async insuranceWithdrawIx(amount: bigint, destination?: PublicKey): Promise<TransactionInstruction> {
    const state = await this.loadExchange();
    const quote = this.bankEntry(state, 0);
    return this.program.methods
      .insuranceWithdraw(bn(amount))
      .accountsPartial({
        admin: this.owner,
        exchange: this.exchange,
        pool: state.poolAddress,
        quote: FulcrumClient.quoteVault(quote),
        destination: destination ?? this.ata(quote.bank.mint),
        tokenProgram: TOKEN_PROGRAM_ID,
      })
      .instruction();
  }

  // ------------------------------------------------------------------ instructions: admin

  /** Admin instructions, built straight from the IDL (argument types as Anchor's `methods`). */
  get admin(): {
    initializeExchange: (exchangeId: number, params: Record<string, unknown>, quoteDepositCap: bigint, quoteMint: PublicKey) => Promise<TransactionInstruction>;
    addCollateralBank: (bankIndex: number, oracleKind: number, feedId: number[], params: Record<string, unknown>, mint: PublicKey, oracle: PublicKey) => Promise<TransactionInstruction>;
    addPerpMarket: (marketIndex: number, name: number[], baseDecimals: number, oracleKind: number, feedId: number[], params: Record<string, unknown>, oracle: PublicKey) => Promise<TransactionInstruction>;
    updateExchangeParams: (params: Record<string, unknown>) => Promise<TransactionInstruction>;
    setPaused: (flags: number) => Promise<TransactionInstruction>;
    setMarketPaused: (market: PublicKey, flags: number) => Promise<TransactionInstruction>;
    updateBankParams: (bank: PublicKey, params: Record<string, unknown>) => Promise<TransactionInstruction>;
    updateMarketParams: (market: PublicKey, params: Record<string, unknown>) => Promise<TransactionInstruction>;
    setCorrelations: (params: CorrelationParams) => Promise<TransactionInstruction>;
    /** `set_reputation_tiers` (issue 18 §1): the whole tier table; `tiers: []` turns tiers off. */
    setReputationTiers: (params: ReputationTierParams) => Promise<TransactionInstruction>;
  } {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const m = this.program.methods as any;
    const admin = this.owner;
    const exchange = this.exchange;
    const pid = this.programId;
    return {
      initializeExchange: (exchangeId, params, cap, quoteMint) => {
        const ex = pda.exchangeAddress(admin, exchangeId, pid);
        return m.initializeExchange(exchangeId, params, bn(cap)).accountsPartial({
          admin, quoteMint, exchange: ex, quoteBank: pda.bankAddress(ex, 0, pid), quoteVault: pda.vaultAddress(ex, quoteMint, pid),
          pool: pda.poolAddress(ex, pid), lpMint: pda.lpMintAddress(ex, pid), tokenProgram: TOKEN_PROGRAM_ID, systemProgram: SystemProgram.programId,
        }).instruction();
      },
      addCollateralBank: (bankIndex, oracleKind, feedId, params, mint, oracle) =>
        m.addCollateralBank(bankIndex, oracleKind, feedId, params).accountsPartial({
          admin, exchange, mint, oracle, bank: pda.bankAddress(exchange, bankIndex, pid), vault: pda.vaultAddress(exchange, mint, pid),
          tokenProgram: TOKEN_PROGRAM_ID, systemProgram: SystemProgram.programId,
        }).instruction(),
      addPerpMarket: (marketIndex, name, baseDecimals, oracleKind, feedId, params, oracle) =>
        m.addPerpMarket(marketIndex, name, baseDecimals, oracleKind, feedId, params).accountsPartial({
          admin, exchange, oracle, market: pda.marketAddress(exchange, marketIndex, pid), systemProgram: SystemProgram.programId,
        }).instruction(),
      updateExchangeParams: (params) => m.updateExchangeParams(params).accountsPartial({ admin, exchange }).instruction(),
      setPaused: (flags) => m.setPaused(flags).accountsPartial({ admin, exchange }).instruction(),
      setMarketPaused: (market, flags) => m.setMarketPaused(flags).accountsPartial({ admin, exchange, market }).instruction(),
      updateBankParams: (bank, params) => m.updateBankParams(params).accountsPartial({ admin, exchange, bank }).instruction(),
      updateMarketParams: (market, params) => m.updateMarketParams(params).accountsPartial({ admin, exchange, market }).instruction(),
      setCorrelations: (p) =>
        m.setCorrelations({
          matrix: p.matrix.flat(),
          bankAssets: Buffer.from(p.bankAssets),
          marketAssets: Buffer.from(p.marketAssets),
          floor: p.floor,
          minEquity: bn(p.minEquity),
        }).accountsPartial({ admin, exchange, correlations: pda.correlationsAddress(exchange, pid), systemProgram: SystemProgram.programId }).instruction(),
      setReputationTiers: (p) =>
        m.setReputationTiers({
          tiers: p.tiers,
          equityCap: bn(p.equityCap),
          minHoldSecs: p.minHoldSecs,
          upgradePeriodSecs: p.upgradePeriodSecs,
          coolOffSecs: p.coolOffSecs,
        }).accountsPartial({ admin, exchange }).instruction(),
    };
  }

  // ------------------------------------------------------------------ token helpers

  /** Creates the wallet's associated token accounts for `mints` (idempotent). */
  ataIxs(mints: PublicKey[], owner: PublicKey = this.owner): TransactionInstruction[] {
    return mints.map((mint) => createAssociatedTokenAccountIdempotentInstruction(this.owner, this.ata(mint, owner), owner, mint));
  }

  /** Local chain only: mints test tokens from the deployment's faucet. */
  async faucet(mint: PublicKey, amount: bigint, owner: PublicKey = this.owner): Promise<string> {
    const faucet = faucetKeypair(this.deployment);
    if (!faucet) throw new Error("this deployment has no faucet (local chain only)");
    const ixs = [
      createAssociatedTokenAccountIdempotentInstruction(this.owner, this.ata(mint, owner), owner, mint),
      createMintToInstruction(mint, this.ata(mint, owner), faucet.publicKey, amount),
    ];
    return this.send(ixs, [faucet]);
  }

  async tokenBalance(mint: PublicKey, owner: PublicKey = this.owner): Promise<bigint> {
    const info = await this.connection.getAccountInfo(this.ata(mint, owner));
    return info ? info.data.readBigUInt64LE(64) : 0n;
  }

  // ------------------------------------------------------------------ sending

  /**
   * Signs (wallet first, then `signers`) and sends `ixs`, then waits until processed. Program
   * errors are thrown as {@link FulcrumError}. Uses a v0 transaction when lookup tables are
   * given, or when the client has one and the legacy transaction would be too large.
   */
  async send(ixs: TransactionInstruction[], signers: Signer[] = [], opts: SendOptions = {}): Promise<string> {
    const all = opts.computeUnits ? [ComputeBudgetProgram.setComputeUnitLimit({ units: opts.computeUnits }), ...ixs] : ixs;
    let tables = opts.lookupTables;
    if (!tables && this.lookupTable && uniqueKeys(all) > 30) tables = [this.lookupTable];
    const retries = opts.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      const { blockhash } = await this.connection.getLatestBlockhash("confirmed");
      const msg = new TransactionMessage({ payerKey: this.owner, recentBlockhash: blockhash, instructions: all });
      const tx = new VersionedTransaction(tables ? msg.compileToV0Message(tables) : msg.compileToLegacyMessage());
      const keys = [this.wallet, ...signers.filter((s) => !s.publicKey.equals(this.owner))];
      tx.sign(keys);
      let sig: string;
      try {
        sig = await this.connection.sendRawTransaction(tx.serialize(), { skipPreflight: opts.skipPreflight ?? false, preflightCommitment: "confirmed" });
      } catch (e) {
        if (attempt < retries && /Blockhash not found|BlockhashNotFound/i.test(String((e as Error).message))) continue;
        throw decodeError(e) ?? e;
      }
      const status = await this.confirm(sig);
      if (status === "expired") {
        if (attempt < retries) continue;
        throw new Error(`transaction ${sig} did not land`);
      }
      if (status !== null) {
        const decoded = decodeError({ err: status });
        if (decoded) throw decoded;
        throw new Error(`transaction ${sig} failed: ${JSON.stringify(status)}`);
      }
      return sig;
    }
  }

  /** Waits for `sig`: `null` when it succeeded, its error when it failed, "expired" if it never lands. */
  async confirm(sig: string, timeoutMs = 30_000): Promise<unknown> {
    const start = Date.now();
    let delay = 50;
    while (Date.now() - start < timeoutMs) {
      const { value } = await this.connection.getSignatureStatuses([sig]);
      const s = value[0];
      if (s && (s.confirmationStatus === "confirmed" || s.confirmationStatus === "finalized" || s.err)) return s.err ?? null;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 500);
    }
    return "expired";
  }

  /** Events the program emitted in transaction `sig` (Anchor's EventParser over the logs). */
  async events(sig: string): Promise<{ name: string; data: Record<string, unknown> }[]> {
    const tx = await this.connection.getTransaction(sig, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
    const logs = tx?.meta?.logMessages ?? [];
    const parser = new EventParser(this.programId, new BorshCoder(this.program.idl));
    return [...parser.parseLogs(logs)].map((e) => ({ name: e.name, data: e.data as Record<string, unknown> }));
  }

  // ------------------------------------------------------------------ high-level helpers

  /** Creates the margin account if it does not exist, with ATAs for the quote mint and LP mint. */
  async ensureMarginAccount(subAccountId = 0): Promise<PublicKey> {
    const address = this.marginAccountAddress(this.owner, subAccountId);
    if (await this.connection.getAccountInfo(address)) return address;
    await this.send([...this.ataIxs([this.quoteMint]), await this.createMarginAccountIx(subAccountId)]);
    return address;
  }

  async deposit(bankIndex: number, amount: bigint): Promise<string> {
    return this.send([await this.depositIx(bankIndex, amount)]);
  }
  async withdraw(bankIndex: number, amount: bigint): Promise<string> {
    const state = await this.loadExchange();
    const mint = this.bankEntry(state, bankIndex).bank.mint;
    return this.send([...this.ataIxs([mint]), ...(await this.depegRefreshIxs()), await this.withdrawIx(bankIndex, amount)]);
  }
  async trade(
    marketIndex: number,
    side: Side,
    baseSize: bigint,
    opts: { limitPrice?: bigint; slippagePpm?: number; reduceOnly?: boolean } = {},
  ): Promise<string> {
    const refresh = opts.reduceOnly ? [] : await this.depegRefreshIxs();
    return this.send([...refresh, await this.placePerpTradeIx(marketIndex, side, baseSize, opts)]);
  }
  async closePosition(marketIndex: number): Promise<string> {
    return this.send([await this.closePositionIx(marketIndex)]);
  }
  async transferIsolatedCollateral(account: PublicKey, marketIndex: number, amount: bigint): Promise<string> {
    return this.send([...(await this.depegRefreshIxs(account)), await this.transferIsolatedCollateralIx(account, marketIndex, amount)]);
  }
  async setMarginMode(account: PublicKey, mode: risk.MarginMode): Promise<string> {
    return this.send([...(await this.depegRefreshIxs(account)), await this.setMarginModeIx(account, mode)]);
  }
  /** Admin (this client's wallet): replaces the exchange's portfolio-margin configuration. */
  async setCorrelations(params: CorrelationParams): Promise<string> {
    const sig = await this.send([await this.admin.setCorrelations(params)]);
    if (this.state) await this.loadExchange(true);
    return sig;
  }
  async lpDeposit(amount: bigint, minSharesOut = 0n): Promise<string> {
    return this.send([...this.ataIxs([this.lpMint]), await this.lpDepositIx(amount, minSharesOut)]);
  }
  async lpWithdraw(shares: bigint, minAmountOut = 0n): Promise<string> {
    return this.send([await this.lpWithdrawIx(shares, minAmountOut)]);
  }
  async lpClaim(): Promise<string> {
    return this.send([...this.ataIxs([this.lpMint]), await this.lpClaimIx()]);
  }

  /**
   * Creates and fills an address lookup table with the exchange's static accounts (banks,
   * vaults, markets, oracles, pool, programs) and waits until it is usable; later sends with many
   * accounts go out as v0 transactions through it.
   */
  async createLookupTable(): Promise<AddressLookupTableAccount> {
    const state = await this.loadExchange();
    const addresses: PublicKey[] = [this.exchange, state.poolAddress, this.lpMint, TOKEN_PROGRAM_ID, this.programId];
    for (const b of state.banks.values()) addresses.push(b.address, b.bank.vault, b.bank.mint, ...(b.bank.index === 0 ? [] : [b.bank.oracle]));
    for (const m of state.markets.values()) addresses.push(m.address, m.market.oracle);
    const unique = [...new Map(addresses.map((a) => [a.toBase58(), a])).values()];
    const slot = await this.connection.getSlot("finalized");
    const [create, table] = AddressLookupTableProgram.createLookupTable({ authority: this.owner, payer: this.owner, recentSlot: Math.max(0, slot - 1) });
    await this.send([create]);
    for (let i = 0; i < unique.length; i += 20) {
      await this.send([AddressLookupTableProgram.extendLookupTable({ lookupTable: table, authority: this.owner, payer: this.owner, addresses: unique.slice(i, i + 20) })]);
    }
    // Usable from the slot after the last extension.
    const extendedAt = await this.connection.getSlot();
    while ((await this.connection.getSlot()) <= extendedAt + 1) await new Promise((r) => setTimeout(r, 100));
    const acct = (await this.connection.getAddressLookupTable(table)).value;
    if (!acct) throw new Error("lookup table not found after creation");
    this.lookupTable = acct;
    return acct;
  }
}

/** `ix` with `key` writable (an optional account that pays it makes the signer writable). */
function withWritable(ix: TransactionInstruction, key: PublicKey): TransactionInstruction {
  ix.keys = ix.keys.map((k) => (k.pubkey.equals(key) ? { ...k, isWritable: true } : k));
  return ix;
}

function uniqueKeys(ixs: TransactionInstruction[]): number {
  const s = new Set<string>();
  for (const ix of ixs) {
    s.add(ix.programId.toBase58());
    for (const k of ix.keys) s.add(k.pubkey.toBase58());
  }
  return s.size + 1;
}

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/** Base58 of arbitrary bytes (memcmp filters). */
export function encodeBase58(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = n * 256n + BigInt(b);
  let out = "";
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = "1" + out;
  }
  return out;
}

export { FulcrumError };
