/**
 * Costs kafkajs 2.2.4 puts on every record, removed without changing a byte on the wire. kafkajs is
 * unmaintained (kafkajs#1603), so 2.2.4 is its final shape; the patch checks that shape and steps aside for
 * any other version. `npm run bench:kafkajs` measures the gain per record; kafkajs-tuning.spec.ts proves
 * the bytes and the partitions are the same as kafkajs's own.
 *
 * - Nagle's algorithm: kafkajs leaves it on, so a produce request written while an earlier one is still
 *   unacknowledged can wait in the kernel for the broker's delayed ACK. {@link noDelaySocketFactory}.
 * - The key hash: kafkajs's Java-compatible murmur2 runs on a 64-bit `Long` emulation (a dozen object
 *   allocations per key). {@link javaCompatiblePartitioner} computes the same 32-bit hash with Math.imul.
 * - The encoder: every header, record and request gets a fresh zero-filled 512-byte ArrayBuffer, every
 *   varint goes through an intermediate array and Buffer, every varlong through the `Long` emulation too,
 *   and every nested encoder is sliced before it is copied. {@link applyKafkajsEncoderFastPath} makes
 *   encoders start empty and grow from Node's pooled allocator, writes varints and varlongs in place, and
 *   copies nested encoders straight from their buffers.
 */
import { randomInt } from 'node:crypto';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ICustomPartitioner, ISocketFactory } from 'kafkajs';

/** kafkajs's socket factory (TLS with SNI, keep-alive after 60 s) with TCP_NODELAY set. */
export const noDelaySocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : netConnect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  socket.setNoDelay(true);
  return socket;
};

const SEED = 0x9747b28c | 0;
const M = 0x5bd1e995;

/** Kafka's `Utils.murmur2` (the Java client's key hash), in 32-bit integer arithmetic. */
export function murmur2(key: Buffer | string): number {
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  const length = data.length;
  let h = SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) h = Math.imul(h ^ data[tail], M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * kafkajs's DefaultPartitioner (the Java client's: a keyed record goes to `murmur2(key) & 0x7fffffff` modulo
 * the partition count, an unkeyed one round-robin over partitions with a leader), with the fast hash. The
 * partition of every key is the same as with kafkajs's own partitioner and with Java producers.
 */
export const javaCompatiblePartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const numPartitions = partitionMetadata.length;
    if (message.key !== null && message.key !== undefined) {
      return (murmur2(message.key) & 0x7fffffff) % numPartitions;
    }
    const next = ((counters.get(topic) ?? randomInt(0x7fffffff)) + 1) | 0;
    counters.set(topic, next);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length > 0) return available[(next & 0x7fffffff) % available.length].partitionId;
    return (next & 0x7fffffff) % numPartitions;
  };
};

/** The kafkajs version whose Encoder internals {@link applyKafkajsEncoderFastPath} knows. */
export const KAFKAJS_ENCODER_VERSION = '2.2.4';

interface EncoderInstance {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): EncoderInstance;
  writeVarLong(value: unknown): EncoderInstance;
  writeEncoder(value: unknown): EncoderInstance;
  writeEncoderArray(value: unknown): EncoderInstance;
}

interface EncoderClass {
  nextPowerOfTwo(value: number): number;
  sizeOfVarLong(value: unknown): number;
  prototype: EncoderInstance;
  [FAST_PATH]?: true;
}

const FAST_PATH = Symbol.for('broker-events.kafkajs-encoder-fast-path');
/** Smallest buffer an encoder grows to: most headers fit, and Node's pool serves it without an allocation. */
const MIN_ENCODER_BYTES = 256;

/** The zigzag encoding of a varlong when it is an integer below 2^52 in magnitude (exact in a double). */
function smallZigZag(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) >= 2 ** 52) return undefined;
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function isEncoder(value: unknown): value is EncoderInstance {
  return value != null && Buffer.isBuffer((value as EncoderInstance).buf);
}

function appendEncoder(target: EncoderInstance, source: EncoderInstance): void {
  target.ensureAvailable(source.offset);
  source.buf.copy(target.buf, target.offset, 0, source.offset);
  target.offset += source.offset;
}

/** The installed kafkajs's version: each fast path below is written for one. */
function kafkajsVersion(): string {
  return (require('kafkajs/package.json') as { version: string }).version;
}

/** Loads kafkajs's internal Encoder class (a separate function so tests can hand in an isolated copy). */
export function loadKafkajsEncoder(): { version: string; Encoder: unknown } {
  // kafkajs's internals have no ES export; webpack leaves these requires to Node, like `kafkajs` itself.
  return { version: kafkajsVersion(), Encoder: require('kafkajs/src/protocol/encoder') as unknown };
}

/**
 * Applies the encoder fast path to kafkajs's Encoder class (once; later calls are no-ops). Returns false
 * and changes nothing when the version or the class's shape is not the one this was written for.
 */
export function applyKafkajsEncoderFastPath(loaded = loadKafkajsEncoder()): boolean {
  if (loaded.version !== KAFKAJS_ENCODER_VERSION || typeof loaded.Encoder !== 'function') return false;
  const Encoder = loaded.Encoder as unknown as EncoderClass;
  if (Encoder[FAST_PATH]) return true;
  const proto = Encoder.prototype;
  const methods = [
    'ensureAvailable',
    'writeUVarInt',
    'writeVarLong',
    'writeEncoder',
    'writeEncoderArray',
  ] as const;
  if (
    typeof Encoder.nextPowerOfTwo !== 'function' ||
    typeof Encoder.sizeOfVarLong !== 'function' ||
    methods.some((m) => typeof proto[m] !== 'function')
  ) {
    return false;
  }
  const nextPowerOfTwo = Encoder.nextPowerOfTwo.bind(Encoder);
  const sizeOfVarLong = Encoder.sizeOfVarLong.bind(Encoder);
  const writeVarLong = proto.writeVarLong;

  // Every write goes through ensureAvailable, which now grows from the pooled allocator; the buffer's
  // unused tail is never read (the `buffer` getter slices to `offset`), so it need not be zeroed.
  proto.ensureAvailable = function (this: EncoderInstance, length: number): void {
    const needed = this.offset + length;
    if (needed <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(MIN_ENCODER_BYTES, nextPowerOfTwo(needed)));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };
  // Same LEB128 bytes as kafkajs's, written in place.
  proto.writeUVarInt = function (this: EncoderInstance, value: number): EncoderInstance {
    this.ensureAvailable(5);
    let v = value;
    while ((v & 0xffffff80) !== 0) {
      this.buf[this.offset++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.offset++] = v & 0x7f;
    return this;
  };
  // Varlongs (a record's timestamp delta) without the 64-bit Long emulation, for integers whose zigzag form
  // a double holds exactly; anything else takes kafkajs's own path.
  Encoder.sizeOfVarLong = (value: unknown): number => {
    const zigzag = smallZigZag(value);
    if (zigzag === undefined) return sizeOfVarLong(value);
    let bytes = 1;
    for (let v = zigzag; v >= 0x80; v = Math.floor(v / 0x80)) bytes++;
    return bytes;
  };
  proto.writeVarLong = function (this: EncoderInstance, value: unknown): EncoderInstance {
    const zigzag = smallZigZag(value);
    if (zigzag === undefined) return writeVarLong.call(this, value);
    this.ensureAvailable(8);
    let v = zigzag;
    while (v >= 0x80) {
      this.buf[this.offset++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.offset++] = v;
    return this;
  };
  // Nested encoders (headers into a record, records into a batch, the batch into a request) are copied
  // straight from their buffer, without a slice object per copy. Same checks, same errors.
  proto.writeEncoder = function (this: EncoderInstance, value: unknown): EncoderInstance {
    if (!isEncoder(value)) throw new Error('value should be an instance of Encoder');
    appendEncoder(this, value);
    return this;
  };
  proto.writeEncoderArray = function (this: EncoderInstance, value: unknown): EncoderInstance {
    if (!Array.isArray(value) || !value.every(isEncoder)) {
      throw new Error('all values should be an instance of Encoder[]');
    }
    let total = 0;
    for (const v of value as EncoderInstance[]) total += v.offset;
    this.ensureAvailable(total);
    for (const v of value as EncoderInstance[]) appendEncoder(this, v);
    return this;
  };
  // Only the constructor still calls nextPowerOfTwo (ensureAvailable above keeps its own reference): an
  // encoder now starts with an empty buffer instead of a zero-filled 512-byte one.
  Encoder.nextPowerOfTwo = () => 0;
  Encoder[FAST_PATH] = true;
  return true;
}

interface RequestQueueInstance {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const TIMER_FIX = Symbol.for('broker-events.kafkajs-request-queue-timer');
/** kafkajs's own CHECK_PENDING_REQUESTS_INTERVAL (requestQueue/index.js), for a queue with requests waiting. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** Loads kafkajs's internal RequestQueue class (a separate function so tests can hand in an isolated copy). */
export function loadKafkajsRequestQueue(): { version: string; RequestQueue: unknown } {
  return { version: kafkajsVersion(), RequestQueue: require('kafkajs/src/network/requestQueue') as unknown };
}

/**
 * kafkajs schedules its throttle check after every response with `setTimeout(fn, throttledUntil - now)`,
 * which is negative whenever the broker never throttled (throttledUntil starts at -1). Node turns a negative
 * delay into 1 ms, and Node 24 (our image's runtime) also prints a TimeoutNegativeWarning to stderr, once
 * per process, with a meaningless number. This schedules the same check at the same time (1 ms for a delay
 * that has passed), without the warning. Returns false and changes nothing for another kafkajs version.
 */
export function applyKafkajsRequestQueueTimerFix(loaded = loadKafkajsRequestQueue()): boolean {
  if (loaded.version !== KAFKAJS_ENCODER_VERSION || typeof loaded.RequestQueue !== 'function') return false;
  const RequestQueue = loaded.RequestQueue as { prototype: RequestQueueInstance; [TIMER_FIX]?: true };
  if (RequestQueue[TIMER_FIX]) return true;
  if (typeof RequestQueue.prototype.scheduleCheckPendingRequests !== 'function') return false;
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueInstance): void {
    if (this.throttleCheckTimeoutId) return;
    let scheduleAt = this.throttledUntil - Date.now();
    if (this.pending.length > 0 && scheduleAt <= 0) scheduleAt = CHECK_PENDING_REQUESTS_INTERVAL_MS;
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      Math.max(1, scheduleAt),
    );
  };
  RequestQueue[TIMER_FIX] = true;
  return true;
}

/**
 * True when kafkajs's sendMessages carries our patch (patches/kafkajs+2.2.4.patch, applied by `npm ci`'s
 * postinstall): a retry re-sends every partition not yet acknowledged to its current leader. Without it, one
 * sendBatch that spans several brokers can lose messages on a leader change, so the publisher then sends one
 * partition per call instead (slower, and safe).
 */
export function kafkajsRetriesPerPartition(
  sendMessages: unknown = require('kafkajs/src/producer/sendMessages'),
): boolean {
  return (sendMessages as { retriesPerPartition?: unknown }).retriesPerPartition === true;
}
