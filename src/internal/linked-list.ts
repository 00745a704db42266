/** What an item of a {@link LinkedList} carries: its neighbours, and whether it is in a list. */
export interface Linked<T> {
  prev: T | undefined;
  next: T | undefined;
  listed: boolean;
}

/**
 * A list of things in progress (calls in flight) linked through the items themselves: adding
 * and removing cost no hash-table entry, and nothing of a removed item stays reachable from the
 * list - a `Set` keeps deleted entries until it rehashes, so what they hold outlives them.
 */
export class LinkedList<T extends Linked<T>> {
  private head: T | undefined;

  add(item: T): void {
    item.next = this.head;
    if (this.head !== undefined) this.head.prev = item;
    this.head = item;
    item.listed = true;
  }

  /** Takes `item` out; does nothing if it is not in. */
  remove(item: T): void {
    if (!item.listed) return;
    item.listed = false;
    if (item.prev !== undefined) item.prev.next = item.next;
    else this.head = item.next;
    if (item.next !== undefined) item.next.prev = item.prev;
    item.prev = item.next = undefined;
  }

  /** The items now, newest first (a copy: acting on them may change the list). */
  snapshot(): T[] {
    const items: T[] = [];
    for (let item = this.head; item !== undefined; item = item.next) items.push(item);
    return items;
  }
}
