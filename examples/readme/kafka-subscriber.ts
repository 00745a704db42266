import { GrpcSchedulerClient, type JobCompletedEvent, KafkaJobCompletedSubscriber } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";

export async function main(brokers: string[]): Promise<string[]> {
  const topic = `k1s0.readme.${Date.now()}`; // in production: the default, k1s0.system.scheduler.job_completed.v1
  // The test server publishes a JobCompletedEvent to Kafka for every finished execution.
  const server = await createTestServer({ clock: "manual", kafka: { brokers, topic } });
  const client = new GrpcSchedulerClient(server.url, { clock: server.clock });

  const subscriber = new KafkaJobCompletedSubscriber({ brokers, topic, groupId: "report-service", fromBeginning: true });
  const received: JobCompletedEvent[] = [];
  const subscription = await subscriber.subscribe(
    async (event) => {
      received.push(event); // resolve = processed; the offset is committed after this
    },
    { onError: (failure) => console.error("undeliverable event", failure.reason, failure.error) },
  );

  await client.createJob({ name: "health-sync", schedule: { type: "interval", intervalMs: 600_000 }, payload: {} });
  await server.advanceTime(30 * 60_000); // three executions -> three events

  while (received.length < 3) await new Promise((resolve) => setTimeout(resolve, 20));
  await subscription.close();
  await client.close();
  await server.close();
  return received.map((e) => `${e.jobName} ${e.result}`);
}

// Run by itself (KAFKA_BROKERS=host:port npx tsx examples/readme/kafka-subscriber.ts), it prints the events.
if (require.main === module) void main((process.env.KAFKA_BROKERS ?? "localhost:9092").split(",")).then((lines) => console.log(lines.join("\n")));
