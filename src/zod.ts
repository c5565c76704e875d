/**
 * zod for every schema in the worker: the tree-shakable `zod/mini` API, with zod's English messages.
 *
 * Why not `import * as z from "zod"`: classic zod attaches every method to every schema, so one import bundles all of
 * them (about 50 KiB raw, 15 KiB gzip, a tenth of the worker). mini has the same validators as functions
 * (`z.optional(x)`, `z.strictObject`, `x.check(z.minLength(1))`) and bundles only what is used. Classic zod also
 * installs the English error messages on import; mini does not, so this module does, and every message an operator
 * or a caller reads stays the same.
 */
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

z.config(en());

export * from "zod/mini";
