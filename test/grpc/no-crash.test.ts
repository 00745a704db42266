// No network fault, wrong peer or close() may crash the process. Each scenario runs in a child
// process (a fixture under test/fixtures/crash/) that installs no 'uncaughtException' handler: an
// unhandled 'error' event - from an HTTP/2 session the client let go of - kills it with a non-zero
// exit code. A clean child prints a final JSON line of figures and then exits by itself, without
// process.exit(): nothing the client, its test server or its peers leave behind may keep it alive.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "../..");
const TSX_CLI = join(ROOT, "node_modules/tsx/dist/cli.mjs");
const TRANSPORTS = ["node-http2", "connect"] as const;

/** How a fixture process ended. */
interface ChildRun {
  /** Killed by the hang guard before it printed its final line. */
  hung: boolean;
  /** Printed its final line, then did not exit by itself: something kept the event loop alive. */
  keptAlive: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The final JSON line, parsed. */
  figures: Record<string, unknown> | undefined;
  ms: number;
}

/**
 * Runs `test/fixtures/crash/<script>` with tsx. The hang guard kills the process group (tsx runs
 * the fixture in a child of its own) after `hangMs` without a final line, or `exitMs` after it.
 * Bounds, not speed checks.
 */
async function runFixture(script: string, args: string[], hangMs: number, exitMs = 10_000): Promise<ChildRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [TSX_CLI, join("test/fixtures/crash", script), ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so the guard can kill tsx's child too
  });
  let stdout = "";
  let stderr = "";
  let reported = false;
  let hung = false;
  let keptAlive = false;
  const kill = (): void => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  };
  let guard = setTimeout(() => ((hung = true), kill()), hangMs);
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    if (!reported && /^\{.*\}\s*$/m.test(stdout)) {
      reported = true;
      clearTimeout(guard);
      guard = setTimeout(() => ((keptAlive = true), kill()), exitMs);
    }
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (c, s) => resolve([c, s])));
  clearTimeout(guard);
  const last = stdout.trim().split("\n").pop() ?? "";
  let figures: Record<string, unknown> | undefined;
  try {
    figures = last.startsWith("{") ? (JSON.parse(last) as Record<string, unknown>) : undefined;
  } catch {
    figures = undefined;
  }
  return { hung, keptAlive, code, signal, stdout, stderr, figures, ms: Date.now() - started };
}

/** Fails unless the fixture printed its figures and exited 0 by itself; logs the figures. */
function expectCleanExit(name: string, run: ChildRun): Record<string, unknown> {
  const verdict = run.hung
    ? "hung (killed by the guard before it reported)"
    : run.keptAlive
      ? "reported, then did not exit by itself (something keeps the event loop alive after close())"
      : run.code !== 0
        ? `crashed: exit code ${run.code}${run.signal === null ? "" : `, signal ${run.signal}`}`
        : run.figures === undefined
          ? "exited 0 without a final JSON line"
          : undefined;
  if (verdict !== undefined) {
    // Quoted with "| ": Jest would take the lines of a Node.js stack trace for this error's own.
    const quote = (lines: string[]): string => lines.map((line) => `  | ${line}`).join("\n");
    const progress = quote(run.stdout.trim().split("\n").slice(-6));
    const stderr = quote(run.stderr.trim().split("\n").slice(0, 16));
    throw new Error(`${name}: ${verdict} after ${run.ms} ms\nstdout (last lines):\n${progress}\nstderr (first lines):\n${stderr}`);
  }
  console.log(`${name}: ${run.ms} ms ${JSON.stringify(run.figures)}`);
  return run.figures!;
}

/** Failures by SchedulerError code, as the fixtures report them. */
function failedCodes(figures: Record<string, unknown>): Record<string, number> {
  return figures.callsFailed as Record<string, number>;
}

const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

describe.each(TRANSPORTS)("no crash (transport %s)", (transport) => {
  it("survives 200 black-hole cycles: keepalive PINGs time out, callers call again at once", async () => {
    const name = `black-hole ${transport}`;
    const figures = expectCleanExit(name, await runFixture("black-hole.ts", ["--transport", transport, "--cycles", "200"], 240_000));
    expect(figures).toMatchObject({ cycles: 200, notSchedulerErrors: [], crashes: 0 });
    const failed = failedCodes(figures);
    // Each cycle: one call through the healthy proxy, 4 black-holed calls and 4 calls right after.
    expect(figures.callsOk).toBeGreaterThanOrEqual(200);
    expect(sum(failed)).toBeGreaterThanOrEqual(200 * 4);
    expect(Object.keys(failed).filter((code) => code !== "TIMEOUT" && code !== "SERVER_ERROR")).toEqual([]);
    // The path under test: calls ended by the keepalive PING timeout, not only by their deadline.
    expect(figures.failedByPingTimeout).toBeGreaterThan(0);
  }, 300_000);

  it("close() resolves while black-holed calls are in flight, and while the first call is connecting", async () => {
    const name = `black-hole/close-in-flight ${transport}`;
    const figures = expectCleanExit(name, await runFixture("black-hole.ts", ["--transport", transport, "--cycles", "0", "--close-in-flight"], 60_000));
    expect(figures).toMatchObject({ notSchedulerErrors: [], crashes: 0 });
    expect(figures.closeInFlightMs).toEqual(expect.any(Number));
    expect(figures.closeConnectingMs).toEqual(expect.any(Number));
    // The calls made after close() began are refused.
    expect(failedCodes(figures).INVALID_STATE).toBeGreaterThan(0);
  }, 90_000);
});

/** Peers that are not a gRPC server on HTTP/2; see PEERS in test/fixtures/crash/bad-peer.ts. */
const PEERS = [
  "http1", // node:http, HTTP/1.1
  "tls-on-plaintext-url", // node:https on an http:// URL
  "raw-tls-on-plaintext-url", // node:tls on an http:// URL
  "plaintext-on-tls-url", // https:// URL with tls.ca, to the plaintext test server
  "tls-http1", // https:// URL with tls.ca, to node:https (no h2 in ALPN)
  "accept-close", // closes each connection at once
  "accept-reset", // resets each connection at once
  "preface-close", // reads a few bytes of the HTTP/2 preface, then closes
  "preface-reset", // ... or resets
  "garbage", // answers with bytes that are no HTTP/2 frames
  "silent", // accepts and never answers
];

describe.each(TRANSPORTS)("no crash with a peer that is not a gRPC server (transport %s)", (transport) => {
  // A self-signed certificate for 127.0.0.1 (cert.pem, key.pem), made at test time, for the TLS peers.
  let certs: string;
  beforeAll(() => {
    certs = mkdtempSync(join(tmpdir(), "k1s0-crash-certs-"));
    const subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"];
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", ...subject, "-keyout", "key.pem", "-out", "cert.pem"], { cwd: certs, stdio: "ignore" });
  });
  afterAll(() => rmSync(certs, { recursive: true, force: true }));

  // Children run a few at a time (Jest's maxConcurrency): each mostly waits.
  it.concurrent.each(PEERS)("%s: calls fail with a SchedulerError, close() resolves, the process exits", async (peer) => {
    const name = `bad-peer/${peer} ${transport}`;
    const figures = expectCleanExit(name, await runFixture("bad-peer.ts", ["--transport", transport, "--peer", peer, "--certs", certs], 60_000));
    // Two failed calls (the second made at once after the first), then INVALID_STATE after close().
    expect(figures).toMatchObject({ callsOk: 0, notSchedulerErrors: [], crashes: 0 });
    expect(sum(failedCodes(figures))).toBe(3);
    expect(failedCodes(figures).INVALID_STATE).toBe(1);
  }, 90_000);

  it.concurrent.each(PEERS)("%s: close() while the first call is connecting resolves, the process exits", async (peer) => {
    const name = `bad-peer/${peer}/close-early ${transport}`;
    const figures = expectCleanExit(name, await runFixture("bad-peer.ts", ["--transport", transport, "--peer", peer, "--certs", certs, "--close-early"], 60_000));
    expect(figures).toMatchObject({ callsOk: 0, notSchedulerErrors: [], crashes: 0 });
    // The call in flight fails (a retry after close() began may be refused too), then the one after close().
    expect(sum(failedCodes(figures))).toBe(2);
    expect(failedCodes(figures).INVALID_STATE).toBeGreaterThanOrEqual(1);
  }, 90_000);
});
