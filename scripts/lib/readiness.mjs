/**
 * src/readiness/compare.ts (the comparator shadow traffic uses) for the plain-Node scripts, so `npm run eval` and the
 * live shadow give the same verdict on the same pair. Bundled on first use by the scripts' one TypeScript
 * loader (./bundle-src.mjs).
 */
import { loadSrc } from "./bundle-src.mjs";

/** Bundle one TypeScript module of src/ (path relative to the repository root) and import it. */
export const loadTs = (relative) => loadSrc([relative]);

/** The comparator module: `compare`, `labelOf`, `classOf`, `DEFAULT_THRESHOLDS`. */
export const loadComparator = () => loadTs("src/readiness/compare.ts");
