/**
 * Admin routes for registered intents (Authorization: Bearer <DETOUR_ADMIN_TOKEN>), src/intent/registry.ts:
 *   PUT    /admin/intents/:route/:intent   {"examples": ["How do I cancel my subscription?", …], "answer": "…"}
 *   GET    /admin/intents/:route/:intent   the intent, with the meaning each example was read as
 *   DELETE /admin/intents/:route/:intent
 * One KV document per route, read-modified-written (KV has no compare-and-set: two admins writing the same route in
 * the same second can lose one change; the response shows what was stored).
 */
import type { Context } from "hono";
import { readJsonBody } from "../api/body";
import { ApiError, badRequest } from "../api/errors";
import type { AppEnv } from "../app-types";
import { lexiconFor } from "../cache/policy";
import { KvStore } from "../cache/store";
import { meaningHead, meaningOf } from "../intent/meaning";
import { IntentDoc, IntentInput, INTENT_NAME, intentsKey, MAX_INTENTS_PER_ROUTE } from "../intent/registry";
import { forgetIntents } from "../intent/store";
import { routeNamed } from "../routing/resolve";

function target(c: Context<AppEnv>): { kv: KVNamespace; store: KvStore; route: string; name: string } {
  const kv = c.env.DETOUR_KV;
  if (!kv) throw new ApiError(503, "api_error", "kv_unbound", "No DETOUR_KV binding: registered intents are off.");
  const route = c.req.param("route")!;
  const name = c.req.param("intent")!;
  if (!routeNamed(c.get("loaded").config, route)) throw new ApiError(404, "not_found_error", "route_not_found", `No route '${route}' in DETOUR_CONFIG.`, "route");
  if (!INTENT_NAME.test(name)) throw badRequest("The intent name is 1-100 letters, digits, '.', '_', ':' or '-'.", "intent");
  // Intents are keys of a plain JSON object: assigning `__proto__` would set its prototype and store nothing.
  if (name === "__proto__") throw badRequest("'__proto__' cannot name an intent; choose another name.", "intent");
  return { kv, store: new KvStore(kv), route, name };
}

async function readDoc(store: KvStore, route: string): Promise<IntentDoc> {
  const stored = await store.get<unknown>(intentsKey(route));
  const parsed = stored ? IntentDoc.safeParse(stored.value) : undefined;
  return parsed?.success ? parsed.data : { v: 1, rev: "", intents: {} };
}

/** How each example reads (`cancel · subscription`), so an operator sees what will match. */
function explain(c: Context<AppEnv>, examples: string[]) {
  const lex = lexiconFor(c.get("loaded").config.cache);
  return examples.map((e) => {
    const m = meaningOf(e, lex);
    return { example: e, meaning: meaningHead(m), concepts: m.concepts };
  });
}

export async function putIntent(c: Context<AppEnv>): Promise<Response> {
  const { kv, store, route, name } = target(c);
  const body = await readJsonBody(c.req.raw, c.get("loaded").config.limits.maxBodyBytes, 'Send the intent as JSON: {"examples": ["How do I …?"], "answer": "…"}.');
  const parsed = IntentInput.safeParse(body);
  if (!parsed.success) throw badRequest(`Invalid intent: ${parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ")}`, "intent");
  const lex = lexiconFor(c.get("loaded").config.cache);
  const empty = parsed.data.examples.filter((e) => meaningOf(e, lex).concepts.length === 0);
  if (empty.length > 0) throw badRequest(`These examples have no material words, so nothing could ever match them: ${empty.map((e) => JSON.stringify(e)).join(", ")}.`, "examples");
  const doc = await readDoc(store, route);
  if (!Object.hasOwn(doc.intents, name) && Object.keys(doc.intents).length >= MAX_INTENTS_PER_ROUTE) {
    throw badRequest(`Route '${route}' already has ${MAX_INTENTS_PER_ROUTE} intents; delete one first.`, "intent");
  }
  doc.intents[name] = { ...parsed.data, updatedAt: c.get("deps").clock.now() };
  doc.rev = `${Date.now()}-${crypto.randomUUID()}`;
  await store.put(intentsKey(route), doc);
  forgetIntents(kv, route);
  return c.json({ route, intent: name, answer: parsed.data.answer, examples: explain(c, parsed.data.examples) });
}

export async function getIntent(c: Context<AppEnv>): Promise<Response> {
  const { store, route, name } = target(c);
  const { intents } = await readDoc(store, route);
  const intent = Object.hasOwn(intents, name) ? intents[name] : undefined;
  if (!intent) throw new ApiError(404, "not_found_error", "intent_not_found", `No intent '${name}' on route '${route}'.`);
  return c.json({ route, intent: name, answer: intent.answer, updated_at: intent.updatedAt, examples: explain(c, intent.examples) });
}

export async function deleteIntent(c: Context<AppEnv>): Promise<Response> {
  const { kv, store, route, name } = target(c);
  const doc = await readDoc(store, route);
  const existed = Object.hasOwn(doc.intents, name);
  if (existed) {
    delete doc.intents[name];
    doc.rev = `${Date.now()}-${crypto.randomUUID()}`;
    await store.put(intentsKey(route), doc);
    forgetIntents(kv, route);
  }
  return c.json({ route, intent: name, deleted: existed });
}
