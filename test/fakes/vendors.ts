/**
 * A fake internet of vendors for workers tests: one fetch function that routes by host to the fake of each vendor's
 * real wire format, plays a queue of scripts per provider host, and records every call for assertions.
 *
 * Hosts: openai.test → OpenAI, anthropic.test → Anthropic, gemini.test → Gemini; any host whose name starts with one
 * of these kinds (e.g. openai-b.test) uses that vendor's fake, so a test can have several providers of one kind.
 */
import { fakeAnthropic } from "./anthropic";
import { fakeGemini } from "./gemini";
import { fakeOpenAI } from "./openai";
import type { FakeScript } from "./script";

export interface RecordedCall {
  host: string;
  url: string;
  headers: Record<string, string>;
  body: any;
  /** The request's abort signal, so a test can see Detour call the request off. */
  signal: AbortSignal;
}

export class FakeVendors {
  readonly calls: RecordedCall[] = [];
  private queues = new Map<string, FakeScript[]>();
  private fallback = new Map<string, FakeScript>();

  /** Play these scripts, in order, for calls to `host`; after they run out, `always` (or a 200 default). */
  script(host: string, ...scripts: FakeScript[]): this {
    this.queues.set(host, [...(this.queues.get(host) ?? []), ...scripts]);
    return this;
  }

  always(host: string, script: FakeScript): this {
    this.fallback.set(host, script);
    return this;
  }

  callsTo(host: string): RecordedCall[] {
    return this.calls.filter((c) => c.host === host);
  }

  fetch: typeof fetch = async (input, init) => {
    const request = new Request(input as RequestInfo, init);
    const url = new URL(request.url);
    const bodyText = await request.clone().text();
    let body: unknown = bodyText;
    try {
      body = JSON.parse(bodyText);
    } catch {
      /* keep text */
    }
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => (headers[k] = v));
    this.calls.push({ host: url.host, url: request.url, headers, body, signal: request.signal });
    const script = this.queues.get(url.host)?.shift() ?? this.fallback.get(url.host) ?? {};
    if (url.host.startsWith("down")) throw new TypeError("Network connection lost.");
    if (script.raw) return script.raw(request);
    if (url.host.startsWith("openai")) return fakeOpenAI(request, script);
    if (url.host.startsWith("anthropic")) return fakeAnthropic(request, script);
    if (url.host.startsWith("gemini")) return fakeGemini(request, script);
    throw new TypeError(`fake internet: no vendor at ${url.host}`);
  };
}
