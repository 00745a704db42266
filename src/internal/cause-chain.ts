/**
 * Whether `err` or anything on its `cause` chain carries a Node.js error `code` in `codes`. Walked
 * structurally, not with `instanceof Error`: Node.js core errors from another realm (jest's VM)
 * fail that check. Cycles end the walk.
 */
export function hasCauseCode(err: unknown, codes: ReadonlySet<string>): boolean {
  const seen = new Set<unknown>();
  for (let e: unknown = err; typeof e === "object" && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && codes.has(code)) return true;
  }
  return false;
}
