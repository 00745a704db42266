/**
 * `@k1s0/scheduler-client`: register cron, one-shot and interval jobs with the k1s0 scheduler,
 * control them, and read their executions.
 * @packageDocumentation
 */
export type { SchedulerClient } from "./scheduler-client.js";
export { GrpcSchedulerClient } from "./grpc/grpc-scheduler-client.js";
export type { GrpcSchedulerClientOptions } from "./grpc/grpc-client-options.js";
export { DEFAULT_TIMEOUT_MS } from "./grpc/grpc-client-options.js";
export { MAX_TIMEOUT_MS } from "./internal/call-options.js";
export { InMemorySchedulerClient } from "./in-memory/in-memory-scheduler-client.js";
export type { InMemorySchedulerClientOptions } from "./in-memory/in-memory-scheduler-client.js";
export { SchedulerError, SCHEDULER_ERROR_CODES } from "./errors/scheduler-error.js";
export type { SchedulerErrorCode, SchedulerErrorOptions } from "./errors/scheduler-error.js";
export { JOB_STATUSES, OVERLAP_POLICIES } from "./types/job.js";
export type { Job, JobFilter, JobRequest, JobStatus, OverlapPolicy } from "./types/job.js";
export type { JsonPayload, JsonValue } from "./types/json.js";
export { ENSURE_JOB_OUTCOMES } from "./types/job-changes.js";
export type { EnsureJobOutcome, EnsureJobResult, JobChanges } from "./types/job-changes.js";
export type { Schedule, ScheduleType } from "./types/schedule.js";
export { EXECUTION_RESULTS, EXECUTION_TRIGGERS } from "./types/execution.js";
export type { ExecutionResult, ExecutionTrigger, JobCompletedEvent, JobExecution } from "./types/execution.js";
export type { CallOptions, ListOptions } from "./types/call-options.js";
export type { ExecutionContext, Executor } from "./engine/executor.js";
export type { JobCompletedListener } from "./engine/scheduler-engine.js";
export type { Clock, ClockOption, Alarm } from "./engine/clock.js";
export { ManualClock, SystemClock } from "./engine/clock.js";
export { TRANSITION_RULES } from "./engine/job-lifecycle.js";
export type { JobOperation, TransitionRule } from "./engine/job-lifecycle.js";
export { LIMITS, DEFAULTS } from "./validation/limits.js";
export { KafkaJobCompletedSubscriber } from "./kafka/kafka-job-completed-subscriber.js";
export type { KafkaJobCompletedSubscriberOptions, KafkaSubscription } from "./kafka/kafka-job-completed-subscriber.js";
export type { PartitionLag } from "./kafka/group-lag.js";
export { JOB_COMPLETED_TOPIC } from "./kafka/kafka-options.js";
export type { KafkaConnectionOptions } from "./kafka/kafka-options.js";
export type {
  DeliveryFailure,
  JobCompletedHandler,
  JobCompletedSubscriber,
  SubscribeOptions,
  Subscription,
  SubscriptionHealth,
} from "./events/job-completed-subscriber.js";
export { InMemoryJobCompletedSubscriber } from "./events/in-memory-subscriber.js";
export type { InMemorySubscriberOptions } from "./events/in-memory-subscriber.js";
export {
  decodeJobCompletedEvent,
  encodeJobCompletedEvent,
  JSON_CONTENT_TYPE,
  PROTOBUF_CONTENT_TYPE,
} from "./mapping/event-codec.js";
export type { EncodedJobCompletedEvent } from "./mapping/event-codec.js";
export { silentLogger } from "./logging/logger.js";
export type { Logger } from "./logging/logger.js";
export type { Interceptor } from "@connectrpc/connect";
export { DEFAULT_RETRY_POLICY } from "./grpc/retry-interceptor.js";
export type { RetryPolicy } from "./grpc/retry-interceptor.js";
