import { type DescField, type DescMessage, fromBinary, type MessageShape, ScalarType } from "@bufbuild/protobuf";
import { Edition, FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/** Decodes binary protobuf into the same plain message object `fromBinary` makes. */
export type MessageDecoder<Desc extends DescMessage> = (bytes: Uint8Array) => MessageShape<Desc>;

type Msg = Record<string, unknown>;

// Read once: in the CommonJS build every `WireType.X` would be a getter call on the hot path.
const VARINT = WireType.Varint;
const BIT64 = WireType.Bit64;
const LENGTH_DELIMITED = WireType.LengthDelimited;
const END_GROUP = WireType.EndGroup;
const BIT32 = WireType.Bit32;
type FieldReader = (msg: Msg, reader: BinaryReader, wireType: WireType) => void;

interface Compiled {
  typeName: string;
  /** A fresh message with every implicit-presence field at its zero value, as `create()` makes it. */
  zero: () => Msg;
  /** Readers by field number (a sparse array: field numbers are small). */
  readers: (FieldReader | undefined)[];
}

const cache = new WeakMap<DescMessage, Compiled | null>();

/**
 * A decoder compiled once from a message's descriptor: a reader per field number instead of
 * protobuf-es's reflective `fromBinary`, about four times faster on the scheduler's messages
 * (bench/RESULTS.md). It produces exactly what `fromBinary(desc, bytes, { readUnknownFields:
 * false })` produces (a property test checks this), and is stricter where that one would read
 * garbage: a field with the wrong wire type is an error.
 *
 * Returns undefined when the message, or any message it can contain, is something it does not
 * compile - proto2 or editions files, map fields, group (delimited) encoding - so the caller
 * falls back to `fromBinary`.
 */
export function compileDecoder<Desc extends DescMessage>(desc: Desc): MessageDecoder<Desc> | undefined {
  if (!compilable(desc, new Set())) return undefined;
  const compiled = compile(desc);
  if (compiled === undefined) return undefined;
  return (bytes) => {
    const reader = new BinaryReader(bytes);
    const msg = compiled.zero();
    readInto(compiled, msg, reader, bytes.length);
    return msg as MessageShape<Desc>;
  };
}

const decoders = new WeakMap<DescMessage, (bytes: Uint8Array) => unknown>();

/** The compiled decoder of `desc`, or `fromBinary` for what does not compile; made once per descriptor. */
export function decoderFor<Desc extends DescMessage>(desc: Desc): MessageDecoder<Desc> {
  let decoder = decoders.get(desc);
  if (decoder === undefined) {
    decoder = compileDecoder(desc) ?? ((bytes: Uint8Array) => fromBinary(desc, bytes, { readUnknownFields: false }));
    decoders.set(desc, decoder);
  }
  return decoder as MessageDecoder<Desc>;
}

/**
 * Whether every message reachable from `desc` compiles. Checked up front: a nested message found
 * unsupported only while compiling would leave already compiled readers pointing at it.
 */
function compilable(desc: DescMessage, visiting: Set<DescMessage>): boolean {
  if (visiting.has(desc)) return true;
  visiting.add(desc);
  if (desc.file.edition !== PROTO3) return false;
  return desc.fields.every((field) => {
    if (field.fieldKind === "map") return false;
    const nested = field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message") ? field : undefined;
    return nested === undefined || (!nested.delimitedEncoding && compilable(nested.message, visiting));
  });
}

function compile(desc: DescMessage): Compiled | undefined {
  const cached = cache.get(desc);
  if (cached !== undefined) return cached ?? undefined;
  if (desc.file.edition !== PROTO3) return unsupported(desc);
  // Registered before its fields, so recursive messages find it.
  const compiled: Compiled = { typeName: desc.typeName, zero: () => ({ $typeName: desc.typeName }), readers: [] };
  cache.set(desc, compiled);
  const zeroes: [string, () => unknown][] = [];
  for (const member of desc.members) {
    if (member.kind === "oneof") {
      zeroes.push([member.localName, () => ({ case: undefined })]);
      continue;
    }
    const reader = fieldReader(member);
    if (reader === undefined) return unsupported(desc);
    compiled.readers[member.number] = reader;
    const zero = zeroValue(member);
    if (zero !== undefined) zeroes.push([member.localName, zero]);
  }
  for (const field of desc.fields) {
    if (field.oneof === undefined) continue;
    const reader = fieldReader(field);
    if (reader === undefined) return unsupported(desc);
    compiled.readers[field.number] = reader;
  }
  compiled.zero = () => {
    const msg: Msg = { $typeName: desc.typeName };
    for (const [name, zero] of zeroes) msg[name] = zero();
    return msg;
  };
  return compiled;
}

/** Remembers that `desc` does not compile (so `fromBinary` decodes it), and says so. */
function unsupported(desc: DescMessage): undefined {
  cache.set(desc, null);
  return undefined;
}

const PROTO3 = Edition.EDITION_PROTO3;

/** The zero value `create()` gives a field, or undefined when the field starts unset. */
function zeroValue(field: DescField): (() => unknown) | undefined {
  switch (field.fieldKind) {
    case "list":
      return () => [];
    case "map":
      return () => ({});
    case "message":
      return undefined;
    case "enum":
      return field.presence === IMPLICIT ? () => field.enum.values[0]?.number ?? 0 : undefined;
    case "scalar": {
      if (field.presence !== IMPLICIT) return undefined;
      const zero = scalarZero(field.scalar, field.longAsString);
      return field.scalar === ScalarType.BYTES ? () => new Uint8Array(0) : () => zero;
    }
  }
}

const IMPLICIT = FeatureSet_FieldPresence.IMPLICIT;

function scalarZero(type: ScalarType, longAsString: boolean): unknown {
  switch (type) {
    case ScalarType.STRING:
      return "";
    case ScalarType.BOOL:
      return false;
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
    case ScalarType.SINT64:
      return longAsString ? "0" : 0n;
    default:
      return 0;
  }
}

function fieldReader(field: DescField): FieldReader | undefined {
  const name = field.localName;
  const oneof = field.oneof?.localName;
  switch (field.fieldKind) {
    case "scalar":
    case "enum": {
      const type = field.fieldKind === "enum" ? ScalarType.INT32 : field.scalar;
      const read = scalarReader(type, field.fieldKind === "scalar" && field.longAsString, field.utf8Validation);
      const wire = wireTypeOf(type);
      if (oneof !== undefined) {
        return (msg, reader, wireType) => {
          expectWireType(field, wireType, wire);
          msg[oneof] = { case: name, value: read(reader) };
        };
      }
      return (msg, reader, wireType) => {
        expectWireType(field, wireType, wire);
        msg[name] = read(reader);
      };
    }
    case "message": {
      if (field.delimitedEncoding) return undefined;
      const nested = lazily(field.message);
      return (msg, reader, wireType) => {
        expectWireType(field, wireType, LENGTH_DELIMITED);
        const compiled = nested();
        if (oneof !== undefined) {
          const current = msg[oneof] as { case: string | undefined; value?: Msg };
          // A repeated occurrence of a singular message merges into it, as in fromBinary.
          const target = current.case === name && current.value !== undefined ? current.value : compiled.zero();
          readNested(compiled, target, reader);
          msg[oneof] = { case: name, value: target };
          return;
        }
        const target = (msg[name] as Msg | undefined) ?? compiled.zero();
        readNested(compiled, target, reader);
        msg[name] = target;
      };
    }
    case "list": {
      if (field.listKind === "message") {
        if (field.delimitedEncoding) return undefined;
        const nested = lazily(field.message);
        return (msg, reader, wireType) => {
          expectWireType(field, wireType, LENGTH_DELIMITED);
          const compiled = nested();
          const item = compiled.zero();
          readNested(compiled, item, reader);
          (msg[name] as unknown[]).push(item);
        };
      }
      const type = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
      const read = scalarReader(type, field.listKind === "scalar" && field.longAsString, field.utf8Validation);
      const wire = wireTypeOf(type);
      return (msg, reader, wireType) => {
        const list = msg[name] as unknown[];
        if (wireType === LENGTH_DELIMITED && wire !== LENGTH_DELIMITED) {
          // Packed: the elements back to back.
          const end = reader.uint32() + reader.pos;
          while (reader.pos < end) list.push(read(reader));
          return;
        }
        expectWireType(field, wireType, wire);
        list.push(read(reader));
      };
    }
    case "map":
      return undefined;
  }
}

// Nesting depth of the decode in progress (decoding is synchronous), bounded as in fromBinary.
let depth = 0;
const RECURSION_LIMIT = 100;

/** `compile(desc)` on first use, then the same result: a message may contain itself. */
function lazily(desc: DescMessage): () => Compiled {
  let compiled: Compiled | undefined;
  return () => (compiled ??= compile(desc)!);
}

function readNested(compiled: Compiled, target: Msg, reader: BinaryReader): void {
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > reader.len) throw new RangeError("premature EOF");
  if (++depth > RECURSION_LIMIT) {
    depth = 0;
    throw new Error(`cannot decode ${compiled.typeName} from binary: maximum recursion depth of ${RECURSION_LIMIT} reached`);
  }
  try {
    readInto(compiled, target, reader, end);
  } finally {
    depth = Math.max(0, depth - 1);
  }
}

function readInto(compiled: Compiled, msg: Msg, reader: BinaryReader, end: number): void {
  const { readers } = compiled;
  while (reader.pos < end) {
    const start = reader.pos;
    const tag = reader.uint32();
    let fieldNo = tag >>> 3;
    let wireType = (tag & 7) as WireType;
    // Anything unusual (a 5-byte tag, field 0, wire type 6 or 7) goes through BinaryReader.tag()
    // for its checks; the common case skips its array per field.
    if (reader.pos - start >= 5 || fieldNo === 0 || (tag & 7) > 5) {
      reader.pos = start;
      [fieldNo, wireType] = reader.tag();
    }
    if (wireType === END_GROUP) throw new Error("invalid end group tag");
    const read = readers[fieldNo];
    if (read === undefined) reader.skip(wireType, fieldNo);
    else read(msg, reader, wireType);
  }
  if (reader.pos > end) throw new RangeError("premature EOF");
}

function expectWireType(field: DescField, actual: WireType, expected: WireType): void {
  if (actual !== expected) throw new Error(`cannot read ${field.parent.typeName}.${field.name}: wire type ${actual}, expected ${expected}`);
}

function wireTypeOf(type: ScalarType): WireType {
  switch (type) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return LENGTH_DELIMITED;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return BIT64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return BIT32;
    default:
      return VARINT;
  }
}

function scalarReader(type: ScalarType, longAsString: boolean, validateUtf8: boolean): (reader: BinaryReader) => unknown {
  const long = (read: (reader: BinaryReader) => bigint | string): ((reader: BinaryReader) => unknown) =>
    longAsString ? (reader) => String(read(reader)) : read;
  switch (type) {
    case ScalarType.STRING:
      return (reader) => reader.string(validateUtf8);
    case ScalarType.BYTES:
      return (reader) => reader.bytes();
    case ScalarType.BOOL:
      return (reader) => reader.bool();
    case ScalarType.DOUBLE:
      return (reader) => reader.double();
    case ScalarType.FLOAT:
      return (reader) => reader.float();
    case ScalarType.INT32:
      return (reader) => reader.int32();
    case ScalarType.UINT32:
      return (reader) => reader.uint32();
    case ScalarType.SINT32:
      return (reader) => reader.sint32();
    case ScalarType.FIXED32:
      return (reader) => reader.fixed32();
    case ScalarType.SFIXED32:
      return (reader) => reader.sfixed32();
    case ScalarType.INT64:
      return long((reader) => reader.int64());
    case ScalarType.UINT64:
      return long((reader) => reader.uint64());
    case ScalarType.SINT64:
      return long((reader) => reader.sint64());
    case ScalarType.FIXED64:
      return long((reader) => reader.fixed64());
    case ScalarType.SFIXED64:
      return long((reader) => reader.sfixed64());
  }
}
