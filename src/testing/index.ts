/**
 * Test utilities: `@k1s0/scheduler-client/testing`.
 * @packageDocumentation
 */
export { createTestServer } from "./test-server.js";
export type { TestServer, TestServerOptions } from "./test-server.js";
export { ManualClock, SystemClock } from "../engine/clock.js";
export type { Alarm, Clock, ClockOption } from "../engine/clock.js";
export type { KafkaPublisherOptions } from "../kafka/kafka-event-publisher.js";
