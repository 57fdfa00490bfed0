import { loadSample } from '../testing';
import { AltinnCloudEvent } from './cloud-event';
import { parseCloudEvent } from './parse';
import { awaitsConfirmation, deriveTransferState } from './transfer-state';

/** A sample from shared/altinn/samples (committed copies), parsed as the gateway parses it. */
function sample(name: string): AltinnCloudEvent {
  const result = parseCloudEvent(loadSample(name).body);
  if (!result.ok) throw new Error(`${name} does not parse`);
  return result.event;
}

const SENDER = '311000004';
const RECIPIENT = '312000008';

/** What the sender's organisation receives for a transfer every recipient confirmed. */
const senderStory = [
  'current-filetransferinitialized-sender',
  'current-uploadprocessing-sender',
  'current-published-sender',
  'current-downloadconfirmed-sender',
  'current-allconfirmeddownloaded-sender',
].map(sample);

describe('deriveTransferState', () => {
  it('follows a sender through initialized, uploadprocessing and published to allconfirmed', () => {
    const expectations = ['initialized', 'uploadprocessing', 'published', 'published', 'allconfirmed'];
    senderStory.forEach((_, i) => {
      expect(deriveTransferState(senderStory.slice(0, i + 1)).phase).toBe(expectations[i]);
    });
    // The sender's copies name the sender only: who the recipients are is not in them.
    expect(deriveTransferState(senderStory)).toEqual({
      phase: 'allconfirmed',
      recipients: [],
      confirmed: [],
      neverConfirmed: [],
      publishedAt: '2026-11-20T09:00:12.250000Z',
    });
  });

  it('gives the same state whatever order the events arrive in, and ignores duplicates', () => {
    const expected = deriveTransferState(senderStory);
    expect(deriveTransferState([...senderStory].reverse())).toEqual(expected);
    expect(
      deriveTransferState([senderStory[4], senderStory[1], senderStory[0], senderStory[3], senderStory[2]]),
    ).toEqual(expected);
    expect(deriveTransferState([...senderStory, ...senderStory])).toEqual(expected);
  });

  it('a late uploadprocessing does not move a published transfer back', () => {
    const [initialized, processing, published] = senderStory;
    expect(deriveTransferState([initialized, published, processing]).phase).toBe('published');
  });

  it('sees a recipient publish and confirm its own copy', () => {
    const published = sample('current-published-recipient');
    const confirmed = sample('current-downloadconfirmed-recipient');
    const waiting = deriveTransferState([published]);
    expect(waiting).toEqual({
      phase: 'published',
      recipients: [RECIPIENT],
      confirmed: [],
      neverConfirmed: [],
      publishedAt: '2026-11-20T09:00:12.251000Z',
    });
    expect(awaitsConfirmation(waiting)).toBe(true);
    const done = deriveTransferState([confirmed, published]);
    expect(done).toMatchObject({ phase: 'published', recipients: [RECIPIENT], confirmed: [RECIPIENT] });
    expect(awaitsConfirmation(done)).toBe(false);
  });

  it('a sender-only view awaits confirmation until allconfirmeddownloaded', () => {
    expect(awaitsConfirmation(deriveTransferState(senderStory.slice(0, 4)))).toBe(true);
    expect(awaitsConfirmation(deriveTransferState(senderStory))).toBe(false);
  });

  it('records the recipients that never confirmed, seen from both sides, then the purge', () => {
    const events = [
      'current-filetransferinitialized-sender',
      'current-published-sender',
      'current-published-recipient',
      'current-fileneverconfirmeddownloaded-recipient',
      'current-fileneverconfirmeddownloaded-sender',
    ].map(sample);
    const expired = deriveTransferState(events);
    expect(expired).toEqual({
      phase: 'neverconfirmed',
      recipients: [RECIPIENT],
      confirmed: [],
      neverConfirmed: [RECIPIENT],
      publishedAt: '2026-11-20T09:00:12.250000Z',
    });
    expect(awaitsConfirmation(expired)).toBe(false);
    expect(deriveTransferState([sample('current-filepurged-sender'), ...events]).phase).toBe('purged');
  });

  it('stops at uploadfailed when the upload fails', () => {
    const events = [
      'current-filetransferinitialized-sender',
      'current-uploadprocessing-sender',
      'current-uploadfailed-sender',
    ].map(sample);
    expect(deriveTransferState(events)).toEqual({
      phase: 'uploadfailed',
      recipients: [],
      confirmed: [],
      neverConfirmed: [],
      publishedAt: null,
    });
  });

  it('reads the legacy /organisation/<orgnr> subject of 2025', () => {
    expect(deriveTransferState([sample('legacy-2025-published-recipient')])).toMatchObject({
      phase: 'published',
      recipients: [RECIPIENT],
      publishedAt: '2025-06-02T11:15:42.031Z',
    });
  });

  it("takes the docs' example (capitalised type, no Role) as a recipient's copy once the sender is known", () => {
    const docs = sample('seed-docs-example');
    // Alone it could be anybody's copy: published, no recipient claimed.
    expect(deriveTransferState([docs])).toMatchObject({ phase: 'published', recipients: [] });
    const initialized = sample('current-filetransferinitialized-sender');
    expect(deriveTransferState([initialized, docs]).recipients).toEqual(['123456789']);
    // A Role-less copy addressed to the sender is the sender's own.
    const own = { ...docs, alternativesubject: undefined, subject: `/organisation/${SENDER}` };
    expect(deriveTransferState([initialized, own]).recipients).toEqual([]);
  });

  it('ignores the handshake and types it does not know; no Broker event at all is initialized', () => {
    const handshake = sample('validatesubscription');
    const unknown = { ...sample('current-published-recipient'), type: 'no.altinn.broker.somethingnew' };
    expect(deriveTransferState([])).toEqual({
      phase: 'initialized',
      recipients: [],
      confirmed: [],
      neverConfirmed: [],
      publishedAt: null,
    });
    expect(deriveTransferState([handshake, unknown])).toEqual(deriveTransferState([]));
  });
});
