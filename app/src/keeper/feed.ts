/**
 * What a watching bot needs around its scan: a set of RPC subscriptions removed together, a
 * debounced scan, and a wait. Used by the order executor (`orders.ts`); the liquidation keeper
 * (`keeper.ts`) has the same by hand.
 */
import type { AccountInfo, Connection, KeyedAccountInfo, ProgramAccountSubscriptionConfig, PublicKey } from "@solana/web3.js";

/** Subscriptions on one connection, all at "confirmed", removed at once by {@link clear}. */
export class Subscriptions {
  private readonly removers: (() => Promise<void>)[] = [];

  constructor(private readonly conn: Connection) {}

  account(key: PublicKey, onChange: (info: AccountInfo<Buffer>) => void): void {
    const id = this.conn.onAccountChange(key, onChange, { commitment: "confirmed" });
    this.removers.push(() => this.conn.removeAccountChangeListener(id));
  }

  program(programId: PublicKey, filters: ProgramAccountSubscriptionConfig["filters"], onChange: (info: KeyedAccountInfo) => void): void {
    const id = this.conn.onProgramAccountChange(programId, onChange, { commitment: "confirmed", filters });
    this.removers.push(() => this.conn.removeProgramAccountChangeListener(id));
  }

  slot(onSlot: (slot: number) => void): void {
    const id = this.conn.onSlotChange((s) => onSlot(s.slot));
    this.removers.push(() => this.conn.removeSlotChangeListener(id));
  }

  async clear(): Promise<void> {
    const all = this.removers.splice(0);
    await Promise.all(all.map((r) => r().catch(() => undefined)));
  }
}

/** Runs `fn` once `ms` after the first of any number of {@link schedule} calls. */
export class Debounced {
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly fn: () => void, private readonly ms: number) {}

  schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fn();
    }, this.ms);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Polls `done` every 25 ms until it holds or `timeoutMs` passes; its last value. */
export async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  return done();
}
