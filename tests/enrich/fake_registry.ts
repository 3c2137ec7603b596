/**
 * A fake NPI Registry: a real HTTP server on 127.0.0.1 answering
 * `?version=2.1&number=<npi>` in both real response shapes (older: numbers
 * and epoch seconds; newer: strings, epoch milliseconds, endpoints), or with
 * given answers (real registry bodies), with faults injected on demand. It
 * counts requests and complete answers per NPI. Used by the tests and by
 * `deno task bench npi`.
 *
 * @module
 */
import { serveLocal } from "../helpers.ts";

/** Which faults to inject, and how often (0..1 of requests). */
export interface Faults {
  /** 429 with a Retry-After header: `retryAfter` (default "0"), or what it returns at each answer. */
  tooMany?: number;
  retryAfter?: string | (() => string);
  /** 500 or 503. */
  serverError?: number;
  /** Answers after `slowMs`. */
  slow?: number;
  slowMs?: number;
  /** Ends the body in the middle (the client reads half a JSON document). */
  drop?: number;
  /** An HTML maintenance page with HTTP 200. */
  html?: number;
}

/** A running fake registry. */
export interface FakeRegistry extends AsyncDisposable {
  url: string;
  requests: number;
  maxInFlight: number;
  /** When each request for an NPI arrived (ms since start). */
  arrivals: Map<string, number[]>;
  /** Complete final answers (registry data, not a fault) sent per NPI. */
  answered: Map<string, number>;
}

/** Options of {@linkcode fakeRegistry}. */
export interface FakeRegistryOptions {
  faults?: Faults;
  /** Delays every answer, ms. */
  latencyMs?: number;
  /** Bodies to answer with, by NPI (served as they are); other NPIs get {@linkcode registryAnswer}. */
  answers?: ReadonlyMap<string, string>;
}

const STATES = ["NY", "NJ", "CA", "TX", "FL", "PR", "DC", "GU"];

/** The registry's answer for an NPI, in the shape its parity picks. */
export function registryAnswer(npi: string): unknown {
  const n = Number(npi);
  if (n % 17 === 0) return { result_count: 0, results: [] };
  if (n % 19 === 0) {
    return {
      Errors: [{
        field: "number",
        number: "01",
        description: "Field number contains special characters",
      }],
    };
  }
  const old = n % 2 === 0;
  const state = STATES[n % STATES.length]!;
  const second = STATES[(n >> 3) % STATES.length]!;
  const address = (purpose: string, st: string) => ({
    address_1: `${n % 900} MAIN ST`,
    address_purpose: purpose,
    address_type: "DOM",
    city: "SPRINGFIELD",
    country_code: "US",
    state: st,
    postal_code: "10001" + String(n % 10000).padStart(4, "0"),
    telephone_number: "212-555-0100",
  });
  // Every third provider has no practice location at all; every fifth has two in one state.
  const locations = n % 3 === 0 ? [] : [address("LOCATION", state)];
  const practice = n % 5 === 0
    ? [{ ...address("LOCATION", state), address_1: "2 SECOND ST" }]
    : n % 7 === 0
    ? [address("LOCATION", second)]
    : [];
  // Every 23rd provider is deactivated.
  const deactivation = n % 23 === 0 ? { status: "D", deactivation_date: "2020-06-15" } : {};
  const result: Record<string, unknown> = {
    enumeration_type: n % 4 === 1 ? "NPI-2" : "NPI-1",
    number: old ? n : String(n),
    created_epoch: old ? 1301961600 : "1301961600000",
    last_updated_epoch: old ? 1525737600 : "1525737600000",
    basic: n % 4 === 1
      ? {
        organization_name: `CLINIC ${n}, LLC`,
        status: "A",
        enumeration_date: "2011-04-05",
        ...deactivation,
      }
      : {
        first_name: "ELISE",
        last_name: `SMITH-${n % 100}`,
        credential: "M.D.",
        gender: n % 2 ? "F" : "M",
        status: "A",
        enumeration_date: "2011-04-05",
        ...deactivation,
      },
    other_names: [],
    addresses: [...locations, address("MAILING", state)],
    practiceLocations: practice,
    taxonomies: [
      {
        code: "207X00000X",
        desc: "Orthopaedic Surgery",
        primary: true,
        state,
        license: `L-${n % 1000}`,
      },
      {
        code: "390200000X",
        desc: "Student",
        primary: false,
        state: old ? "" : null,
        license: old ? "" : null,
      },
    ],
    identifiers: [{ identifier: npi, code: "05", desc: "MEDICAID", state, issuer: "" }],
  };
  if (!old) result.endpoints = [];
  return { result_count: 1, results: [result] };
}

/** A number in [0, 1) from a string: FNV-1a, then a murmur3 finish so every bit counts. */
function roll(seed: string): number {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Starts a fake registry. */
export function fakeRegistry(options: FakeRegistryOptions = {}): FakeRegistry {
  const f = options.faults ?? {};
  const started = performance.now();
  let inFlight = 0;
  const state = {
    requests: 0,
    maxInFlight: 0,
    arrivals: new Map<string, number[]>(),
    answered: new Map<string, number>(),
  };
  const server = serveLocal(async (req) => {
    const npi = new URL(req.url).searchParams.get("number") ?? "";
    const arrivals = state.arrivals.get(npi) ?? [];
    arrivals.push(performance.now() - started);
    state.arrivals.set(npi, arrivals);
    state.requests++;
    // In flight until answered, or until the client gives up (a timeout aborts it).
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    let open = true;
    const close = () => {
      if (open) inFlight--;
      open = false;
    };
    req.signal.addEventListener("abort", close, { once: true });
    try {
      if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
      // Faults depend on the NPI and the attempt, so every run is the same.
      let r = roll(`${npi}#${arrivals.length}`);
      const hit = (p = 0) => {
        const yes = r < p;
        r -= p;
        return yes;
      };
      if (hit(f.tooMany)) {
        return new Response("slow down", {
          status: 429,
          headers: {
            "retry-after": typeof f.retryAfter === "function"
              ? f.retryAfter()
              : f.retryAfter ?? "0",
          },
        });
      }
      if (hit(f.serverError)) {
        return new Response("oops", { status: arrivals.length % 2 ? 500 : 503 });
      }
      if (hit(f.html)) {
        return new Response("<html><body>Down for maintenance</body></html>", {
          headers: { "content-type": "text/html" },
        });
      }
      if (hit(f.slow)) await new Promise((res) => setTimeout(res, f.slowMs ?? 5000));
      const body = options.answers?.get(npi) ?? JSON.stringify(registryAnswer(npi));
      if (hit(f.drop)) {
        return new Response(
          new ReadableStream({
            start(ctl) {
              ctl.enqueue(new TextEncoder().encode(body.slice(0, body.length >> 1)));
              ctl.close();
            },
          }),
          { headers: { "content-type": "application/json" } },
        );
      }
      state.answered.set(npi, (state.answered.get(npi) ?? 0) + 1);
      return new Response(body, { headers: { "content-type": "application/json" } });
    } finally {
      close();
    }
  });
  return {
    url: `${server.base}/api/`,
    get requests() {
      return state.requests;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    arrivals: state.arrivals,
    answered: state.answered,
    [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
  };
}

/** `count` valid NPIs (Luhn), deterministic. */
export async function validNpis(count: number, start = 100000000): Promise<string[]> {
  const { npiCheckDigit } = await import("../../src/enrich/npi_check.ts");
  return Array.from({ length: count }, (_, i) => {
    const first9 = String(start + i * 7);
    return `${first9}${npiCheckDigit(first9)}`;
  });
}
