import { describe, expect, it } from "vitest";
import { activeFaults, faultFor, FaultInput, makeFault, parseChaosHeader } from "../../../src/chaos/faults";

const base = { provider: "alpha", kind: "status", status: 503, ttlSeconds: 60 } as const;

describe("fault input", () => {
  it("defaults rate to 1 and keeps the TTL", () => {
    expect(FaultInput.parse(base)).toMatchObject({ rate: 1, ttlSeconds: 60 });
  });

  it.each([
    [{ ...base, ttlSeconds: undefined }, "ttlSeconds"],
    [{ ...base, ttlSeconds: 0 }, "ttlSeconds"],
    [{ ...base, rate: 1.5 }, "rate"],
    [{ ...base, kind: "explode" }, "kind"],
    [{ provider: "alpha", kind: "outage", status: 500, ttlSeconds: 5 }, "status"],
    [{ provider: "alpha", kind: "status", model: "x", ttlSeconds: 5 }, "model"],
    [{ ...base, extra: true }, ""],
  ])("refuses %j naming %s", (input, path) => {
    const r = FaultInput.safeParse(input);
    expect(r.success).toBe(false);
    if (!r.success && path) expect(r.error.issues.map((i) => i.path.join("."))).toContain(path);
  });
});

describe("expiry and selection", () => {
  const f = makeFault(FaultInput.parse({ ...base, rate: 0.3 }), "f1", 1000);

  it("expires after its TTL, so a forgotten drill ends by itself", () => {
    expect(f.expiresAt).toBe(61_000);
    expect(activeFaults([f], 60_999)).toHaveLength(1);
    expect(activeFaults([f], 61_000)).toHaveLength(0);
  });

  it("applies to the share of calls its rate says", () => {
    expect(faultFor([f], "alpha", "auto", 2000, 0.29)?.id).toBe("f1");
    expect(faultFor([f], "alpha", "auto", 2000, 0.3)).toBeUndefined();
    const draws = Array.from({ length: 1000 }, (_, i) => i / 1000);
    expect(draws.filter((r) => faultFor([f], "alpha", "auto", 2000, r)).length).toBe(300);
  });

  it("matches provider ('*' for all) and route", () => {
    const star = makeFault(FaultInput.parse({ ...base, provider: "*" }), "s", 0);
    const routed = makeFault(FaultInput.parse({ ...base, route: "fast" }), "r", 0);
    expect(faultFor([star], "beta", "auto", 1, 0)?.id).toBe("s");
    expect(faultFor([f], "beta", "auto", 2000, 0)).toBeUndefined();
    expect(faultFor([routed], "alpha", "auto", 1, 0)).toBeUndefined();
    expect(faultFor([routed], "alpha", "fast", 1, 0)?.id).toBe("r");
  });

  it("a rate of 0 never applies", () => {
    const zero = makeFault(FaultInput.parse({ ...base, rate: 0 }), "z", 0);
    expect(faultFor([zero], "alpha", "auto", 1, 0)).toBeUndefined();
  });
});

describe("x-detour-chaos header", () => {
  it("parses one fault for this request", () => {
    expect(parseChaosHeader('{"provider":"alpha","kind":"hang"}', 5)).toMatchObject({ provider: "alpha", kind: "hang", rate: 1, id: "request" });
  });
  it.each(["not json", '{"provider":"alpha"}', '{"provider":"alpha","kind":"status","ttlSeconds":5}'])("refuses %s with a readable message", (v) => {
    expect(() => parseChaosHeader(v, 0)).toThrow(/x-detour-chaos/);
  });
});
