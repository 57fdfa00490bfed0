import { createServer, Socket, type AddressInfo } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import fc from 'fast-check';
import type { PartitionerArgs } from 'kafkajs';
import {
  KAFKAJS_ENCODER_VERSION,
  applyKafkajsEncoderFastPath,
  applyKafkajsRequestQueueTimerFix,
  javaCompatiblePartitioner,
  murmur2,
  noDelaySocketFactory,
} from './kafkajs-tuning';

type Encode = (args: unknown) => { encode(): Promise<{ buffer: Buffer }> };

/** A fresh copy of kafkajs's protocol modules, patched or not, so both can run side by side. */
function isolatedKafkajs(patched: boolean): {
  produce: Encode;
  metadata: Encode;
  murmur2: (key: Buffer | string) => number;
  Encoder: { nextPowerOfTwo(v: number): number };
} {
  let loaded!: ReturnType<typeof isolatedKafkajs>;
  jest.isolateModules(() => {
    const Encoder = require('kafkajs/src/protocol/encoder');
    if (patched && !applyKafkajsEncoderFastPath({ version: KAFKAJS_ENCODER_VERSION, Encoder })) {
      throw new Error('fast path refused');
    }
    loaded = {
      produce: require('kafkajs/src/protocol/requests/produce/v3/request'),
      metadata: require('kafkajs/src/protocol/requests/metadata/v4/request'),
      murmur2: require('kafkajs/src/producer/partitioners/default/murmur2'),
      Encoder,
    };
  });
  return loaded;
}

function kafkajsDefaultPartitioner(): ReturnType<typeof javaCompatiblePartitioner> {
  let created!: ReturnType<typeof javaCompatiblePartitioner>;
  jest.isolateModules(() => {
    created = require('kafkajs').Partitioners.DefaultPartitioner();
  });
  return created;
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const headerValue = fc.oneof(
  fc.string({ maxLength: 80 }),
  bytes(80),
  fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
);
const message = fc.record({
  key: fc.oneof(fc.constant(null), fc.string({ maxLength: 60 }), bytes(60)),
  // Values straddle the old 512-byte initial buffer and Node's 4 KiB pool limit.
  value: fc.oneof(fc.constant(null), fc.string({ maxLength: 300 }), bytes(6000)),
  headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 30 }), headerValue, { maxKeys: 14 }),
  timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
});

describe('applyKafkajsEncoderFastPath', () => {
  const original = isolatedKafkajs(false);
  const fast = isolatedKafkajs(true);

  it('encodes produce requests byte for byte as kafkajs does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        async (messages, firstSequence) => {
          const request = {
            acks: -1,
            timeout: 10_000,
            transactionalId: null,
            producerId: 4242,
            producerEpoch: 3,
            compression: 0,
            topicData: [
              { topic: 'altinn.broker.events.v1', partitions: [{ partition: 2, firstSequence, messages }] },
            ],
          };
          const [a, b] = await Promise.all([
            original.produce(request).encode(),
            fast.produce(request).encode(),
          ]);
          expect(b.buffer.equals(a.buffer)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('encodes other requests (metadata) byte for byte as kafkajs does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ maxLength: 249 }), { maxLength: 30 }), async (topics) => {
        const request = { topics, allowAutoTopicCreation: false };
        const [a, b] = await Promise.all([
          original.metadata(request).encode(),
          fast.metadata(request).encode(),
        ]);
        expect(b.buffer.equals(a.buffer)).toBe(true);
      }),
    );
  });

  it('applies once, and refuses a kafkajs version it was not written for', () => {
    const copy = isolatedKafkajs(false);
    const before = copy.Encoder.nextPowerOfTwo;
    expect(applyKafkajsEncoderFastPath({ version: '2.2.5', Encoder: copy.Encoder })).toBe(false);
    expect(copy.Encoder.nextPowerOfTwo).toBe(before);
    expect(applyKafkajsEncoderFastPath({ version: KAFKAJS_ENCODER_VERSION, Encoder: copy.Encoder })).toBe(
      true,
    );
    const patched = copy.Encoder.nextPowerOfTwo;
    expect(patched).not.toBe(before);
    expect(applyKafkajsEncoderFastPath({ version: KAFKAJS_ENCODER_VERSION, Encoder: copy.Encoder })).toBe(
      true,
    );
    expect(copy.Encoder.nextPowerOfTwo).toBe(patched);
    expect(applyKafkajsEncoderFastPath({ version: KAFKAJS_ENCODER_VERSION, Encoder: {} })).toBe(false);
  });
});

describe('murmur2', () => {
  it("matches the Java client's test vectors (Kafka UtilsTest)", () => {
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(Buffer.from([0x61, 0x62, 0x63]))).toBe(479470107);
  });

  it("equals kafkajs's murmur2 for any key, string or bytes", () => {
    const kafkajs = isolatedKafkajs(false).murmur2;
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 100 }), bytes(100)), (key) => {
        expect(murmur2(key)).toBe(kafkajs(key));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('javaCompatiblePartitioner', () => {
  const metadata = (n: number, withoutLeader: number[] = []): PartitionerArgs['partitionMetadata'] =>
    Array.from({ length: n }, (_, partitionId) => ({
      partitionId,
      leader: withoutLeader.includes(partitionId) ? -1 : 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));

  it("puts every keyed record on the partition kafkajs's DefaultPartitioner picks", () => {
    const ours = javaCompatiblePartitioner();
    const theirs = kafkajsDefaultPartitioner();
    fc.assert(
      fc.property(
        fc.oneof(fc.uuid(), fc.string({ maxLength: 64 })),
        fc.integer({ min: 1, max: 500 }),
        (key, n) => {
          const args = { topic: 't', partitionMetadata: metadata(n), message: { key, value: null } };
          expect(ours(args)).toBe(theirs(args));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('honours an explicit partition and spreads unkeyed records over partitions that have a leader', () => {
    const partition = javaCompatiblePartitioner();
    expect(
      partition({
        topic: 't',
        partitionMetadata: metadata(6),
        message: { key: 'k', value: null, partition: 4 },
      }),
    ).toBe(4);
    const seen = new Set<number>();
    for (let i = 0; i < 12; i++)
      seen.add(partition({ topic: 't', partitionMetadata: metadata(6, [1, 3]), message: { value: null } }));
    expect([...seen].sort()).toEqual([0, 2, 4, 5]);
  });
});

describe('noDelaySocketFactory', () => {
  it('connects with TCP_NODELAY and keep-alive set', async () => {
    const server = createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const noDelay = jest.spyOn(Socket.prototype, 'setNoDelay');
    const keepAlive = jest.spyOn(Socket.prototype, 'setKeepAlive');
    try {
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve, reject) => {
        const socket = noDelaySocketFactory({
          host: '127.0.0.1',
          port,
          // kafkajs hands a falsy `ssl` to the factory for plain TCP.
          ssl: undefined as unknown as ConnectionOptions,
          onConnect: () => {
            socket.destroy();
            resolve();
          },
        });
        socket.once('error', reject);
      });
      expect(noDelay).toHaveBeenCalledWith(true);
      expect(keepAlive).toHaveBeenCalledWith(true, 60_000);
    } finally {
      noDelay.mockRestore();
      keepAlive.mockRestore();
      server.close();
    }
  });
});

describe('applyKafkajsRequestQueueTimerFix', () => {
  interface Queue {
    throttledUntil: number;
    throttleCheckTimeoutId: NodeJS.Timeout | null;
    pending: unknown[];
    checkPendingRequests: jest.Mock;
    scheduleCheckPendingRequests(): void;
  }
  /** A fresh copy of kafkajs's RequestQueue class, patched or not, and a queue object of it. */
  function queue(patched: boolean, state: { throttledUntil: number; pending: number }): Queue {
    let RequestQueue!: { prototype: object };
    jest.isolateModules(() => {
      RequestQueue = require('kafkajs/src/network/requestQueue');
    });
    if (patched && !applyKafkajsRequestQueueTimerFix({ version: KAFKAJS_ENCODER_VERSION, RequestQueue })) {
      throw new Error('timer fix refused');
    }
    return Object.assign(Object.create(RequestQueue.prototype) as Queue, {
      throttledUntil: state.throttledUntil,
      throttleCheckTimeoutId: null,
      pending: Array.from({ length: state.pending }, () => ({})),
      checkPendingRequests: jest.fn(),
    });
  }

  beforeEach(() => jest.useFakeTimers({ now: 1_800_000_000_000 }));
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('never hands setTimeout a negative delay (kafkajs does, whenever the broker never throttled)', () => {
    const delays = (patched: boolean): unknown[] => {
      const spy = jest.spyOn(global, 'setTimeout');
      queue(patched, { throttledUntil: -1, pending: 0 }).scheduleCheckPendingRequests();
      const seen = spy.mock.calls.map((c) => c[1]);
      spy.mockRestore();
      return seen;
    };
    expect((delays(false)[0] as number) < 0).toBe(true);
    expect(delays(true)).toEqual([1]);
  });

  it('checks the queue when kafkajs would: after a throttle ends, 10 ms for waiting requests, once at a time', () => {
    for (const patched of [false, true]) {
      const throttled = queue(patched, { throttledUntil: Date.now() + 50, pending: 1 });
      throttled.scheduleCheckPendingRequests();
      throttled.scheduleCheckPendingRequests(); // already scheduled: no second timer
      jest.advanceTimersByTime(49);
      expect(throttled.checkPendingRequests).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(throttled.checkPendingRequests).toHaveBeenCalledTimes(1);
      expect(throttled.throttleCheckTimeoutId).toBeNull();

      const waiting = queue(patched, { throttledUntil: -1, pending: 2 });
      waiting.scheduleCheckPendingRequests();
      jest.advanceTimersByTime(9);
      expect(waiting.checkPendingRequests).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(waiting.checkPendingRequests).toHaveBeenCalledTimes(1);

      const idle = queue(patched, { throttledUntil: -1, pending: 0 });
      idle.scheduleCheckPendingRequests();
      jest.advanceTimersByTime(1);
      expect(idle.checkPendingRequests).toHaveBeenCalledTimes(1);
    }
  });

  it('leaves another kafkajs version alone', () => {
    expect(applyKafkajsRequestQueueTimerFix({ version: '2.2.5', RequestQueue: class {} })).toBe(false);
    expect(applyKafkajsRequestQueueTimerFix({ version: KAFKAJS_ENCODER_VERSION, RequestQueue: class {} })).toBe(
      false,
    );
  });
});
