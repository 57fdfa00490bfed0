/**
 * kafkajs's own sendMessages (as patched by patches/kafkajs+2.2.4.patch) with a stand-in cluster whose
 * partition leaders move between attempts, the way a controlled shutdown moves them. The rolling restart in
 * apps/cluster-e2e shows the same against real brokers; this shows it on every run, deterministically.
 */
import { kafkajsRetriesPerPartition } from './kafkajs-tuning';

type ProduceArgs = {
  topicData: { topic: string; partitions: { partition: number | string; messages: unknown[] }[] }[];
};

const sendMessagesFactory = require('kafkajs/src/producer/sendMessages') as (
  deps: unknown,
) => (args: {
  acks: number;
  timeout: number;
  compression: number;
  topicMessages: { topic: string; messages: { value: string; partition: number }[] }[];
}) => Promise<{ topicName: string; partition: number; baseOffset: string }[]>;
const createRetry = require('kafkajs/src/retry') as (options: object) => unknown;
const { KafkaJSProtocolError } = require('kafkajs/src/errors') as {
  KafkaJSProtocolError: new (e: unknown) => Error;
};
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode(code: number): unknown;
};
const NOT_LEADER_FOR_PARTITION = 6;
const ignore = (): undefined => undefined;

interface Broker {
  nodeId: number;
  /** The partitions of each produce request this broker received, in order. */
  requests: number[][];
  produce(args: ProduceArgs): Promise<unknown>;
}

/**
 * A topic `t` with partitions 0..n-1; `leaders[p]` is the node leading p. `onProduce` decides each request's
 * fate and may move leaders (what the next metadata refresh shows).
 */
function cluster(
  leaders: number[],
  onProduce: (broker: Broker, partitions: number[], call: number) => Promise<void> | void,
) {
  const current = [...leaders];
  let shown = [...leaders];
  const brokers = new Map<number, Broker>();
  let calls = 0;
  for (const nodeId of new Set(leaders)) {
    const broker: Broker = {
      nodeId,
      requests: [],
      async produce({ topicData }) {
        const partitions = topicData.flatMap((t) => t.partitions.map((p) => Number(p.partition)));
        broker.requests.push(partitions);
        await onProduce(broker, partitions, ++calls);
        return {
          topics: [
            {
              topicName: 't',
              partitions: partitions.map((partition) => ({ partition, errorCode: 0, baseOffset: '0' })),
            },
          ],
        };
      },
    };
    brokers.set(nodeId, broker);
  }
  return {
    brokers,
    moveLeader(partition: number, to: number) {
      current[partition] = to;
    },
    deps: {
      logger: { debug: ignore, info: ignore, warn: ignore, error: ignore },
      partitioner: ({ message }: { message: { partition: number } }) => message.partition,
      retrier: createRetry({ retries: 5, initialRetryTime: 1, maxRetryTime: 5 }),
      eosManager: {
        isTransactional: () => false,
        acquireBrokerLock: async () => undefined,
        releaseBrokerLock: async () => undefined,
        getSequence: () => 0,
        updateSequence: () => undefined,
        getProducerId: () => -1,
        getProducerEpoch: () => 0,
      },
      cluster: {
        targetTopics: new Set(['t']),
        addMultipleTargetTopics: async () => undefined,
        refreshMetadataIfNecessary: async () => undefined,
        refreshMetadata: async () => {
          shown = [...current];
        },
        isConnected: () => true,
        removeBroker: () => undefined,
        findTopicPartitionMetadata: () =>
          shown.map((leader, partitionId) => ({ partitionId, leader, partitionErrorCode: 0 })),
        findLeaderForPartitions: (_topic: string, partitions: string[]) => {
          const perLeader: Record<string, number[]> = {};
          for (const p of partitions) (perLeader[shown[Number(p)]] ??= []).push(Number(p));
          return perLeader;
        },
        findBroker: async ({ nodeId }: { nodeId: string }) => brokers.get(Number(nodeId)),
      },
    },
  };
}

function notLeader(): Error {
  return new KafkaJSProtocolError(createErrorFromCode(NOT_LEADER_FOR_PARTITION));
}

/** One sendBatch (acks=all) of a message per partition through kafkajs's sendMessages; the partitions written. */
async function writtenPartitions(c: ReturnType<typeof cluster>, partitions: number[]): Promise<number[]> {
  const written = await sendMessagesFactory(c.deps)({
    acks: -1,
    timeout: 1000,
    compression: 0,
    topicMessages: [
      { topic: 't', messages: partitions.map((partition) => ({ value: `m${partition}`, partition })) },
    ],
  });
  return written.map((w) => w.partition).sort();
}

describe('kafkajs sendMessages, as patched', () => {
  it('is patched (npm ci runs patch-package)', () => {
    expect(kafkajsRetriesPerPartition()).toBe(true);
    expect(kafkajsRetriesPerPartition(() => undefined)).toBe(false);
  });

  it('re-sends a partition whose new leader already answered (kafkajs 2.2.4 dropped it and resolved)', async () => {
    // Partition 0 on node 1, partition 1 on node 2. Node 2 loses leadership of 1 to node 1, which has already
    // written partition 0 in the same attempt.
    const c = cluster([1, 2], (broker, _partitions, call) => {
      if (broker.nodeId === 2 && call <= 2) {
        c.moveLeader(1, 1);
        throw notLeader();
      }
    });
    expect(await writtenPartitions(c, [0, 1])).toEqual([0, 1]);
    expect(c.brokers.get(1)?.requests).toEqual([[0], [1]]);
    expect(c.brokers.get(2)?.requests).toEqual([[1]]);
  });

  it('waits for every request of an attempt before retrying, so nothing is sent twice', async () => {
    let releaseSlow!: () => void;
    const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
    const c = cluster([1, 2], async (broker, _partitions, call) => {
      if (broker.nodeId === 1 && call === 1) await slow; // node 1's first request is still being written
      if (broker.nodeId === 2 && call <= 2) {
        setTimeout(releaseSlow, 20);
        throw notLeader(); // node 2 stays leader: a transient refusal
      }
    });
    expect(await writtenPartitions(c, [0, 1])).toEqual([0, 1]);
    expect(c.brokers.get(1)?.requests).toEqual([[0]]);
    expect(c.brokers.get(2)?.requests).toEqual([[1], [1]]);
  });
});
