/**
 * The usage commit ids a TenantLimiter applied, in its SQLite storage (src/resilience/commit-once.ts says why and for
 * how long). One row per id with the time it is forgotten, indexed by that time, so dropping lapsed ids reads only
 * those rows. The row count is kept in memory (counted once at load) so the cap never needs a full count.
 *
 * A row is written in the same storage transaction as the limiter state the commit changed
 * (`ctx.storage.transactionSync`), so an object that fails between the two can never have applied a commit without
 * remembering it, or the reverse.
 */
import type { AppliedCommitStore } from "../src/resilience/commit-once";

export class SqlAppliedCommits implements AppliedCommitStore {
  #size: number;

  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS applied_commits (id TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID");
    sql.exec("CREATE INDEX IF NOT EXISTS applied_commits_until ON applied_commits (until)");
    this.#size = Number(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM applied_commits").one().n);
  }

  get size(): number {
    return this.#size;
  }

  until(id: string): number | undefined {
    const row = this.sql.exec<{ until: number }>("SELECT until FROM applied_commits WHERE id = ?", id).toArray()[0];
    return row ? Number(row.until) : undefined;
  }

  remember(id: string, until: number): void {
    const replaced = this.sql.exec("DELETE FROM applied_commits WHERE id = ? RETURNING 1", id).toArray().length;
    this.sql.exec("INSERT INTO applied_commits (id, until) VALUES (?, ?)", id, until);
    this.#size += 1 - replaced;
  }

  forgetLapsed(now: number): void {
    this.#size -= this.sql.exec("DELETE FROM applied_commits WHERE until <= ? RETURNING 1", now).toArray().length;
  }

  forgetSoonest(n: number): void {
    if (n <= 0) return;
    this.#size -= this.sql.exec("DELETE FROM applied_commits WHERE id IN (SELECT id FROM applied_commits ORDER BY until LIMIT ?) RETURNING 1", n).toArray().length;
  }
}
