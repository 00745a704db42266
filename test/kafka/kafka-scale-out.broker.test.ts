/**
 * Scale-out against the real broker: three subscriber processes in one group over 6 partitions,
 * with the default options, a backlog and about 600 events a second arriving. One member is
 * killed with SIGKILL mid-stream and a new one starts. Nothing may be lost; the events handled
 * twice (the dead member's work since its last commit) and the group's stall are printed and
 * held to the goals of the defaults: at most 1,000 duplicates, and the group resumes within 12 s
 * of the death (session timeout 10 s; heartbeats and empty fetches every 1 s).
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { Partitioners } from "kafkajs";
import { encodeJobCompletedEvent, type JobCompletedEvent, KafkaJobCompletedSubscriber } from "@k1s0/scheduler-client";
import { brokers, describeKafka, freshTopic, kafka, uniqueGroup, waitFor } from "../support/kafka.js";

jest.setTimeout(240_000);

const ROOT = join(__dirname, "..", "..");
const PARTITIONS = 6;
/** Events produced per second while the test runs, spread evenly over the partitions. */
const RATE = 600;
/** Events waiting before the members start: batches are full, as after an outage. */
const BACKLOG = 3_000;
/** Work per event in the members (a database write, say). */
const HANDLER_MS = 3;
const GOAL_DUPLICATES = 1_000;
const GOAL_STALL_MS = 12_000;

interface Handled {
  partition: number;
  executionId: string;
  at: number;
}

/** A group member process (test/fixtures/kafka/group-member.ts) and what it handled. */
class Member {
  readonly handled: Handled[] = [];
  stderr = "";
  /** The partitions it holds, as it last reported. */
  assignment: number[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private ready = false;
  private partial = "";
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    topic: string,
    groupId: string,
  ) {
    this.child = spawn(
      process.execPath,
      ["--import", "tsx", join("test", "fixtures", "kafka", "group-member.ts"), "--brokers", brokers!.join(","), "--topic", topic, "--group", groupId, "--handler-ms", String(HANDLER_MS)],
      { cwd: ROOT, detached: true },
    );
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    this.child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.child.stdout.on("data", (d: Buffer) => {
      const lines = (this.partial + d.toString()).split("\n");
      this.partial = lines.pop()!;
      for (const line of lines) {
        const [kind, jobId, executionId, at] = line.split(" ");
        if (kind === "READY") this.ready = true;
        if (kind === "A") this.assignment = executionId === undefined || executionId === "" ? [] : executionId.split(",").map(Number);
        // jobId is "p<partition>-...": the producer chose the partition.
        if (kind === "H") this.handled.push({ partition: Number(/^p(\d+)-/.exec(jobId)![1]), executionId, at: Number(at) });
      }
    });
  }

  isReady(): boolean {
    return this.ready;
  }

  /** Signals the whole process group (no child of the member survives a SIGKILL). */
  signal(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.child.pid!, signal);
    } catch {
      // already gone
    }
  }
}

const event = (n: number, partition: number): JobCompletedEvent => ({
  jobId: `p${partition}-job-${n % 50}`,
  executionId: `exec-${n}-${randomUUID()}`,
  completedAt: new Date(Date.UTC(2040, 0, 1) + n),
  result: "succeeded",
  jobName: "scale-out",
  attempt: 1,
});

describeKafka("Kafka subscriber scale-out: three processes, one killed mid-stream, one started", () => {
  const members: Member[] = [];
  afterAll(async () => {
    for (const m of members) m.signal("SIGKILL");
    await Promise.all(members.map((m) => m.exited));
  });

  it("loses nothing; duplicates and the stall after a member's death stay within the defaults' goals", async () => {
    const topic = await freshTopic(PARTITIONS);
    const groupId = uniqueGroup();
    const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const produced = new Set<string>();
    let n = 0;
    const send = async (count: number): Promise<void> => {
      const events = Array.from({ length: count }, () => {
        const partition = n % PARTITIONS;
        return { partition, event: event(n++, partition) };
      });
      await producer.send({ topic, acks: -1, messages: events.map(({ partition, event: e }) => ({ partition, ...encodeJobCompletedEvent(e) })) });
      for (const { event: e } of events) produced.add(e.executionId);
    };
    try {
      for (let i = 0; i < BACKLOG; i += 500) await send(500);

      // The group's coordinator answers before the members start: on a freshly started broker its
      // offsets partition may still be loading, which kafkajs consumers report as a crash.
      // lag() retries while it loads.
      await new KafkaJobCompletedSubscriber({ brokers: brokers!, topic, groupId }).lag();

      const [a, b, c] = ["A", "B", "C"].map((name) => new Member(name, topic, groupId));
      members.push(a, b, c);
      await waitFor(() => members.every((m) => m.isReady()), "three members subscribed", 60_000);

      // About RATE events a second from now on, in 10 slices a second.
      let producing = true;
      const production = (async () => {
        const started = Date.now();
        for (let slice = 1; producing; slice++) {
          await send(RATE / 10);
          const wait = started + slice * 100 - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
      })();

      await waitFor(() => [a, b, c].every((m) => m.handled.length >= 100), "every member handling events", 60_000);
      await new Promise((resolve) => setTimeout(resolve, 3_000)); // mid-stream
      const orphaned = [...a.assignment];
      a.signal("SIGKILL");
      const killedAt = Date.now();
      await a.exited;
      const d = new Member("D", topic, groupId);
      members.push(d);
      await new Promise((resolve) => setTimeout(resolve, 15_000));
      producing = false;
      await production;
      const producedUntil = Date.now();

      const unique = (): Set<string> => new Set(members.flatMap((m) => m.handled.map((h) => h.executionId)));
      await waitFor(() => unique().size >= produced.size, `all ${produced.size} events handled`, 120_000);
      for (const m of [b, c, d]) m.signal("SIGTERM");
      const codes = await Promise.all([b, c, d].map((m) => m.exited));
      expect(codes).toEqual([0, 0, 0]);

      const all = members.flatMap((m) => m.handled);
      const seen = unique();
      const lost = [...produced].filter((id) => !seen.has(id)).length;
      const duplicates = all.length - seen.size;
      const stall = longestPause(all, killedAt, producedUntil);
      const orphansResumed = orphaned.map((p) => `partition ${p} after ${Math.min(...all.filter((h) => h.partition === p && h.at > killedAt).map((h) => h.at)) - killedAt} ms`);
      const perMember = members.map((m) => `${m.name} ${m.handled.length}`).join(", ");
      console.info(
        `scale-out: produced ${produced.size} (backlog ${BACKLOG}, then ${RATE}/s), handled ${all.length} (${perMember}); ` +
          `consumer restarts after retriable errors ${(members.map((m) => m.stderr).join("").match(/onError consumer restarting/g) ?? []).length}; ` +
          `lost ${lost}; handled twice ${duplicates} (goal <= ${GOAL_DUPLICATES}); ` +
          `after the SIGKILL the whole group handled nothing for ${stall.ms} ms and resumed ${stall.resumedAfterMs} ms after the death (goal <= ${GOAL_STALL_MS} ms); ` +
          `the dead member's partitions were handled again: ${orphansResumed.join(", ")}`,
      );
      // A consumer that kafkajs restarted after a retriable error (a group coordinator still loading
      // on a busy broker, say) is reported and counted in the figures above; one that stopped fails.
      const stderr = members.map((m) => m.stderr).join("");
      if (stderr !== "") console.info(`members' stderr:\n${stderr}`);
      expect(stderr).not.toMatch(/onError consumer stopped/);
      expect(stderr).not.toMatch(/onError (?!consumer restarting)/);
      expect(lost).toBe(0);
      expect(seen.size).toBe(produced.size);
      expect(duplicates).toBeLessThanOrEqual(GOAL_DUPLICATES);
      expect(orphaned.length).toBeGreaterThan(0);
      expect(stall.resumedAfterMs).toBeLessThanOrEqual(GOAL_STALL_MS);
    } finally {
      await producer.disconnect();
    }
  });
});

/**
 * The longest time after the kill in which no member handled any event while events were still
 * arriving (the group's stop while it rebalances), and when it ended, counted from the kill.
 */
function longestPause(handled: Handled[], killedAt: number, producedUntil: number): { ms: number; resumedAfterMs: number } {
  const times = handled
    .map((h) => h.at)
    .filter((at) => at > killedAt && at <= producedUntil)
    .sort((x, y) => x - y);
  let longest = { ms: 0, resumedAfterMs: 0 };
  let previous = killedAt;
  for (const at of times) {
    if (at - previous > longest.ms) longest = { ms: at - previous, resumedAfterMs: at - killedAt };
    previous = at;
  }
  return longest;
}
