/**
 * The operator dashboard's files (public/: the page at /dashboard, /dashboard/app.js, /dashboard/app.css) answered by
 * the worker, so they behave like every other Detour path: an `x-request-id`, and a method they do not answer refused
 * in OpenAI's error shape instead of the asset router's empty 405. The platform runs the worker first on the
 * dashboard's paths only (wrangler.toml `assets.run_worker_first`); the files stay Workers static assets, out of the
 * bundle, read through the ASSETS binding, which applies public/_headers (CSP, nosniff, no-referrer, no-store) and
 * the `/dashboard/` and `/dashboard.html` redirects to `/dashboard` (`html_handling`). A path with no file gets the
 * worker's 404. docs/dashboard.md "How it is served".
 */
import type { Context } from "hono";
import { ApiError } from "../api/errors";
import type { AppEnv } from "../app-types";

/** What the files answer; anything else is a 405 that says so in `allow`. */
const FILE_METHODS = ["GET", "HEAD"];

export async function dashboardPage(c: Context<AppEnv>): Promise<Response> {
  // Absent where the worker runs without its assets (the drills and benchmarks): the page is not there.
  const assets: Fetcher | undefined = c.env.ASSETS;
  if (!assets) return c.notFound();
  const reads = FILE_METHODS.includes(c.req.method);
  // The asset router answers only GET and HEAD; for another method, ask whether the path is a file at all.
  const res = await assets.fetch(reads ? c.req.raw : new Request(c.req.url, { method: "HEAD" }));
  if (res.status === 404) {
    await res.body?.cancel();
    return c.notFound();
  }
  if (!reads) {
    await res.body?.cancel();
    throw new ApiError(
      405,
      "invalid_request_error",
      "method_not_allowed",
      `${c.req.method} is not allowed on ${c.req.path}: the dashboard's files answer ${FILE_METHODS.join(" and ")} only.`,
      null,
      { allow: FILE_METHODS.join(", ") },
    );
  }
  // A copy: the binding's response headers are immutable.
  const out = new Response(res.body, res);
  out.headers.set("x-request-id", c.get("requestId"));
  return out;
}
