import type { KafkaConfig } from "kafkajs";
import type { Logger } from "../logging/logger.js";
import { invalid } from "../validation/invalid.js";

/** The topic the scheduler publishes `JobCompletedEvent`s on. */
export const JOB_COMPLETED_TOPIC = "k1s0.system.scheduler.job_completed.v1";

/** Connection settings shared by the subscriber and the test server's publisher. */
export interface KafkaConnectionOptions {
  /** Bootstrap brokers, e.g. `["kafka:9092"]`. Required. */
  brokers: string[];
  /** The topic. @default "k1s0.system.scheduler.job_completed.v1" */
  topic?: string;
  /** Client id sent to the brokers. @default "k1s0-scheduler-client" */
  clientId?: string;
  /**
   * Further kafkajs settings (`ssl`, `sasl`, `retry`, `logLevel`, `logCreator`, ...).
   * @default kafkajs defaults, with logging off (the library prints nothing)
   */
  kafka?: Omit<KafkaConfig, "brokers" | "clientId">;
  /** Where subscriptions, failed deliveries and publish failures are reported. @default silent */
  logger?: Logger;
}

/**
 * Builds the kafkajs config, brokers checked. Needs no kafkajs (constructors call it to check their
 * options; kafkajs is loaded later): `createKafka()` adds the silent logging default.
 */
export function kafkaConfig(options: KafkaConnectionOptions, field = "options"): KafkaConfig {
  const { brokers } = options;
  if (!Array.isArray(brokers) || brokers.length === 0 || !brokers.every((b) => typeof b === "string" && BROKER.test(b))) {
    throw invalid("INVALID_ARGUMENT", `${field}.brokers`, brokers, 'must be a non-empty list of "host:port" (IPv6: "[::1]:9092")');
  }
  return { ...options.kafka, brokers, clientId: options.clientId ?? "k1s0-scheduler-client" };
}

/** `host:port`, or a bracketed IPv6 address and port (`[::1]:9092`, `[fe80::1%eth0]:9092`). */
const BROKER = /^(?:[^\s:[\]]+|\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]):\d+$/;

/** The topic, checked. */
export function kafkaTopic(options: KafkaConnectionOptions, field = "options"): string {
  const topic = options.topic ?? JOB_COMPLETED_TOPIC;
  if (typeof topic !== "string" || !/^[A-Za-z0-9._-]{1,249}$/.test(topic)) {
    throw invalid("INVALID_ARGUMENT", `${field}.topic`, topic, "must be a valid Kafka topic name");
  }
  return topic;
}
