import { randomFillSync } from "node:crypto";

const IDS_PER_REFILL = 128;
/** Random bytes for the next ids, 16 each, from the system's CSPRNG (not the shared Buffer pool). */
const entropy = Buffer.alloc(16 * IDS_PER_REFILL);
let offset = entropy.length;
const text = Buffer.alloc(36);
const HEX = Buffer.from("0123456789abcdef", "latin1");
const DASH = 0x2d;

/**
 * A random version-4 UUID, like `crypto.randomUUID()`, made as one flat string. Node 20's
 * `randomUUID()` returns a rope of about twenty concatenated pieces: about 480 B on the heap for
 * as long as the id lives, and as much garbage again while it is built. The engine keeps an id
 * per job and per retained execution, so a flat 36-character string (about 60 B) matters.
 */
export function newId(): string {
  if (offset === entropy.length) {
    randomFillSync(entropy);
    offset = 0;
  }
  let at = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = DASH;
    let byte = entropy[offset + i];
    if (i === 6) byte = (byte & 0x0f) | 0x40; // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80; // RFC 9562 variant
    text[at++] = HEX[byte >> 4];
    text[at++] = HEX[byte & 0x0f];
  }
  offset += 16;
  return text.toString("latin1", 0, 36);
}
