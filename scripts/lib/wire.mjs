/**
 * src/wire (the vendor wire shapes, TypeScript) for the plain-Node scripts, bundled on first use by the scripts'
 * one TypeScript loader (./bundle-src.mjs).
 */
import { loadSrc } from "./bundle-src.mjs";

/** The src/wire module (its exports as in src/wire/index.ts), bundled on first use in this process. */
export function loadWire() {
  return loadSrc(["src/wire/index.ts"]);
}
