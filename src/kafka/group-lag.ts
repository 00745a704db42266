import type { Kafka } from "kafkajs";
import { SchedulerError } from "../errors/scheduler-error.js";

/** How far a consumer group is behind on one partition. */
export interface PartitionLag {
  /** The subscribed topic. */
  topic: string;
  /** The partition number. */
  partition: number;
  /** The group's committed offset (the next record it will read), or -1 when it committed none. */
  committed: number;
  /** The partition's end offset (high watermark). */
  end: number;
  /** Records not yet acknowledged: `end - committed` (`end - start of the partition` when nothing is committed). */
  lag: number;
}

/**
 * A consumer group's lag per partition of `topic`: committed offsets and end offsets, read from
 * the brokers with a short-lived admin client.
 * @throws `SERVER_ERROR` when the brokers cannot be reached or the topic does not exist.
 */
export async function readGroupLag(kafka: Kafka, groupId: string, topic: string): Promise<PartitionLag[]> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const [[committed], ends] = await Promise.all([admin.fetchOffsets({ groupId, topics: [topic] }), admin.fetchTopicOffsets(topic)]);
    return ends
      .map(({ partition, high, low }) => {
        const offset = Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
        const end = Number(high);
        return { topic, partition, committed: offset, end, lag: Math.max(0, end - (offset >= 0 ? offset : Number(low))) };
      })
      .sort((a, b) => a.partition - b.partition);
  } catch (err) {
    throw new SchedulerError(`cannot read the lag of group ${groupId} on Kafka topic ${topic}: ${err instanceof Error ? err.message : String(err)}`, "SERVER_ERROR", { cause: err });
  } finally {
    await admin.disconnect();
  }
}
