/**
 * Validates a record on the events topic against the committed JSON Schemas in docs/schemas/ with a real
 * JSON Schema 2020-12 validator (ajv, strict mode, formats checked), the way a subscriber in any language would.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DOCS_DIR } from './render';
import { HEADERS_SCHEMA_FILE, SCHEMAS_DIR, UNKNOWN_TYPE_VALUE_SCHEMA_FILE, valueSchemaFile } from './schemas';

export interface RecordToValidate {
  headers: Record<string, string>;
  /** The record value; empty or null when the event has no data. */
  value: Buffer | null;
}

export interface RecordValidator {
  /** Every problem with the record, as `where: what`; empty when it is valid. */
  problems(record: RecordToValidate): string[];
  /** The file names of the schemas it loaded. */
  files: string[];
}

const describe = (prefix: string, errors: ErrorObject[] | null | undefined): string[] =>
  (errors ?? []).map((e) => `${prefix}${e.instancePath || '/'}: ${e.message ?? e.keyword}`);

export function recordValidator(dir = join(DOCS_DIR, SCHEMAS_DIR)): RecordValidator {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  const files = readdirSync(dir).filter((f) => f.endsWith('.schema.json'));
  const compiled = new Map<string, ValidateFunction>();
  for (const file of files) {
    compiled.set(file, ajv.compile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as object));
  }
  const get = (file: string): ValidateFunction => {
    const v = compiled.get(file);
    if (v === undefined) throw new Error(`no schema ${file} in ${dir}`);
    return v;
  };
  return {
    files,
    problems({ headers, value }) {
      const out: string[] = [];
      const validateHeaders = get(HEADERS_SCHEMA_FILE);
      if (!validateHeaders(headers)) out.push(...describe('headers', validateHeaders.errors));
      if (value === null || value.length === 0) return out; // no data: nothing to validate
      let data: unknown;
      try {
        data = JSON.parse(value.toString('utf8'));
      } catch {
        return [...out, 'value: is not JSON'];
      }
      const type = headers['ce_type'] ?? '';
      const file =
        headers['altinn_typeknown'] === 'true' && compiled.has(valueSchemaFile(type))
          ? valueSchemaFile(type)
          : UNKNOWN_TYPE_VALUE_SCHEMA_FILE;
      const validateValue = get(file);
      if (!validateValue(data)) out.push(...describe(`value (${file})`, validateValue.errors));
      return out;
    },
  };
}
