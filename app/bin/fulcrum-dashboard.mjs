#!/usr/bin/env node
// `fulcrum-dashboard` entry: runs the TypeScript source through tsx.
import { register } from "tsx/cjs/api";
register();
const { createRequire } = await import("node:module");
createRequire(import.meta.url)("../src/dashboard/main.ts");
