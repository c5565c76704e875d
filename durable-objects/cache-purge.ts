/**
 * CachePurge: one Durable Object per purge job, so a purge of any size finishes without its caller. The admin request
 * runs the first bounded step itself (src/routes/admin-cache.ts); when keys remain it hands the position here, and the
 * object's alarm runs one step per invocation — each its own invocation, so each within Workers' 1,000 KV operations
 * (src/cache/purge.ts) — until the listing is complete. Progress is readable at any time (`status`).
 *
 * Only KV is purged here: the Cache API copies of other colos (and of keys deleted by the alarm) expire within
 * `cache.edgeTtlSeconds`, as they always did.
 */
import { DurableObject } from "cloudflare:workers";
import { PURGE_KEYS_PER_ALARM, purgeStep, type Position, type PurgeStatus } from "../src/cache/purge";

interface Job extends PurgeStatus {
  prefixes: string[];
  /** Where the next step starts; absent when done. */
  next?: Position;
}

/** After a failed step (KV unavailable), try again this much later. */
const RETRY_MS = 5_000;

export class CachePurge extends DurableObject<Env> {
  /** Take over a purge whose first step the admin request ran; the alarm continues from `next`. */
  async start(job: { id: string; tenant: string; intent?: string; prefixes: string[]; next: Position; removedKeys: number; startedAt: number }): Promise<PurgeStatus> {
    const now = Date.now();
    const stored: Job = { ...job, state: "running", steps: 1, updatedAt: now };
    await this.ctx.storage.put("job", stored);
    await this.ctx.storage.setAlarm(now);
    return statusOf(stored);
  }

  /** The job's progress, or null when this object holds none (an unknown id). */
  async status(): Promise<PurgeStatus | null> {
    const job = await this.ctx.storage.get<Job>("job");
    return job ? statusOf(job) : null;
  }

  override async alarm(): Promise<void> {
    const job = await this.ctx.storage.get<Job>("job");
    if (!job || job.state === "done" || !job.next) return;
    const kv = this.env.DETOUR_KV;
    try {
      if (!kv) throw new Error("no DETOUR_KV binding");
      const step = await purgeStep(kv, job.prefixes, job.next, undefined, PURGE_KEYS_PER_ALARM);
      job.removedKeys += step.removed;
      job.steps++;
      job.updatedAt = Date.now();
      delete job.lastError;
      if (step.next) job.next = step.next;
      else {
        delete job.next;
        job.state = "done";
      }
    } catch (err) {
      job.lastError = err instanceof Error ? err.message : String(err);
      job.updatedAt = Date.now();
    }
    await this.ctx.storage.put("job", job);
    if (job.state === "running") await this.ctx.storage.setAlarm(Date.now() + (job.lastError ? RETRY_MS : 0));
  }
}

function statusOf(job: Job): PurgeStatus {
  const { prefixes: _p, next: _n, ...status } = job;
  return status;
}
