/**
 * The dashboard's HTTP server. Serves the risk dashboard: the page (`web/index.html`, `web/style.css`) and its script, bundled
 * by esbuild at start, plus the live data: `GET /api/snapshot` (the whole picture, JSON),
 * `GET /api/account/<pubkey>`, `GET /api/shock?market=<i>&pct=<p>`, and `/ws`, a WebSocket that
 * pushes each new snapshot. One process reads the chain (see `feed.ts`) for every viewer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Connection } from "@solana/web3.js";
import { build } from "esbuild";
import { WebSocketServer, WebSocket } from "ws";
import { resolveDeployment } from "../sdk/deployment";
import { DashboardFeed, type FeedOptions } from "./feed";

const here = __dirname;


/** The page's script, bundled (esbuild: Chart.js and the page code in one minified file). */
export async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [join(here, "web", "main.ts")],
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return out.outputFiles[0]!.text;
}

export interface DashboardServer {
  url: string;
  feed: DashboardFeed;
  close(): Promise<void>;
}

export async function startDashboard(rpcUrl: string, deploymentSource: string | undefined, opts: FeedOptions & { port?: number; host?: string } = {}): Promise<DashboardServer> {
  const deployment = await resolveDeployment(deploymentSource, rpcUrl);
  const connection = new Connection(rpcUrl, { commitment: "confirmed" });
  const feed = new DashboardFeed(connection, deployment, opts);
  const [script] = await Promise.all([bundle(), feed.start()]);
  const html = readFileSync(join(here, "web", "index.html"), "utf8");
  const css = readFileSync(join(here, "web", "style.css"), "utf8");
  const send = (res: ServerResponse, code: number, type: string, body: string): void => {
    res.writeHead(code, { "content-type": type, "cache-control": "no-store" });
    res.end(body);
  };
  const json = (res: ServerResponse, v: unknown): void => send(res, 200, "application/json", JSON.stringify(v));
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const u = new URL(req.url ?? "/", "http://x");
    if (u.pathname === "/" || u.pathname === "/index.html") return send(res, 200, "text/html; charset=utf-8", html);
    if (u.pathname === "/app.js") return send(res, 200, "text/javascript; charset=utf-8", script);
    if (u.pathname === "/style.css") return send(res, 200, "text/css; charset=utf-8", css);
    if (u.pathname === "/api/snapshot") return json(res, feed.snapshot());
    if (u.pathname === "/api/shock") {
      const market = Number(u.searchParams.get("market") ?? 0);
      const pct = Number(u.searchParams.get("pct") ?? 0);
      if (!Number.isFinite(market) || !Number.isFinite(pct) || pct < -99 || pct > 1_000) return send(res, 400, "text/plain", "bad market or pct");
      return json(res, feed.shock(market, pct));
    }
    const m = /^\/api\/account\/([1-9A-HJ-NP-Za-km-z]{32,44})$/.exec(u.pathname);
    if (m) {
      const a = await feed.account(m[1]!);
      return a ? json(res, a) : send(res, 404, "text/plain", "no such account");
    }
    send(res, 404, "text/plain", "not found");
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 500, "text/plain", String((e as Error).message ?? e)));
  });
  const wss = new WebSocketServer({ server, path: "/ws" });
  wss.on("connection", (ws) => {
    const snap = feed.snapshot();
    if (snap) ws.send(JSON.stringify(snap));
  });
  feed.onSnapshot((snap) => {
    const text = JSON.stringify(snap);
    for (const c of wss.clients) if (c.readyState === WebSocket.OPEN) c.send(text);
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(opts.port ?? 8080, host, resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  return {
    url: `http://${host}:${port}/`,
    feed,
    close: async () => {
      await feed.stop();
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
