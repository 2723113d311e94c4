/** A small, strict argument parser (no dependency): flags, `--k v`, `--k=v`, aliases, positionals. */
export interface ArgSpec {
  strings?: string[];
  booleans?: string[];
  aliases?: Record<string, string>;
}

export interface ParsedArgs {
  positionals: string[];
  strings: Record<string, string | undefined>;
  flags: Record<string, boolean>;
}

export class ArgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArgError";
  }
}

export function parseArgs(argv: string[], spec: ArgSpec): ParsedArgs {
  const strings = new Set(spec.strings ?? []);
  const booleans = new Set(spec.booleans ?? []);
  const out: ParsedArgs = { positionals: [], strings: {}, flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | null = null;
    let inline: string | undefined;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq >= 0 ? a.slice(eq + 1) : undefined;
    } else if (a.length > 1 && a.startsWith("-") && !/^-\d/.test(a)) {
      name = a.slice(1);
    }
    if (name === null) {
      out.positionals.push(a);
      continue;
    }
    const full = spec.aliases?.[name] ?? name;
    if (booleans.has(full)) {
      if (inline !== undefined) throw new ArgError(`--${full} takes no value`);
      out.flags[full] = true;
    } else if (strings.has(full)) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new ArgError(`--${full} needs a value`);
      out.strings[full] = v;
    } else {
      throw new ArgError(`unknown option ${a}`);
    }
  }
  return out;
}

/** "1.25" with 6 decimals → 1_250_000n; rejects more decimals than the token has. */
export function parseUnits(text: string, decimals: number): bigint {
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) throw new ArgError(`not an amount: ${text}`);
  const frac = m[2] ?? "";
  if (frac.length > decimals) throw new ArgError(`${text}: at most ${decimals} decimals`);
  return BigInt(m[1]!) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, "0") || "0");
}

/** 1_250_000n with 6 decimals → "1.25". */
export function formatUnits(v: bigint, decimals: number, maxFraction = decimals): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const scale = 10n ** BigInt(decimals);
  let frac = (a % scale).toString().padStart(decimals, "0").slice(0, maxFraction).replace(/0+$/, "");
  const whole = (a / scale).toString();
  if (decimals === 0) frac = "";
  return `${neg ? "-" : ""}${whole}${frac ? "." + frac : ""}`;
}

export type Side = "buy" | "sell";
export function parseSide(s: string): Side {
  const v = s.toLowerCase();
  if (v === "buy" || v === "long") return "buy";
  if (v === "sell" || v === "short") return "sell";
  throw new ArgError(`side must be buy/long or sell/short, not ${s}`);
}

export type Command =
  | { cmd: "markets" }
  | { cmd: "account"; address?: string; sub: number }
  | { cmd: "reputation"; address?: string; sub: number }
  | { cmd: "deposit"; amount: string; token: string }
  | { cmd: "withdraw"; amount: string; token: string }
  | { cmd: "trade"; market: string; side: Side; size: string; limit?: string; reduceOnly: boolean; sl?: string; tp?: string }
  | { cmd: "close"; market: string }
  | { cmd: "lp"; action: "deposit" | "withdraw"; amount: string; min?: string }
  | { cmd: "lp"; action: "claim" }
  | { cmd: "faucet"; amount: string; token: string }
  | OrderCommand
  | { cmd: "help" };

export interface CliInvocation {
  command: Command;
  json: boolean;
  url?: string;
  keypair?: string;
  config?: string;
  deployment?: string;
}

export const CLI_SPEC: ArgSpec = {
  strings: ["url", "keypair", "config", "deployment", "token", "limit", "sub", "min", "sl", "tp", "type", "price", "expires", "client-id", "market"],
  booleans: ["json", "reduce-only", "help"],
  aliases: { u: "url", k: "keypair", C: "config", h: "help", t: "token" },
};

/** `--sub N`: a sub-account id, 0..65535 (default 0). */
function parseSub(v: string | undefined): number {
  const sub = Number(v ?? 0);
  if (!Number.isInteger(sub) || sub < 0 || sub > 65535) throw new ArgError("--sub must be 0..65535");
  return sub;
}

/** Parses a `fulcrum` command line. */
export function parseCli(argv: string[]): CliInvocation {
  const a = parseArgs(argv, CLI_SPEC);
  const base = { json: !!a.flags.json, url: a.strings.url, keypair: a.strings.keypair, config: a.strings.config, deployment: a.strings.deployment };
  const [cmd, ...rest] = a.positionals;
  const need = (n: number, usage: string): void => {
    if (rest.length !== n) throw new ArgError(`usage: fulcrum ${usage}`);
  };
  const token = a.strings.token ?? "USDC";
  if (a.flags.help || !cmd || cmd === "help") return { ...base, command: { cmd: "help" } };
  switch (cmd) {
    case "markets":
      need(0, "markets");
      return { ...base, command: { cmd: "markets" } };
    case "account": {
      if (rest.length > 1) throw new ArgError("usage: fulcrum account [ADDRESS] [--sub N]");
      return { ...base, command: { cmd: "account", address: rest[0], sub: parseSub(a.strings.sub) } };
    }
    case "reputation": {
      if (rest[0] !== "refresh" || rest.length > 2) throw new ArgError("usage: fulcrum reputation refresh [ADDRESS] [--sub N]");
      return { ...base, command: { cmd: "reputation", address: rest[1], sub: parseSub(a.strings.sub) } };
    }
    case "deposit":
    case "withdraw":
    case "faucet":
      need(1, `${cmd} AMOUNT [--token SYMBOL]`);
      parseUnits(rest[0]!, 18);
      return { ...base, command: { cmd, amount: rest[0]!, token } };
    case "trade": {
      need(3, "trade MARKET buy|sell SIZE [--limit PRICE] [--reduce-only] [--sl PRICE] [--tp PRICE]");
      parseUnits(rest[2]!, 18);
      for (const k of ["limit", "sl", "tp"]) if (a.strings[k] !== undefined) parseUnits(a.strings[k]!, 18);
      const triggers = { ...(a.strings.sl !== undefined ? { sl: a.strings.sl } : {}), ...(a.strings.tp !== undefined ? { tp: a.strings.tp } : {}) };
      return { ...base, command: { cmd: "trade", market: rest[0]!, side: parseSide(rest[1]!), size: rest[2]!, limit: a.strings.limit, reduceOnly: !!a.flags["reduce-only"], ...triggers } };
    }
    case "close":
      need(1, "close MARKET");
      return { ...base, command: { cmd: "close", market: rest[0]! } };
    case "lp": {
      const [action, amount] = rest;
      if (action === "claim" && rest.length === 1) return { ...base, command: { cmd: "lp", action } };
      if ((action !== "deposit" && action !== "withdraw") || amount === undefined || rest.length !== 2) {
        throw new ArgError("usage: fulcrum lp deposit|withdraw AMOUNT [--min N] | fulcrum lp claim");
      }
      parseUnits(amount, 18);
      if (a.strings.min !== undefined) parseUnits(a.strings.min, 18);
      return { ...base, command: { cmd: "lp", action, amount, ...(a.strings.min !== undefined ? { min: a.strings.min } : {}) } };
    }
    case "order":
      return { ...base, command: parseOrder(rest, a) };
    default:
      throw new ArgError(`unknown command ${cmd} (markets, account, reputation, deposit, withdraw, trade, close, lp, faucet, order)`);
  }
}

/** `fulcrum order …` (issue 16). Prices in quote per whole unit; SIZE "all": the whole position (reduce-only triggers). */
export type OrderCommand =
  | {
      cmd: "order";
      action: "place";
      market: string;
      side: Side;
      /** Whole units, or "all". */
      size: string;
      /** market | limit | stop-loss | take-profit. */
      type: string;
      /** Limit price (limit) or trigger (stop-loss, take-profit). */
      price?: string;
      /** Worst fill price (slippage bound). */
      limit?: string;
      reduceOnly: boolean;
      /** Seconds from now. */
      expires?: string;
      clientId?: string;
    }
  | { cmd: "order"; action: "list"; address?: string }
  | { cmd: "order"; action: "cancel"; id: string; market?: string };

export const ORDER_TYPES = ["market", "limit", "stop-loss", "take-profit"];
const ORDER_USAGE = "order place MARKET buy|sell SIZE|all --type market|limit|stop-loss|take-profit [--price P] [--limit P] [--reduce-only] [--expires SECS] [--client-id N] | order list [ADDRESS] | order cancel ID|all [--market M]";

function parseOrder(rest: string[], a: ParsedArgs): OrderCommand {
  const [action, ...r] = rest;
  const usage = (): ArgError => new ArgError(`usage: fulcrum ${ORDER_USAGE}`);
  const uint = (v: string | undefined, what: string): string | undefined => {
    if (v !== undefined && !/^\d+$/.test(v)) throw new ArgError(`${what} must be a whole number, not ${v}`);
    return v;
  };
  switch (action) {
    case "place": {
      if (r.length !== 3) throw usage();
      const type = (a.strings.type ?? "market").toLowerCase();
      if (!ORDER_TYPES.includes(type)) throw new ArgError(`--type must be one of ${ORDER_TYPES.join(", ")}`);
      const size = r[2]!.toLowerCase() === "all" ? "all" : r[2]!;
      if (size !== "all") parseUnits(size, 18);
      else if (!a.flags["reduce-only"] || type === "market" || type === "limit") throw new ArgError("size all: only a reduce-only stop-loss or take-profit");
      if (type !== "market" && a.strings.price === undefined) throw new ArgError(`--type ${type} needs --price`);
      for (const k of ["price", "limit"]) if (a.strings[k] !== undefined) parseUnits(a.strings[k]!, 18);
      uint(a.strings.expires, "--expires");
      uint(a.strings["client-id"], "--client-id");
      const opt = (k: string, key: string): Record<string, string> => (a.strings[k] !== undefined ? { [key]: a.strings[k]! } : {});
      return {
        cmd: "order", action, market: r[0]!, side: parseSide(r[1]!), size, type, reduceOnly: !!a.flags["reduce-only"],
        ...opt("price", "price"), ...opt("limit", "limit"), ...opt("expires", "expires"), ...opt("client-id", "clientId"),
      };
    }
    case "list":
      if (r.length > 1) throw usage();
      return { cmd: "order", action, ...(r[0] !== undefined ? { address: r[0] } : {}) };
    case "cancel": {
      if (r.length !== 1) throw usage();
      const id = r[0]!.toLowerCase();
      if (id !== "all") uint(id, "order id");
      if (id !== "all" && a.strings.market !== undefined) throw new ArgError("--market only with cancel all");
      return { cmd: "order", action, id, ...(a.strings.market !== undefined ? { market: a.strings.market } : {}) };
    }
    default:
      throw usage();
  }
}
