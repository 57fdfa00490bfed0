/** For tests in other projects: validate a record of the events topic against the committed docs/schemas. */
export { recordValidator } from './record-validator';
export type { RecordToValidate, RecordValidator } from './record-validator';
