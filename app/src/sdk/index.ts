/** Fulcrum TypeScript SDK. */
export * from "./client";
export * from "./report";
export * from "./slots";
export * from "./liqIndex";
export * from "./accounts";
export * from "./orders";
export * from "./rate";
export * from "./reputation";
export * from "./errors";
export * from "./deployment";
export * from "./oracle";
export * from "./mockPyth";
export * from "./bootstrap";
export * as pda from "./pda";
export { PROGRAM_ID } from "./pda";
export * from "./layout";
export { IDL, type Fulcrum } from "./idl";
export * as risk from "../risk";
