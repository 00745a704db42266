/**
 * Runs `baseline` and `subject` in alternating order round by round (A B, B A, A B, ...), after
 * one unrecorded warm-up of each, so drift on a shared machine hits both sides alike.
 * Returns the per-round values of each side.
 */
export async function alternate(
  rounds: number,
  baseline: () => Promise<number>,
  subject: () => Promise<number>,
): Promise<{ baseline: number[]; subject: number[] }> {
  await baseline();
  await subject();
  const b: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      b.push(await baseline());
      s.push(await subject());
    } else {
      s.push(await subject());
      b.push(await baseline());
    }
  }
  return { baseline: b, subject: s };
}

/**
 * Keeps `inFlight` calls of `call` going for `durationMs` and returns calls per second and the
 * latency of each completed call (ms).
 */
export async function closedLoop(call: () => Promise<unknown>, inFlight: number, durationMs: number): Promise<{ perSecond: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await call();
        latenciesMs.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - start;
  return { perSecond: (latenciesMs.length / elapsed) * 1000, latenciesMs };
}
