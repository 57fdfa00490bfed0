import {
  CONSUMER_NAME_PATTERN,
  TOPICS,
  allTopics,
  deadLetterTopic,
  parseTopicName,
  retryTopic,
} from './topics';

/** Kafka's own rule for topic names. */
const KAFKA_LEGAL = /^[a-zA-Z0-9._-]{1,249}$/;

describe('topic names', () => {
  it('has one events topic, one quarantine topic and one deliveries topic', () => {
    expect(TOPICS).toEqual({
      events: 'altinn.broker.events.v1',
      quarantine: 'altinn.broker.quarantine.v1',
      deliveries: 'altinn.broker.deliveries.v1',
    });
  });

  it('names retry and dead-letter topics per consumer', () => {
    expect(retryTopic('email')).toBe('altinn.broker.retry.v1.email');
    expect(deadLetterTopic('slack-alerts')).toBe('altinn.broker.dlq.v1.slack-alerts');
  });

  it.each(['', 'Email', '1email', '-email', 'e_mail', 'e.mail', 'e mail', 'æøå', 'a'.repeat(50)])(
    'refuses the consumer name %j',
    (name) => {
      expect(() => retryTopic(name)).toThrow(/Invalid consumer name/);
      expect(() => deadLetterTopic(name)).toThrow(/Invalid consumer name/);
    },
  );

  it('accepts a 49-character consumer name', () => {
    expect(retryTopic('a'.repeat(49))).toMatch(KAFKA_LEGAL);
    expect(CONSUMER_NAME_PATTERN.test('a'.repeat(49))).toBe(true);
  });

  it('allTopics lists events, quarantine, deliveries, then retry + dlq per consumer, sorted and deduplicated', () => {
    expect(allTopics(['slack', 'email', 'slack'])).toEqual([
      'altinn.broker.events.v1',
      'altinn.broker.quarantine.v1',
      'altinn.broker.deliveries.v1',
      'altinn.broker.retry.v1.email',
      'altinn.broker.dlq.v1.email',
      'altinn.broker.retry.v1.slack',
      'altinn.broker.dlq.v1.slack',
    ]);
    expect(allTopics()).toEqual([TOPICS.events, TOPICS.quarantine, TOPICS.deliveries]);
    expect(() => allTopics(['ok', 'Not-OK'])).toThrow(/"Not-OK"/);
  });

  it('every topic follows the grammar, is legal in Kafka and avoids "_"', () => {
    for (const topic of allTopics(['email', 'slack', 'archive'])) {
      expect(topic).toMatch(KAFKA_LEGAL);
      expect(topic).not.toContain('_');
      expect(parseTopicName(topic)).toBeDefined();
    }
  });

  it.each([
    ['altinn.broker.events.v1', { domain: 'altinn', dataset: 'broker', kind: 'events', major: 1 }],
    ['altinn.broker.deliveries.v1', { domain: 'altinn', dataset: 'broker', kind: 'deliveries', major: 1 }],
    [
      'altinn.broker.dlq.v2.email',
      { domain: 'altinn', dataset: 'broker', kind: 'dlq', major: 2, consumer: 'email' },
    ],
  ])('parseTopicName(%s)', (topic, expected) => {
    expect(parseTopicName(topic)).toEqual(expected);
  });

  it.each([
    'altinn.broker.events',
    'altinn.broker.events.v0',
    'altinn.broker.events.v1.email',
    'altinn.broker.retry.v1',
    'altinn.broker.deliveries.v1.email',
    'altinn.broker.other.v1',
    'Altinn.broker.events.v1',
  ])('parseTopicName(%s) is undefined', (topic) => {
    expect(parseTopicName(topic)).toBeUndefined();
  });
});
