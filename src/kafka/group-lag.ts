import type { Kafka } from "kafkajs";
import { SchedulerError } from "../errors/scheduler-error.js";
import { messageOf } from "../internal/message-of.js";

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

/** How long a broker error that the protocol calls retriable is retried before lag() gives up. */
export const LAG_RETRY_DELAYS_MS: readonly number[] = [100, 200, 400, 800, 1_600, 3_200];

/**
 * A consumer group's lag per partition of `topic`: committed offsets and end offsets, read from
 * the brokers with a short-lived admin client. Errors the protocol calls retriable (a group
 * coordinator still loading its offsets after a broker start, a leader election) are retried
 * after each of {@link LAG_RETRY_DELAYS_MS} (6.3 s in all); kafkajs's admin does not retry them.
 * @throws `SERVER_ERROR` when the brokers cannot be reached or the topic does not exist.
 */
export async function readGroupLag(kafka: Kafka, groupId: string, topic: string, delaysMs: readonly number[] = LAG_RETRY_DELAYS_MS): Promise<PartitionLag[]> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const read = async (attempt: number): Promise<Awaited<ReturnType<typeof admin.fetchOffsets>>> => {
      try {
        return await admin.fetchOffsets({ groupId, topics: [topic] });
      } catch (err) {
        const delay = delaysMs[attempt];
        if (delay === undefined || (err as { retriable?: unknown }).retriable !== true) throw err;
        await new Promise((resolve) => setTimeout(resolve, delay));
        return read(attempt + 1);
      }
    };
    // One after the other: a retry of the committed offsets never outlives this call (a failed
    // end-offset read would otherwise end it while retries went on against a disconnected admin).
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await read(0);
    return ends
      .map(({ partition, high, low }) => {
        const offset = Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
        const end = Number(high);
        return { topic, partition, committed: offset, end, lag: Math.max(0, end - (offset >= 0 ? offset : Number(low))) };
      })
      .sort((a, b) => a.partition - b.partition);
  } catch (err) {
    throw new SchedulerError(`cannot read the lag of group ${groupId} on Kafka topic ${topic}: ${messageOf(err)}`, "SERVER_ERROR", { cause: err });
  } finally {
    await admin.disconnect();
  }
}
