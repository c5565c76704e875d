import { it, expect } from "vitest";
it("smoke", () => expect(1).toBe(1));
