/** The keeper's Prometheus metrics (prom-client), served on a local port at /metrics. */
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export class KeeperMetrics {
  readonly registry = new Registry();
  readonly accountsWatched = new Gauge({ name: "fulcrum_keeper_accounts_watched", help: "Margin accounts the keeper watches", registers: [this.registry] });
  readonly unhealthy = new Gauge({ name: "fulcrum_keeper_accounts_liquidatable", help: "Accounts liquidatable at the last scan", registers: [this.registry] });
  readonly sent = new Counter({ name: "fulcrum_keeper_liquidations_sent_total", help: "Liquidation transactions sent", labelNames: ["kind"], registers: [this.registry] });
  readonly landed = new Counter({ name: "fulcrum_keeper_liquidations_landed_total", help: "Liquidation transactions that landed", labelNames: ["kind"], registers: [this.registry] });
  readonly failed = new Counter({ name: "fulcrum_keeper_liquidations_failed_total", help: "Liquidation transactions that failed (lost races included)", labelNames: ["kind", "reason"], registers: [this.registry] });
  readonly scans = new Counter({ name: "fulcrum_keeper_scans_total", help: "Health scans", registers: [this.registry] });
  readonly scanDuration = new Histogram({
    name: "fulcrum_keeper_scan_duration_seconds",
    help: "Time to recompute the health of every watched account",
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly priceToLanded = new Histogram({
    name: "fulcrum_keeper_price_to_landed_seconds",
    help: "From the price update that made an account liquidatable to the liquidation landing",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });

  // Orders (issue 16; `orders.ts`): executions and clean-ups of resting orders.
  readonly ordersWatched = new Gauge({ name: "fulcrum_keeper_orders_watched", help: "Open orders the keeper watches", registers: [this.registry] });
  readonly ordersExecuted = new Counter({
    name: "fulcrum_keeper_orders_executed_total",
    help: "Orders the keeper executed (outcome: filled, cancelled by the program with a reason, expired and cleaned)",
    labelNames: ["kind", "outcome"],
    registers: [this.registry],
  });
  readonly orderTriggerToLanded = new Histogram({
    name: "fulcrum_keeper_order_trigger_to_landed_seconds",
    help: "From the price update that made an order fillable to its execution landing",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly orderRewards = new Counter({ name: "fulcrum_keeper_order_rewards_lamports_total", help: "Order fees earned, lamports", registers: [this.registry] });
  readonly orderFailures = new Counter({
    name: "fulcrum_keeper_order_failures_total",
    help: "Order executions refused (by error) or cancelled by the program (cancelled:<reason>)",
    labelNames: ["reason"],
    registers: [this.registry],
  });

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
