/** A raw HTTP/2 frame on stream 0 (SETTINGS, GOAWAY, ...), for peers that misbehave on purpose. */
export function frame(type: number, flags: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  return Buffer.concat([header, payload]);
}
