/**
 * Scenario from the design document: a service reacts to "job completed" events from Kafka.
 * Needs a broker: `scripts/kafka.sh start`, then
 *
 *   KAFKA_BROKERS=127.0.0.1:<port> npx tsx examples/kafka-consumer.ts
 */
import { GrpcSchedulerClient, type JobCompletedEvent, KafkaJobCompletedSubscriber } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";

export async function main(brokers = process.env.KAFKA_BROKERS?.split(",")): Promise<JobCompletedEvent[]> {
  if (brokers === undefined) throw new Error("set KAFKA_BROKERS (scripts/kafka.sh start prints it)");
  const topic = `k1s0.example.${Date.now()}`;
  const server = await createTestServer({ clock: "manual", kafka: { brokers, topic } });
  const client = new GrpcSchedulerClient(server.url, { clock: server.clock });
  const subscriber = new KafkaJobCompletedSubscriber({ brokers, topic, groupId: "notification-service", fromBeginning: true, dedupeWindowMs: 60_000 });
  const controller = new AbortController();
  try {
    await client.createJob({ name: "health-sync", schedule: { type: "interval", intervalMs: 600_000 }, payload: {} });
    await server.advanceTime(20 * 60_000);
    const seen: JobCompletedEvent[] = [];
    for await (const event of subscriber.events({ signal: controller.signal })) {
      console.log(`${event.jobName} ${event.result} at ${event.completedAt.toISOString()}`);
      seen.push(event);
      if (seen.length === 2) controller.abort();
    }
    return seen;
  } finally {
    await client.close();
    await server.close();
  }
}

if (require.main === module) void main();
