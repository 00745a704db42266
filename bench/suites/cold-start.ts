/**
 * Cold-start suite: what it costs a fresh Node.js process to get a usable scheduler client,
 * `require("@k1s0/scheduler-client")` (the package's CommonJS build) against the classic
 * dynamic gRPC stack, `@grpc/grpc-js` + `@grpc/proto-loader` loading the same .proto files.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { alternate } from "../lib/alternate.js";
import type { SuiteResult } from "../lib/report.js";
import { median } from "../lib/stats.js";
import type { BenchSettings, BenchSuite } from "../lib/suite.js";
import { buildPackage } from "./cold-start-build.js";

const ROOT = path.join(__dirname, "..", "..");
const FULL_CHILDREN = 10;
const SMOKE_CHILDREN = 2;
/** Hang guard for one child; never a verdict on speed. */
const CHILD_TIMEOUT_MS = 60_000;
const MIB = 2 ** 20;

/**
 * The child's report: load time (ms, from just before the first require until the client is
 * constructed), heap used after that (bytes, after a full collection), and whether kafkajs got
 * loaded on the way. The script then closes its client and exits on its own, so the parent's wall
 * time includes a clean shutdown.
 */
const REPORT = `
  const loadMs = performance.now() - started;
  global.gc();
  const heapUsed = process.memoryUsage().heapUsed;
  const kafkajsLoaded = Object.keys(require.cache).some((file) => file.includes("/node_modules/kafkajs/"));
  process.stdout.write(JSON.stringify({ loadMs, heapUsed, kafkajsLoaded }));
`;

/** Subject: the built package's entry point (argv[1]), one client, closed. */
const SUBJECT = `
  const started = performance.now();
  const { GrpcSchedulerClient } = require(process.argv[1]);
  const client = new GrpcSchedulerClient("http://127.0.0.1:1");
  ${REPORT}
  void client.close();
`;

/** Baseline: grpc-js + proto-loader, the service's .proto loaded at run time (argv[1]: proto/), one client, closed. */
const BASELINE = `
  const started = performance.now();
  const grpc = require("@grpc/grpc-js");
  const protoLoader = require("@grpc/proto-loader");
  const definition = protoLoader.loadSync("k1s0/system/scheduler/v1/scheduler_service.proto", {
    includeDirs: [process.argv[1]], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  });
  const { SchedulerService } = grpc.loadPackageDefinition(definition).k1s0.system.scheduler.v1;
  const client = new SchedulerService("127.0.0.1:1", grpc.credentials.createInsecure());
  ${REPORT}
  client.close();
`;

/** For the notes: kafkajs on its own (the package's main entry exports KafkaJobCompletedSubscriber). */
const KAFKAJS_ONLY = `
  const started = performance.now();
  require("kafkajs");
  ${REPORT}
`;

/** One child process: what it reported, and its wall time as the parent saw it. */
interface Sample {
  loadMs: number;
  heapUsed: number;
  kafkajsLoaded: boolean;
  wallMs: number;
}

/** The medians of one round of children. */
interface Round {
  loadMs: number;
  wallMs: number;
  heapMiB: number;
  /** Whether any of its processes loaded kafkajs. */
  kafkajsLoaded: boolean;
}

export const coldStartSuite: BenchSuite = {
  id: "cold-start",
  async run(settings: BenchSettings): Promise<SuiteResult> {
    const entry = await buildPackage(settings.log);
    const children = settings.smoke ? SMOKE_CHILDREN : FULL_CHILDREN;
    const baseline: Round[] = [];
    const subject: Round[] = [];
    await alternate(
      settings.rounds,
      () => round(settings, "grpc-js + proto-loader", children, () => child(BASELINE, path.join(ROOT, "proto")), baseline),
      () => round(settings, "scheduler-client", children, () => child(SUBJECT, entry), subject),
    );
    const kafkajs: Round[] = [];
    for (let i = 0; i < settings.rounds; i++) await round(settings, "kafkajs alone", children, () => child(KAFKAJS_ONLY, ""), kafkajs);
    // The first round of each side is alternate()'s unrecorded warm-up.
    return result(children, settings, { baseline: baseline.slice(1), subject: subject.slice(1), kafkajs });
  },
};

/** Runs `children` fresh processes one after another; records and returns their medians. */
async function round(settings: BenchSettings, label: string, children: number, spawn: () => Promise<Sample>, into: Round[]): Promise<number> {
  const samples: Sample[] = [];
  for (let i = 0; i < children; i++) samples.push(await spawn());
  const medians: Round = {
    loadMs: median(samples.map((s) => s.loadMs)),
    wallMs: median(samples.map((s) => s.wallMs)),
    heapMiB: median(samples.map((s) => s.heapUsed)) / MIB,
    kafkajsLoaded: samples.some((s) => s.kafkajsLoaded),
  };
  into.push(medians);
  settings.log(`cold-start: ${label} load ${medians.loadMs.toFixed(1)} ms, process ${medians.wallMs.toFixed(1)} ms, heap ${medians.heapMiB.toFixed(1)} MiB`);
  return medians.loadMs;
}

/** `node --expose-gc -e <script> <arg>` in the repository, without the parent's NODE_OPTIONS. */
function child(script: string, arg: string): Promise<Sample> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--expose-gc", "-e", script, arg], { cwd: ROOT, env, encoding: "utf8", timeout: CHILD_TIMEOUT_MS }, (error, stdout, stderr) => {
      const wallMs = performance.now() - started;
      if (error !== null) return reject(new Error(`cold-start child failed: ${error.message}\n${stderr}`));
      try {
        const report = JSON.parse(stdout) as Omit<Sample, "wallMs">;
        resolve({ ...report, wallMs });
      } catch {
        reject(new Error(`cold-start child printed no report: ${stdout}\n${stderr}`));
      }
    });
  });
}

function result(children: number, settings: BenchSettings, rounds: { baseline: Round[]; subject: Round[]; kafkajs: Round[] }): SuiteResult {
  const { baseline, subject, kafkajs } = rounds;
  const heapBaseline = median(baseline.map((r) => r.heapMiB));
  return {
    title: "Cold start: a usable client in a fresh process",
    method: [
      `Fresh Node.js processes (\`${path.basename(process.execPath)} --expose-gc -e ...\`, started from the repository root, no NODE_OPTIONS), ${children} per side per round, one after another; each round's value is the median of its processes.`,
      "Subject: require() of the package's CommonJS build (tsc -p tsconfig.cjs.json, as `npm run build` makes dist/cjs, built by the suite into a private folder), then `new GrpcSchedulerClient(\"http://127.0.0.1:1\")`.",
      "Baseline: require('@grpc/grpc-js') and require('@grpc/proto-loader'), protoLoader.loadSync of proto/k1s0/system/scheduler/v1/scheduler_service.proto (keepCase, longs/enums as String, defaults, oneofs), grpc.loadPackageDefinition, then `new SchedulerService(\"127.0.0.1:1\", insecure credentials)`.",
      "Neither client connects (both connect lazily). Load time: performance.now() in the child from just before the first require until the client is constructed.",
      "Process wall time: from spawn to exit as the parent sees it (Node.js start-up, load, the heap reading's forced collection, then closing the client and exiting on its own).",
      "Heap: process.memoryUsage().heapUsed right after construction and a forced full collection.",
      `One unrecorded warm-up round of each side, then ${settings.rounds} rounds alternating the order;`,
      `then ${settings.rounds} rounds of processes that only require('kafkajs'), for the reading below.`,
    ].join(" "),
    figures: [
      {
        name: "require to a constructed client",
        unit: "ms",
        baseline: { label: "@grpc/grpc-js + @grpc/proto-loader", values: baseline.map((r) => r.loadMs) },
        subject: { label: "@k1s0/scheduler-client", values: subject.map((r) => r.loadMs) },
        higherIsBetter: false,
      },
      {
        name: "whole process, spawn to exit",
        unit: "ms",
        baseline: { label: "@grpc/grpc-js + @grpc/proto-loader", values: baseline.map((r) => r.wallMs) },
        subject: { label: "@k1s0/scheduler-client", values: subject.map((r) => r.wallMs) },
        higherIsBetter: false,
      },
    ],
    readings: [
      {
        name: "@k1s0/scheduler-client: heap used after load",
        unit: "MiB",
        values: subject.map((r) => r.heapMiB),
        context: `grpc-js + proto-loader: ${heapBaseline.toFixed(1)} MiB`,
      },
      {
        name: "require('kafkajs') alone",
        unit: "ms",
        values: kafkajs.map((r) => r.loadMs),
        context: subject.some((r) => r.kafkajsLoaded)
          ? "loaded by the package's main entry even when only the gRPC client is used"
          : "not loaded by the package's main entry in this run",
      },
    ],
    notes: notes(baseline, subject, kafkajs),
  };
}

/** What the figures say, from this run's medians. */
function notes(baseline: Round[], subject: Round[], kafkajs: Round[]): string[] {
  const ours = median(subject.map((r) => r.loadMs));
  const theirs = median(baseline.map((r) => r.loadMs));
  const kafka = median(kafkajs.map((r) => r.loadMs));
  const verdict =
    ours <= theirs
      ? `The package gives a usable client ${(theirs - ours).toFixed(0)} ms sooner than grpc-js + proto-loader.`
      : `The package takes ${(ours - theirs).toFixed(0)} ms longer than grpc-js + proto-loader to give a usable client.`;
  if (!subject.some((r) => r.kafkajsLoaded)) return [`${verdict} The package's main entry did not load kafkajs.`];
  return [
    `${verdict} Loading kafkajs alone takes ${kafka.toFixed(0)} ms in a fresh process, about ${Math.round((100 * kafka) / ours)}% of the package's ${ours.toFixed(0)} ms, and the main entry loads it (it exports KafkaJobCompletedSubscriber), so every user of the gRPC client pays for it. Loading kafkajs only when a subscriber is created, or from a separate entry point, would take that off the gRPC client's cold start.`,
  ];
}
