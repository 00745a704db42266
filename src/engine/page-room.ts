import { encodePageToken } from "./page-token.js";

/**
 * Lets a listing stop short of its page size to keep the encoded page under a byte budget, but
 * never below one item when any remain.
 */
export interface PageBudget<T> {
  /** Most bytes of one encoded page: its items and its next-page token together. */
  maxBytes: number;
  /** Bytes `item` takes in the encoded page (an upper bound will do), framing included. */
  itemBytes(item: T): number;
  /** Bytes `token` takes in the encoded page as its next-page token (an upper bound will do). */
  tokenBytes(token: string): number;
}

/** The byte budget of one page being filled, shared by both listings. */
export class PageRoom<T> {
  /** Bytes left for items once the longest next-page token this listing could issue is set aside. */
  private readonly room: number;
  private used = 0;

  constructor(
    private readonly budget: PageBudget<T> | undefined,
    scope: string,
  ) {
    this.room = budget === undefined ? Infinity : budget.maxBytes - budget.tokenBytes(encodePageToken(scope, Number.MAX_SAFE_INTEGER));
  }

  /** Whether `item` still fits after `itemsSoFar` items (the first always does), counting it if so. */
  admits(item: T, itemsSoFar: number): boolean {
    if (this.budget === undefined) return true;
    const bytes = this.budget.itemBytes(item);
    if (itemsSoFar > 0 && this.used + bytes > this.room) return false;
    this.used += bytes;
    return true;
  }
}
