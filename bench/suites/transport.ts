/**
 * Transport suite: GrpcSchedulerClient against the raw generated Connect client (facade
 * overhead), against @grpc/grpc-js with @grpc/proto-loader (the peer stack), and against itself
 * on Connect's stock transport (before/after the node-http2 transport). The server runs in its
 * own process and replays real engine responses, so the server is never the bottleneck.
 */
import type { Figure, SuiteResult } from "../lib/report.js";
import { median, percentile } from "../lib/stats.js";
import type { BenchSettings, BenchSuite } from "../lib/suite.js";
import { type BenchClient, CLIENT_LABELS, type ClientKind, createBenchClient, loadSubjects } from "./transport-clients.js";
import { startServerProcess } from "./transport-process.js";

const KINDS: readonly ClientKind[] = ["facade", "generated-lean", "generated-connect", "grpc-js", "facade-connect"];
const METHODS = ["getJob", "createJob", "listJobs"] as const;
type Method = (typeof METHODS)[number];
const IN_FLIGHT = [1, 64] as const;
const LIST_PAGE = 100;

/** One measurement of one client, method and concurrency. */
interface Cell {
  perSecond: number;
  p50Ms: number;
  cpuUsPerCall: number;
}

type Cells = Map<string, Cell[]>;
const key = (kind: ClientKind, method: Method, inFlight: number): string => `${kind}/${method}/${inFlight}`;

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
  return { perSecond: (latencies.length / elapsed) * 1000, p50Ms: percentile(latencies, 50), cpuUsPerCall: (cpu.user + cpu.system) / latencies.length };
}

/** Every client, method and concurrency once per round; the client order rotates each round. */
async function runMatrix(settings: BenchSettings, clients: Map<ClientKind, BenchClient>, jobId: string, durationMs: number): Promise<Cells> {
  const cells: Cells = new Map();
  for (let round = -1; round < settings.rounds; round++) {
    const order = KINDS.map((_, i) => KINDS[(i + Math.max(round, 0)) % KINDS.length]);
    for (const method of METHODS) {
      for (const inFlight of IN_FLIGHT) {
        for (const kind of order) {
          const cell = await measure(clients.get(kind)!, method, jobId, inFlight, durationMs);
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

function figure(cells: Cells, name: string, baseline: ClientKind, subject: ClientKind, method: Method, inFlight: number, metric: keyof Cell, goal?: number): Figure {
  const values = (kind: ClientKind): number[] => cells.get(key(kind, method, inFlight))!.map((c) => c[metric]);
  return {
    name,
    unit: metric === "perSecond" ? "calls/s" : metric === "p50Ms" ? "ms" : "us CPU/call",
    baseline: { label: CLIENT_LABELS[baseline], values: values(baseline) },
    subject: { label: CLIENT_LABELS[subject], values: values(subject) },
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
  each((m, n) => figure(cells, `facade overhead: ${at(m, n)}`, "generated-connect", "facade", m, n, "perSecond", 0.95));
  each((m, n) => figure(cells, `facade overhead, same transport: ${at(m, n)}`, "generated-lean", "facade", m, n, "perSecond", 0.95));
  each((m, n) => figure(cells, `vs grpc-js, throughput: ${at(m, n)}`, "grpc-js", "facade", m, n, "perSecond", 1.0));
  each((m, n) => figure(cells, `vs grpc-js, p50 latency: ${at(m, n)}`, "grpc-js", "facade", m, n, "p50Ms", 1.0));
  each((m, n) => figure(cells, `vs grpc-js, client CPU per call: ${at(m, n)}`, "grpc-js", "facade", m, n, "cpuUsPerCall"));
  each((m, n) => figure(cells, `before/after (Connect transport -> node-http2), throughput: ${at(m, n)}`, "facade-connect", "facade", m, n, "perSecond"));
  each((m, n) => figure(cells, `before/after, client CPU per call: ${at(m, n)}`, "facade-connect", "facade", m, n, "cpuUsPerCall"));
  return out;
}

/** Per method at 64 in flight: client CPU per call of the facade, the generated client on the same transport, grpc-js and the facade before. */
function facadeNotes(cells: Cells): string[] {
  return METHODS.map((method) => {
    const cpu = (kind: ClientKind): number => median(cells.get(key(kind, method, 64))!.map((c) => c.cpuUsPerCall));
    return `${method}, 64 in flight, client CPU per call (medians): GrpcSchedulerClient ${Math.round(cpu("facade"))} us, the generated client on the same transport ${Math.round(cpu("generated-lean"))} us, grpc-js ${Math.round(cpu("grpc-js"))} us, GrpcSchedulerClient on Connect's transport ${Math.round(cpu("facade-connect"))} us.`;
  });
}

export const transportSuite: BenchSuite = {
  id: "transport",
  async run(settings): Promise<SuiteResult> {
    const durationMs = settings.smoke ? 60 : 1_000;
    const subjects = await loadSubjects(settings.log);
    const server = await startServerProcess(["--mode=replay"]);
    const clients = new Map(KINDS.map((kind) => [kind, createBenchClient(kind, server.url, subjects)] as const));
    let cells: Cells;
    let serverCpuMs: number;
    try {
      cells = await runMatrix(settings, clients, server.jobId, durationMs);
    } finally {
      await Promise.all([...clients.values()].map((c) => c.close()));
      serverCpuMs = await server.stop();
    }
    const measured = [...cells.values()].flat().length;
    return {
      title: "Transport: facade overhead, grpc-js, before/after",
      method: [
        `Client in this process, server in its own process on 127.0.0.1 (bench/suites/transport-server.ts --mode=replay: node:http2 answering with messages the real engine produced - one job for getJob/createJob, a page of ${LIST_PAGE} jobs for listJobs - so the server costs the same for every client and is not the bottleneck).`,
        "This package's code is loaded from its CommonJS build (tsc -p tsconfig.cjs.json), as users run it.",
        `Clients: ${KINDS.map((k) => CLIENT_LABELS[k]).join("; ")}. Same messages, 10 s deadline on every call, a fresh idempotency key per create.`,
        `Each cell is a closed loop of N calls in flight for ${durationMs} ms; one unrecorded warm-up round of every cell, then ${settings.rounds} rounds, the client order rotating each round. Throughput = completed calls / elapsed; p50 over every call of the cell; client CPU = process.cpuUsage() delta / calls.`,
      ].join(" "),
      figures: figures(cells),
      notes: [
        ...facadeNotes(cells),
        "What the facade adds per call on top of a generated client: request validation, the retry interceptor, mapping to domain types (Date objects, the parsed JSON payload, checked enums), one error translation point. grpc-js with proto-loader hands back plain objects with string timestamps and the payload as unparsed JSON text.",
        "With 1 call in flight the figures are dominated by waking the other process over loopback on this 2-core machine (round spreads are wide); the client CPU per call is the steadier comparison.",
        `Server process CPU for the whole suite: ${Math.round(serverCpuMs)} ms over ${measured} measured cells.`,
      ],
    };
  },
};
