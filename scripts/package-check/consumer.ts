// Type-checked from a scratch project against the packed tarball (scripts/check-package.sh),
// once with moduleResolution node16 and once with bundler.
import {
  GrpcSchedulerClient,
  InMemorySchedulerClient,
  type Job,
  type JobCompletedEvent,
  type JobRequest,
  KafkaJobCompletedSubscriber,
  type Schedule,
  type SchedulerClient,
  SchedulerError,
} from "@k1s0/scheduler-client";
import { createTestServer, type TestServer } from "@k1s0/scheduler-client/testing";

const schedule: Schedule = { type: "cron", expression: "0 2 * * *", timezone: "Asia/Tokyo" };
const request: JobRequest = { name: "daily-report", schedule, payload: { tenant: "T-1" }, maxRetries: 3 };

export async function check(): Promise<Job> {
  const server: TestServer = await createTestServer({ clock: "manual" });
  const client: SchedulerClient & { close(): Promise<void> } = new GrpcSchedulerClient(server.url);
  try {
    return await client.createJob(request);
  } catch (err) {
    if (err instanceof SchedulerError) console.error(err.code satisfies string);
    throw err;
  } finally {
    await client.close();
    await server.close();
  }
}

export const inMemory: SchedulerClient = new InMemorySchedulerClient({ clock: "manual" });
export const onEvent = (e: JobCompletedEvent): string => `${e.jobId} ${e.result}`;
export const subscriberType: typeof KafkaJobCompletedSubscriber = KafkaJobCompletedSubscriber;
