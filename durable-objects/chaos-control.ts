/**
 * ChaosControl: the one place active chaos faults live (one object, named "global"). Isolates do not poll it: they
 * read a KV version flag the admin routes write on every change and call this object only when a drill is active and
 * its version is new to them (src/chaos/view.ts). Expired faults are dropped on every call; each fault's expiry is
 * part of the fault, so a forgotten drill ends by itself.
 */
import { DurableObject } from "cloudflare:workers";
import { activeFaults, makeFault, type Fault, type FaultInput } from "../src/chaos/faults";

export class ChaosControl extends DurableObject<Env> {
  #faults: Fault[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.#faults = (await ctx.storage.get<Fault[]>("faults")) ?? [];
    });
  }

  async list(now: number): Promise<Fault[]> {
    await this.#prune(now);
    return this.#faults;
  }

  async add(input: FaultInput, now: number): Promise<Fault> {
    const fault = makeFault(input, crypto.randomUUID(), now);
    this.#faults = [...activeFaults(this.#faults, now), fault];
    await this.ctx.storage.put("faults", this.#faults);
    return fault;
  }

  async remove(id: string, now: number): Promise<boolean> {
    const before = this.#faults.length;
    this.#faults = activeFaults(this.#faults, now).filter((f) => f.id !== id);
    await this.ctx.storage.put("faults", this.#faults);
    return this.#faults.length < before;
  }

  async clear(): Promise<number> {
    const n = this.#faults.length;
    this.#faults = [];
    await this.ctx.storage.put("faults", this.#faults);
    return n;
  }

  async #prune(now: number): Promise<void> {
    const live = activeFaults(this.#faults, now);
    if (live.length !== this.#faults.length) {
      this.#faults = live;
      await this.ctx.storage.put("faults", live);
    }
  }
}
