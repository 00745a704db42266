/**
 * Runs `baseline` and `subject` in alternating order round by round (A B, B A, A B, ...), after
 * one unrecorded warm-up of each (unless `warmUp` is false: a side that starts a fresh process
 * every time has nothing to warm), so drift on a shared machine hits both sides alike.
 * Returns the per-round values of each side.
 */
export async function alternate<T = number>(
  rounds: number,
  baseline: () => Promise<T>,
  subject: () => Promise<T>,
  { warmUp = true }: { warmUp?: boolean } = {},
): Promise<{ baseline: T[]; subject: T[] }> {
  if (warmUp) {
    await baseline();
    await subject();
  }
  const b: T[] = [];
  const s: T[] = [];
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
