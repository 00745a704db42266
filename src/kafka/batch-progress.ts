import type { EachBatchPayload } from "kafkajs";

/** How often a batch loop that handles events quickly checkpoints (resolve, commit if due, heartbeat). */
const CHECK_MS = 50;
/** How often the membership is kept alive while one handler call is in progress. */
const TICK_MS = 250;

/**
 * Acknowledges one fetched batch as handling progresses, and keeps this member in its group while
 * a handler runs.
 *
 * kafkajs sends heartbeats and commits only when the batch callback asks (or when the batch
 * ends); a batch can hold thousands of events. So handled offsets are resolved and committed
 * (when kafkajs's `autoCommitInterval` / `autoCommitThreshold` say so) at checkpoints: at most every
 * {@link CHECK_MS} between events, and every {@link TICK_MS} while a handler call is pending (a slow
 * handler neither loses the group nor holds back the commit of what came before it). A crash
 * then redelivers about one commit interval of events, not a whole batch.
 */
export class BatchProgress {
  private handled: string | undefined;
  private nextCheck: number;
  private running: Promise<void> | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private waiting = 0;
  /** A checkpoint in the background failed (the group is rebalancing): the batch must end. */
  private lost: { error: unknown } | undefined;

  constructor(private readonly payload: EachBatchPayload) {
    this.nextCheck = Date.now() + CHECK_MS;
  }

  /** Marks `offset` (and all before it in this batch) as handled or reported. */
  handledUpTo(offset: string): void {
    this.handled = offset;
  }

  /** Resolves the handled offsets, commits them if the commit interval or threshold is reached, and heartbeats. One at a time. */
  checkpoint(): Promise<void> {
    return (this.running ??= this.runCheckpoint().finally(() => (this.running = undefined)));
  }

  /** A checkpoint when the last one is {@link CHECK_MS} old (called after each event). */
  async maybeCheckpoint(): Promise<void> {
    this.throwIfLost();
    if (Date.now() < this.nextCheck) return;
    await this.checkpoint();
    this.nextCheck = Date.now() + CHECK_MS;
  }

  /** Waits for `work` (a handler call) with checkpoints every {@link TICK_MS} meanwhile. */
  async during<T>(work: Promise<T>): Promise<T> {
    this.ticker ??= setInterval(() => this.tick(), TICK_MS).unref();
    this.waiting++;
    try {
      return await work;
    } finally {
      this.waiting--;
    }
  }

  /** Ends the batch: stops the ticker and resolves what was handled (kafkajs commits it next). */
  finish(): void {
    clearInterval(this.ticker);
    this.resolve();
  }

  /** Rethrows a background checkpoint's failure, so kafkajs rejoins the group. */
  throwIfLost(): void {
    if (this.lost !== undefined) throw this.lost.error;
  }

  private tick(): void {
    if (this.waiting === 0 || this.lost !== undefined) return;
    this.checkpoint().catch((error: unknown) => (this.lost = { error }));
  }

  private async runCheckpoint(): Promise<void> {
    this.resolve();
    await this.payload.commitOffsetsIfNecessary();
    await this.payload.heartbeat();
  }

  private resolve(): void {
    if (this.handled === undefined) return;
    this.payload.resolveOffset(this.handled);
    this.handled = undefined;
  }
}
