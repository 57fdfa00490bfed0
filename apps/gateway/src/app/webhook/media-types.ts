/** A JSON array of CloudEvents, all published or none. */
export const BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';

/** The media types the webhook reads; anything else is answered 415. */
export const ACCEPTED_MEDIA_TYPES = ['application/json', 'application/cloudevents+json', BATCH_CONTENT_TYPE];
