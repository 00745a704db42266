/**
 * Transport suite: GrpcSchedulerClient against the raw generated Connect client (facade
 * overhead), against @grpc/grpc-js with @grpc/proto-loader (the peer stack), against itself
 * on Connect's stock transport (before/after the node-http2 transport), and against two
 * reference clients: a bare node:http2 client with the same decode and mapping (Node's floor)
 * and grpc-go (GOMAXPROCS=1, its own process). The server runs in its own process and replays
 * real engine responses, so the server is never the bottleneck.
 */
import * as v8 from "node:v8";
import type { Figure, SuiteResult } from "../lib/report.js";
import { median, percentile } from "../lib/stats.js";
import type { BenchSettings, BenchSuite } from "../lib/suite.js";
import { buildGoClient, type GoClient, startGoClient } from "./go-client.js";
import { type BenchClient, CLIENT_LABELS, type ClientKind, createBenchClient, loadSubjects } from "./transport-clients.js";
import { startServerProcess } from "./transport-process.js";

/** Every client measured: the ones in this process, and grpc-go in its own. */
type Kind = ClientKind | "grpc-go";
const IN_PROCESS: readonly ClientKind[] = ["facade", "bare-http2", "generated-lean", "generated-connect", "grpc-js", "facade-connect"];
const KINDS: readonly Kind[] = [...IN_PROCESS, "grpc-go"];
const LABELS: Record<Kind, string> = { ...CLIENT_LABELS, "grpc-go": "grpc-go 1.76 client (GOMAXPROCS=1, own process)" };
const METHODS = ["getJob", "createJob", "listJobs"] as const;
type Method = (typeof METHODS)[number];
const IN_FLIGHT = [1, 64] as const;
const LIST_PAGE = 100;

/** One measurement of one client, method and concurrency. */
interface Cell {
  perSecond: number;
  p50Ms: number;
  cpuUsPerCall: number;
  /** Bytes allocated on the V8 heap per call (NaN for grpc-go). */
  allocatedPerCall: number;
  /** Bytes promoted to the old generation by scavenges, per call (NaN for grpc-go). */
  promotedPerCall: number;
}

type Cells = Map<string, Cell[]>;
const key = (kind: Kind, method: Method, inFlight: number): string => `${kind}/${method}/${inFlight}`;

/**
 * Heap traffic over a measurement, from V8's own per-collection statistics (v8.GCProfiler):
 * allocated = growth of the used heap + everything each collection freed; promoted = growth of
 * the old and large-object spaces across each scavenge (young objects that survived twice).
 */
function heapTraffic(profile: ReturnType<v8.GCProfiler["stop"]>, usedBefore: number, usedAfter: number): { allocated: number; promoted: number } {
  let freed = 0;
  let promoted = 0;
  const oldBytes = (spaces: { spaceName: string; spaceUsedSize: number }[]): number =>
    spaces.reduce((sum, s) => (s.spaceName === "old_space" || s.spaceName === "lo_space" ? sum + s.spaceUsedSize : sum), 0);
  for (const gc of profile?.statistics ?? []) {
    freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
    if (gc.gcType === "Scavenge") promoted += oldBytes(gc.afterGC.heapSpaceStatistics) - oldBytes(gc.beforeGC.heapSpaceStatistics);
  }
  return { allocated: usedAfter - usedBefore + freed, promoted };
}

function invoke(client: BenchClient, method: Method, jobId: string): Promise<unknown> {
  switch (method) {
    case "getJob":
      return client.getJob(jobId);
    case "createJob":
      return client.createJob();
    case "listJobs":
      return client.listAll(LIST_PAGE);
  }
}

async function measure(client: BenchClient, method: Method, jobId: string, inFlight: number, durationMs: number): Promise<Cell> {
  const latencies: number[] = [];
  const gc = new v8.GCProfiler();
  const used0 = v8.getHeapStatistics().used_heap_size;
  gc.start();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await invoke(client, method, jobId);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const heap = heapTraffic(gc.stop(), used0, v8.getHeapStatistics().used_heap_size);
  const calls = latencies.length;
  return {
    perSecond: (calls / elapsed) * 1000,
    p50Ms: percentile(latencies, 50),
    cpuUsPerCall: (cpu.user + cpu.system) / calls,
    allocatedPerCall: heap.allocated / calls,
    promotedPerCall: heap.promoted / calls,
  };
}

async function measureGo(client: GoClient, method: Method, jobId: string, inFlight: number, durationMs: number): Promise<Cell> {
  const cell = await client.measure(method, inFlight, durationMs, LIST_PAGE, jobId);
  return {
    perSecond: (cell.calls / cell.elapsedMs) * 1000,
    p50Ms: cell.p50Ms,
    cpuUsPerCall: cell.cpuUs / cell.calls,
    allocatedPerCall: Number.NaN,
    promotedPerCall: Number.NaN,
  };
}

/** The clients of one run: those in this process and the grpc-go process. */
interface Clients {
  local: Map<ClientKind, BenchClient>;
  go: GoClient;
}

/** Every client, method and concurrency once per round; the client order rotates each round. */
async function runMatrix(settings: BenchSettings, clients: Clients, jobId: string, durationMs: number): Promise<Cells> {
  const cells: Cells = new Map();
  for (let round = -1; round < settings.rounds; round++) {
    const order = KINDS.map((_, i) => KINDS[(i + Math.max(round, 0)) % KINDS.length]);
    for (const method of METHODS) {
      for (const inFlight of IN_FLIGHT) {
        for (const kind of order) {
          const cell =
            kind === "grpc-go" ? await measureGo(clients.go, method, jobId, inFlight, durationMs) : await measure(clients.local.get(kind)!, method, jobId, inFlight, durationMs);
          if (round < 0) continue; // warm-up
          const k = key(kind, method, inFlight);
          cells.set(k, [...(cells.get(k) ?? []), cell]);
        }
      }
    }
    settings.log(round < 0 ? "  transport: warm-up done" : `  transport: round ${round + 1}/${settings.rounds} done`);
  }
  return cells;
}

const UNITS: Record<keyof Cell, string> = {
  perSecond: "calls/s",
  p50Ms: "ms",
  cpuUsPerCall: "us CPU/call",
  allocatedPerCall: "B/call",
  promotedPerCall: "B/call",
};

function figure(cells: Cells, name: string, baseline: Kind, subject: Kind, method: Method, inFlight: number, metric: keyof Cell, goal?: number): Figure {
  const values = (kind: Kind): number[] => cells.get(key(kind, method, inFlight))!.map((c) => c[metric]);
  return {
    name,
    unit: UNITS[metric],
    baseline: { label: LABELS[baseline], values: values(baseline) },
    subject: { label: LABELS[subject], values: values(subject) },
    higherIsBetter: metric === "perSecond",
    ...(goal === undefined ? {} : { goal }),
  };
}

function figures(cells: Cells): Figure[] {
  const out: Figure[] = [];
  const each = (fn: (method: Method, inFlight: number) => Figure): void => {
    for (const method of METHODS) for (const inFlight of IN_FLIGHT) out.push(fn(method, inFlight));
  };
  const at = (method: Method, inFlight: number): string => `${method}, ${inFlight} in flight`;
  // Goals of issue #14: CPU per call within 1.25x of Node's floor on getJob and listJobs, at
  // least 1.5x leaner than grpc-js on listJobs, old-generation promotion at most 2x the floor's.
  const floorGoal = (m: Method): number | undefined => (m === "createJob" ? undefined : 0.8);
  each((m, n) => figure(cells, `vs Node's floor, client CPU per call: ${at(m, n)}`, "bare-http2", "facade", m, n, "cpuUsPerCall", floorGoal(m)));
  each((m, n) => figure(cells, `vs grpc-go, client CPU per call: ${at(m, n)}`, "grpc-go", "facade", m, n, "cpuUsPerCall"));
  for (const n of IN_FLIGHT) out.push(figure(cells, `vs Node's floor, heap allocated per call: ${at("listJobs", n)}`, "bare-http2", "facade", "listJobs", n, "allocatedPerCall"));
  for (const n of IN_FLIGHT) out.push(figure(cells, `vs Node's floor, old-generation promotion per call: ${at("listJobs", n)}`, "bare-http2", "facade", "listJobs", n, "promotedPerCall", 0.5));
  each((m, n) => figure(cells, `facade overhead: ${at(m, n)}`, "generated-connect", "facade", m, n, "perSecond", 0.95));
  each((m, n) => figure(cells, `facade overhead, same transport: ${at(m, n)}`, "generated-lean", "facade", m, n, "perSecond", 0.95));
  each((m, n) => figure(cells, `vs grpc-js, throughput: ${at(m, n)}`, "grpc-js", "facade", m, n, "perSecond", 1.0));
  each((m, n) => figure(cells, `vs grpc-js, p50 latency: ${at(m, n)}`, "grpc-js", "facade", m, n, "p50Ms", 1.0));
  each((m, n) => figure(cells, `vs grpc-js, client CPU per call: ${at(m, n)}`, "grpc-js", "facade", m, n, "cpuUsPerCall", m === "listJobs" ? 1.5 : undefined));
  each((m, n) => figure(cells, `before/after (Connect transport -> node-http2), throughput: ${at(m, n)}`, "facade-connect", "facade", m, n, "perSecond"));
  each((m, n) => figure(cells, `before/after, client CPU per call: ${at(m, n)}`, "facade-connect", "facade", m, n, "cpuUsPerCall"));
  return out;
}

/** Per method at 64 in flight: client CPU per call of every client. */
function facadeNotes(cells: Cells): string[] {
  return METHODS.map((method) => {
    const cpu = (kind: Kind): number => median(cells.get(key(kind, method, 64))!.map((c) => c.cpuUsPerCall));
    return `${method}, 64 in flight, client CPU per call (medians): GrpcSchedulerClient ${Math.round(cpu("facade"))} us, Node's floor (bare node:http2 + decode + mapping) ${Math.round(cpu("bare-http2"))} us, grpc-go ${Math.round(cpu("grpc-go"))} us, the generated client on the same transport ${Math.round(cpu("generated-lean"))} us, grpc-js ${Math.round(cpu("grpc-js"))} us, GrpcSchedulerClient on Connect's transport ${Math.round(cpu("facade-connect"))} us.`;
  });
}

/** Heap traffic of listJobs per call, GrpcSchedulerClient and the floor. */
function heapNotes(cells: Cells): string[] {
  return IN_FLIGHT.map((n) => {
    const kib = (kind: Kind, metric: "allocatedPerCall" | "promotedPerCall"): string => (median(cells.get(key(kind, "listJobs", n))!.map((c) => c[metric])) / 1024).toFixed(1);
    return `listJobs, ${n} in flight, heap per call (medians): GrpcSchedulerClient allocates ${kib("facade", "allocatedPerCall")} KiB and promotes ${kib("facade", "promotedPerCall")} KiB to the old generation; Node's floor ${kib("bare-http2", "allocatedPerCall")} KiB and ${kib("bare-http2", "promotedPerCall")} KiB.`;
  });
}

export const transportSuite: BenchSuite = {
  id: "transport",
  async run(settings): Promise<SuiteResult> {
    const durationMs = settings.smoke ? 60 : 1_000;
    const subjects = await loadSubjects(settings.log);
    const goBin = await buildGoClient(settings.log);
    const server = await startServerProcess(["--mode=replay"]);
    const local = new Map(IN_PROCESS.map((kind) => [kind, createBenchClient(kind, server.url, subjects)] as const));
    let cells: Cells;
    let serverCpuMs: number;
    let go: GoClient | undefined;
    try {
      go = await startGoClient(goBin, server.url);
      cells = await runMatrix(settings, { local, go }, server.jobId, durationMs);
    } finally {
      await Promise.all([...local.values()].map((c) => c.close()));
      await go?.close();
      serverCpuMs = await server.stop();
    }
    const measured = [...cells.values()].flat().length;
    return {
      title: "Transport: facade overhead, Node's floor, grpc-go, grpc-js, before/after",
      method: [
        `Client in this process, server in its own process on 127.0.0.1 (bench/suites/transport-server.ts --mode=replay: node:http2 answering with messages the real engine produced - one job for getJob/createJob, a page of ${LIST_PAGE} jobs for listJobs - so the server costs the same for every client and is not the bottleneck).`,
        "This package's code is loaded from its CommonJS build (tsc -p tsconfig.cjs.json), as users run it.",
        `Clients: ${KINDS.map((k) => LABELS[k]).join("; ")}. Same messages, 10 s deadline on every call (Node's floor sends it as grpc-timeout but arms no timer), a fresh idempotency key per create.`,
        "Node's floor (bench/suites/transport-clients.ts) is the least a Node.js client can do for the same result: a stream per call on one node:http2 session, the request framed by hand, then the SDK's own decoder and mapping to domain types; no validation, deadline timer, abort, retries, interceptors or error translation. grpc-go (bench/go-client, built by the suite with the generated code of test/grpc-go/server/gen) runs its closed loop in its own process with GOMAXPROCS=1 (one core, as an event loop) and reports its own getrusage CPU time; it unmarshals into generated Go structs and maps nothing.",
        `Each cell is a closed loop of N calls in flight for ${durationMs} ms; one unrecorded warm-up round of every cell, then ${settings.rounds} rounds, the client order rotating each round. Throughput = completed calls / elapsed; p50 over every call of the cell; client CPU = process.cpuUsage() delta / calls. Heap per call (clients in this process): v8.GCProfiler over the cell - allocated = growth of the used heap + what every collection freed; promoted = growth of old_space + lo_space across each scavenge.`,
      ].join(" "),
      figures: figures(cells),
      notes: [
        ...facadeNotes(cells),
        ...heapNotes(cells),
        "What the facade adds per call on top of a generated client: request validation, the retry interceptor, mapping to domain types (Date objects, the parsed JSON payload, checked enums), one error translation point. grpc-js with proto-loader hands back plain objects with string timestamps and the payload as unparsed JSON text.",
        "With 1 call in flight the figures are dominated by waking the other process over loopback on this 2-core machine (round spreads are wide); the client CPU per call is the steadier comparison.",
        `Server process CPU for the whole suite: ${Math.round(serverCpuMs)} ms over ${measured} measured cells.`,
      ],
    };
  },
};
