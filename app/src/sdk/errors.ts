/**
 * Program errors by name. Natively (local chain, program-test) Anchor's own error log lines do
 * not reach the transaction logs, so decoding never relies on logs: it reads the
 * `InstructionError [index, {Custom: n}]` the RPC returns and maps `n` to the IDL's error names
 * (6000+) or Anchor's framework errors (< 6000).
 */
import { LangErrorCode, LangErrorMessage } from "@anchor-lang/core";
import { IDL } from "./idl";

export interface IdlErrorInfo {
  code: number;
  name: string;
  msg: string;
}

export const PROGRAM_ERRORS: ReadonlyMap<number, IdlErrorInfo> = new Map(
  (IDL.errors as unknown as IdlErrorInfo[]).map((e) => [e.code, e]),
);
const LANG_NAMES = new Map<number, string>(Object.entries(LangErrorCode).map(([k, v]) => [v as number, k[0]!.toUpperCase() + k.slice(1)]));

/** The code of a program error by name (`errorCode("NotLiquidatable")`). */
export function errorCode(name: string): number {
  for (const e of PROGRAM_ERRORS.values()) if (e.name === name) return e.code;
  throw new Error(`no program error named ${name}`);
}

/** A failed Fulcrum instruction, decoded. */
export class FulcrumError extends Error {
  constructor(
    /** Error name from the IDL (or Anchor's framework error name). */
    public readonly errorName: string,
    public readonly code: number,
    public readonly instructionIndex: number | null,
    message: string,
    public readonly logs: string[] = [],
  ) {
    super(`${errorName} (${code}): ${message}`);
    this.name = "FulcrumError";
  }
}

/** Finds `{"InstructionError":[i,{"Custom":n}]}` anywhere in an error-like value. */
function findInstructionError(v: unknown, depth = 0): [number, number] | null {
  if (!v || typeof v !== "object" || depth > 6) return null;
  const ie = (v as { InstructionError?: unknown }).InstructionError;
  if (Array.isArray(ie) && ie.length === 2 && typeof ie[0] === "number") {
    const custom = (ie[1] as { Custom?: unknown })?.Custom;
    if (typeof custom === "number") return [ie[0], custom];
  }
  for (const k of Object.keys(v)) {
    const r = findInstructionError((v as Record<string, unknown>)[k], depth + 1);
    if (r) return r;
  }
  return null;
}

/** Name of a custom error code: the program's, else Anchor's. */
export function errorName(code: number): string | null {
  return PROGRAM_ERRORS.get(code)?.name ?? LANG_NAMES.get(code) ?? null;
}

/**
 * Decodes any error a send produced (web3.js `SendTransactionError`, an RPC error object, a
 * transaction status `err`) to a {@link FulcrumError}; `null` when it is not a program error.
 */
export function decodeError(err: unknown): FulcrumError | null {
  if (err instanceof FulcrumError) return err;
  let found = findInstructionError(err);
  const e = err as { message?: unknown; logs?: unknown; transactionError?: unknown; transactionLogs?: unknown };
  if (!found && e && typeof e.message === "string") {
    const m = /Error processing Instruction (\d+): custom program error: 0x([0-9a-fA-F]+)/.exec(e.message);
    if (m) found = [Number(m[1]), parseInt(m[2]!, 16)];
  }
  if (!found) return null;
  const [index, code] = found;
  const name = errorName(code);
  if (!name) return null;
  const msg = PROGRAM_ERRORS.get(code)?.msg ?? LangErrorMessage.get(code) ?? "";
  const logs = Array.isArray(e?.logs) ? (e.logs as string[]) : Array.isArray(e?.transactionLogs) ? (e.transactionLogs as string[]) : [];
  return new FulcrumError(name, code, index, msg, logs);
}
