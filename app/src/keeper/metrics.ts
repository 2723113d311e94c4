/** The keeper's Prometheus metrics (prom-client), served on a local port at /metrics. */
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** Seconds from a price update to a transaction landing. */
const LANDING_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

export class KeeperMetrics {
  readonly registry = new Registry();
  readonly accountsWatched = this.gauge("fulcrum_keeper_accounts_watched", "Margin accounts the keeper watches");
  readonly unhealthy = this.gauge("fulcrum_keeper_accounts_liquidatable", "Accounts liquidatable at the last scan");
  readonly sent = this.counter("fulcrum_keeper_liquidations_sent_total", "Liquidation transactions sent", ["kind"]);
  readonly landed = this.counter("fulcrum_keeper_liquidations_landed_total", "Liquidation transactions that landed", ["kind"]);
  readonly failed = this.counter("fulcrum_keeper_liquidations_failed_total", "Liquidation transactions that failed (lost races included)", ["kind", "reason"]);
  readonly scans = this.counter("fulcrum_keeper_scans_total", "Health scans");
  readonly scanDuration = this.histogram("fulcrum_keeper_scan_duration_seconds", "Time to recompute the health of every watched account", [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]);
  readonly priceToLanded = this.histogram("fulcrum_keeper_price_to_landed_seconds", "From the price update that made an account liquidatable to the liquidation landing", LANDING_BUCKETS);

  // Orders (issue 16; `orders.ts`): executions and clean-ups of resting orders.
  readonly ordersWatched = this.gauge("fulcrum_keeper_orders_watched", "Open orders the keeper watches");
  readonly ordersExecuted = this.counter("fulcrum_keeper_orders_executed_total", "Orders the keeper executed (outcome: filled, cancelled by the program with a reason, expired and cleaned)", ["kind", "outcome"]);
  readonly orderTriggerToLanded = this.histogram("fulcrum_keeper_order_trigger_to_landed_seconds", "From the price update that made an order fillable to its execution landing", LANDING_BUCKETS);
  readonly orderRewards = this.counter("fulcrum_keeper_order_rewards_lamports_total", "Order fees earned, lamports");
  readonly orderFailures = this.counter("fulcrum_keeper_order_failures_total", "Order executions refused (by error) or cancelled by the program (cancelled:<reason>)", ["reason"]);

  private gauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, registers: [this.registry] });
  }

  private counter<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram(name: string, help: string, buckets: number[]): Histogram {
    return new Histogram({ name, help, buckets, registers: [this.registry] });
  }

  private server: Server | null = null;

  async serve(port: number, host = "127.0.0.1"): Promise<number> {
    this.server = createServer((req, res) => {
      if (req.url?.startsWith("/metrics")) {
        this.registry.metrics().then(
          (body) => {
            res.writeHead(200, { "content-type": this.registry.contentType });
            res.end(body);
          },
          (e: unknown) => {
            res.writeHead(500);
            res.end(String(e));
          },
        );
      } else {
        res.writeHead(404);
        res.end("see /metrics\n");
      }
    });
    return new Promise((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, host, () => {
        const a = this.server!.address();
        resolve(typeof a === "object" && a ? a.port : port);
      });
    });
  }

  async close(): Promise<void> {
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }

  /** A short summary: value of every counter/gauge, histogram count/sum. */
  async summary(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const m of await this.registry.getMetricsAsJSON()) {
      for (const v of m.values) {
        const labels = Object.entries(v.labels ?? {}).map(([k, x]) => `${k}=${String(x)}`).join(",");
        const name = (v as { metricName?: string }).metricName ?? m.name;
        if (name.endsWith("_bucket")) continue;
        out[labels ? `${name}{${labels}}` : name] = v.value;
      }
    }
    return out;
  }
}
