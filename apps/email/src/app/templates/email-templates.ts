import type { EmailLanguage } from '@broker-events/app-config';
import { BrokerEventType } from '@broker-events/contracts';

/** The languages of the templates (the config's EMAIL_DEFAULT_LANGUAGE and rules choose among them). */
export type Language = EmailLanguage;

/** What one event type says, in one language. `{…}` placeholders are filled with safe values by the renderer. */
export interface TypeText {
  /** Subject line (after the product prefix). */
  subject: string;
  /** What happened, in plain words. */
  happened: string;
  /** What the reader can do now (optional). */
  next?: string;
}

export type EventTemplate = Record<Language, TypeText>;

/**
 * One template per Broker event type, in Norwegian bokmål and English. Placeholders: {resource} (resource id),
 * {fileTransferId}, {organisation}.
 */
export const EMAIL_TEMPLATES: Readonly<Record<string, EventTemplate>> = {
  [BrokerEventType.FileTransferInitialized]: {
    nb: {
      subject: 'Filoverføring opprettet for {resource}',
      happened: 'En filoverføring er opprettet i Altinn Formidling. Filen er ikke lastet opp ennå.',
    },
    en: {
      subject: 'File transfer initialised for {resource}',
      happened: 'A file transfer was initialised in Altinn Broker. The file has not been uploaded yet.',
    },
  },
  [BrokerEventType.UploadProcessing]: {
    nb: {
      subject: 'Opplastet fil kontrolleres ({resource})',
      happened:
        'Filen er lastet opp og blir nå kontrollert (virusskanning og/eller sjekksum) før den gjøres tilgjengelig.',
      next: 'Du trenger ikke gjøre noe. Du får en ny melding når filen er publisert eller hvis kontrollen feiler.',
    },
    en: {
      subject: 'Uploaded file is being checked ({resource})',
      happened:
        'The file was uploaded and is now being checked (virus scan and/or checksum) before it is made available.',
      next: 'No action is needed. You will get another message when the file is published or if the check fails.',
    },
  },
  [BrokerEventType.UploadFailed]: {
    nb: {
      subject: 'Opplasting feilet for {resource}',
      happened:
        'Opplastingen feilet eller ble avbrutt, sjekksummen stemte ikke, eller filen inneholdt skadelig kode. Filen blir ikke levert.',
      next: 'Avsender må starte en ny filoverføring.',
    },
    en: {
      subject: 'Upload failed for {resource}',
      happened:
        'The upload failed or was aborted, the checksum did not match, or malware was found. The file will not be delivered.',
      next: 'The sender has to start a new file transfer.',
    },
  },
  [BrokerEventType.Published]: {
    nb: {
      subject: 'Fil klar til nedlasting ({resource})',
      happened: 'En fil er publisert i Altinn Formidling og kan lastes ned av mottakerne.',
      next: 'Mottakere: last ned filen og bekreft nedlastingen. Avsender: ingen handling nødvendig.',
    },
    en: {
      subject: 'File ready for download ({resource})',
      happened: 'A file was published in Altinn Broker and the recipients can download it.',
      next: 'Recipients: download the file and confirm the download. Sender: no action needed.',
    },
  },
  [BrokerEventType.DownloadConfirmed]: {
    nb: {
      subject: 'Nedlasting bekreftet ({resource})',
      happened: 'En mottaker har lastet ned filen og bekreftet nedlastingen.',
    },
    en: {
      subject: 'Download confirmed ({resource})',
      happened: 'A recipient downloaded the file and confirmed the download.',
    },
  },
  [BrokerEventType.AllConfirmedDownloaded]: {
    nb: {
      subject: 'Alle mottakere har bekreftet nedlasting ({resource})',
      happened:
        'Alle mottakere har bekreftet at de har lastet ned filen. Filen kan bli slettet automatisk etter en frist.',
    },
    en: {
      subject: 'All recipients confirmed the download ({resource})',
      happened:
        'Every recipient confirmed that they downloaded the file. The file may be purged automatically after a grace period.',
    },
  },
  [BrokerEventType.FileNeverConfirmedDownloaded]: {
    nb: {
      subject: 'Nedlasting ble aldri bekreftet ({resource})',
      happened: 'Filoverføringen utløp før nedlastingen ble bekreftet.',
      next: 'Kontakt avsender hvis filen fortsatt trengs.',
    },
    en: {
      subject: 'Download was never confirmed ({resource})',
      happened: 'The file transfer expired before the download was confirmed.',
      next: 'Contact the sender if the file is still needed.',
    },
  },
  [BrokerEventType.FilePurged]: {
    nb: {
      subject: 'Fil slettet ({resource})',
      happened: 'Filinnholdet er slettet fra Altinn og kan ikke lenger lastes ned.',
    },
    en: {
      subject: 'File purged ({resource})',
      happened: 'The file content was deleted from Altinn and can no longer be downloaded.',
    },
  },
  [BrokerEventType.FileDeleted]: {
    nb: {
      subject: 'Fil slettet ({resource})',
      happened: 'Filinnholdet er slettet fra Altinn og kan ikke lenger lastes ned (eldre hendelsestype).',
    },
    en: {
      subject: 'File deleted ({resource})',
      happened:
        'The file content was deleted from Altinn and can no longer be downloaded (retired event type).',
    },
  },
};

/** For a `no.altinn.broker.*` type this version does not know yet. Placeholder {type}. */
export const UNKNOWN_TYPE_TEMPLATE: EventTemplate = {
  nb: {
    subject: 'Hendelse i Altinn Formidling: {type}',
    happened: 'Altinn Formidling sendte en hendelse av en type denne tjenesten ikke kjenner ({type}).',
  },
  en: {
    subject: 'Altinn Broker event: {type}',
    happened: 'Altinn Broker sent an event of a type this service does not know ({type}).',
  },
};

export const LABELS: Record<
  Language,
  Record<
    | 'product'
    | 'fileTransferId'
    | 'resource'
    | 'role'
    | 'organisation'
    | 'time'
    | 'eventId'
    | 'Sender'
    | 'Recipient'
    | 'footer',
    string
  >
> = {
  nb: {
    product: 'Altinn Formidling',
    fileTransferId: 'Filoverførings-ID',
    resource: 'Ressurs',
    role: 'Rolle',
    organisation: 'Organisasjonsnummer',
    time: 'Tidspunkt',
    eventId: 'Hendelses-ID',
    Sender: 'Avsender',
    Recipient: 'Mottaker',
    footer: 'Denne e-posten er sendt automatisk. Ikke svar på den.',
  },
  en: {
    product: 'Altinn Broker',
    fileTransferId: 'File transfer ID',
    resource: 'Resource',
    role: 'Role',
    organisation: 'Organisation number',
    time: 'Time',
    eventId: 'Event ID',
    Sender: 'Sender',
    Recipient: 'Recipient',
    footer: 'This email was sent automatically. Please do not reply.',
  },
};
