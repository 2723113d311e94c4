/**
 * Fulcrum's risk engine in TypeScript: the same functions as `crates/risk` (camelCase names),
 * bigint fixed point, identical results to the unit (proven by `app/vectors/risk.json`).
 */
export * from "./fixed.js";
export * from "./types.js";
export * from "./margin.js";
export * from "./trade.js";
export * from "./liquidation.js";
export * from "./portfolio.js";
export * from "./pool.js";
export * from "./capacity.js";
export * from "./orders.js";
export * from "./rate.js";
export * from "./reputation.js";
