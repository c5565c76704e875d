/**
 * What keeps the worker bundle small (docs/scale.md "Bundle"): no module of the worker imports classic zod or re2js.
 * One `import … from "zod"` anywhere puts every method of every zod schema back into the bundle (+15 KiB gzip), and
 * re2js (kept only for the regex engine's differential test) was a sixth of it.
 */
import { describe, expect, it } from "vitest";
import { specifiers } from "../../../scripts/check-cycles.mjs";
import { FORBIDDEN_IMPORTS, forbiddenImports } from "../../../scripts/lib/worker-imports.mjs";

describe("worker imports", () => {
  it("no module under src/ or durable-objects/ imports classic zod or re2js", () => {
    expect(forbiddenImports()).toEqual([]);
  });

  it("the check catches the import forms the code base uses, and lets zod/mini through", () => {
    const source = 'import * as z from "zod";\nimport type { z as Z } from "zod";\nimport { RE2JS } from "re2js";\nimport * as m from "zod/mini";';
    const caught = specifiers(source).filter((s) => FORBIDDEN_IMPORTS.some(([re]) => re.test(s)));
    expect(caught).toEqual(["zod", "zod", "re2js"]);
  });
});
