/**
 * @broker-events/contracts/testing: fixtures and builders for tests in any project. Test code only (uses node:fs,
 * node:crypto and fast-check); never import it from production code.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AltinnCloudEvent } from './lib/cloud-event';
import { BrokerEventType, EventKind, Role, VALIDATE_SUBSCRIPTION_TYPE } from './lib/event-types';
import { parseCloudEvent } from './lib/parse';
import { formatViolations } from './lib/violation';

export {
  arbitraryBrokerEventBody,
  arbitraryExtensionName,
  arbitraryHandshakeBody,
  arbitraryJsonish,
  arbitraryValidEventBody,
} from './testing/arbitraries';

/** The sample event bodies (copies of shared/altinn/samples, committed so tests never depend on ../shared). */
export const FIXTURES_DIR = join(__dirname, 'testing', 'fixtures');

/** What parsing a sample must give. */
export interface SampleExpectation {
  kind: EventKind;
  canonicalType: string;
  role?: Role;
  organisationNumber?: string;
}

export interface Sample {
  /** File name without `.json`, e.g. `current-published-recipient`. */
  name: string;
  /** File name, e.g. `current-published-recipient.json`. */
  file: string;
  /** The file as text, byte for byte: POST this to exercise the real request path. */
  raw: string;
  /** `JSON.parse(raw)`. */
  body: unknown;
  expected: SampleExpectation;
}

const SENDER = '311000004';
const RECIPIENT = '312000008';

const broker = (type: string, role: Role, organisationNumber: string): SampleExpectation => ({
  kind: 'broker',
  canonicalType: type,
  role,
  organisationNumber,
});

/** The expected outcome for every fixture. A fixture missing here makes loadSamples throw. */
export const SAMPLE_EXPECTATIONS: Readonly<Record<string, SampleExpectation>> = {
  'current-allconfirmeddownloaded-sender': broker(BrokerEventType.AllConfirmedDownloaded, 'Sender', SENDER),
  'current-downloadconfirmed-recipient': broker(BrokerEventType.DownloadConfirmed, 'Recipient', RECIPIENT),
  'current-downloadconfirmed-sender': broker(BrokerEventType.DownloadConfirmed, 'Sender', SENDER),
  'current-fileneverconfirmeddownloaded-recipient': broker(
    BrokerEventType.FileNeverConfirmedDownloaded,
    'Recipient',
    RECIPIENT,
  ),
  'current-fileneverconfirmeddownloaded-sender': broker(
    BrokerEventType.FileNeverConfirmedDownloaded,
    'Sender',
    SENDER,
  ),
  'current-filepurged-sender': broker(BrokerEventType.FilePurged, 'Sender', SENDER),
  'current-filetransferinitialized-sender': broker(BrokerEventType.FileTransferInitialized, 'Sender', SENDER),
  'current-published-recipient': broker(BrokerEventType.Published, 'Recipient', RECIPIENT),
  'current-published-sender': broker(BrokerEventType.Published, 'Sender', SENDER),
  'current-uploadfailed-sender': broker(BrokerEventType.UploadFailed, 'Sender', SENDER),
  'current-uploadprocessing-sender': broker(BrokerEventType.UploadProcessing, 'Sender', SENDER),
  'legacy-2025-published-recipient': broker(BrokerEventType.Published, 'Recipient', RECIPIENT),
  // The docs' example: capitalised type, no data (so no role), orgnr only in alternativesubject (a placeholder).
  'seed-docs-example': {
    kind: 'broker',
    canonicalType: BrokerEventType.Published,
    organisationNumber: '123456789',
  },
  validatesubscription: { kind: 'handshake', canonicalType: VALIDATE_SUBSCRIPTION_TYPE },
};

/** Every `*.json` fixture, sorted by name, with its raw text, parsed body and expected parse outcome. */
export function loadSamples(): Sample[] {
  return readdirSync(FIXTURES_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -'.json'.length);
      const expected = SAMPLE_EXPECTATIONS[name];
      if (expected === undefined) {
        throw new Error(
          `Fixture ${file} has no entry in SAMPLE_EXPECTATIONS (libs/contracts/src/testing.ts)`,
        );
      }
      const raw = readFileSync(join(FIXTURES_DIR, file), 'utf8');
      return { name, file, raw, body: JSON.parse(raw) as unknown, expected };
    });
}

/** One sample by name (`current-published-recipient`); throws for an unknown name. */
export function loadSample(name: string): Sample {
  const sample = loadSamples().find((s) => s.name === name);
  if (sample === undefined) throw new Error(`No fixture named ${JSON.stringify(name)} in ${FIXTURES_DIR}`);
  return sample;
}

/** Attribute overrides; a key set to `undefined` removes that attribute. Any other key adds an extension. */
export type SampleOverrides = { [K in keyof AltinnCloudEvent]?: AltinnCloudEvent[K] | undefined } & Record<
  string,
  unknown
>;

/**
 * A wire body like the Broker's `published` event for a recipient (TT02), with a fresh random `id` and
 * `resourceinstance` on every call (so a dedupe store never hides a test's event), then the overrides. Not
 * validated: use it for negative tests too.
 */
export function sampleEventBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    specversion: '1.0',
    id: randomUUID(),
    type: BrokerEventType.Published,
    time: '2026-11-20T09:00:12.251000Z',
    resource: 'urn:altinn:resource:altinn-broker-test-resource-1',
    resourceinstance: randomUUID(),
    source: 'https://platform.tt02.altinn.no/broker/api/v1/filetransfer',
    subject: `urn:altinn:organization:identifier-no:${RECIPIENT}`,
    data: { Role: 'Recipient' },
  };
  for (const key of Object.keys(overrides)) {
    if (overrides[key] === undefined) delete body[key];
    else body[key] = overrides[key];
  }
  return body;
}

/** {@link sampleEventBody} parsed into an AltinnCloudEvent; throws if the overrides make it invalid. */
export function sampleEvent(overrides: SampleOverrides = {}): AltinnCloudEvent {
  const result = parseCloudEvent(sampleEventBody(overrides));
  if (!result.ok)
    throw new Error(
      `sampleEvent: the overrides make an invalid event:\n${formatViolations(result.violations)}`,
    );
  return result.event;
}
