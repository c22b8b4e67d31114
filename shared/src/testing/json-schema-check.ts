import { Ajv, type ErrorObject } from 'ajv';
import { default as addFormats } from 'ajv-formats';

const ajv = addFormats.default(new Ajv({ strict: false, allErrors: true }));

/** A checker for any JSON Schema (TypeBox's, or one read from a published document): the list of what a value breaks, empty when it fits. */
export function schemaCheck(schema: object): (value: unknown) => string[] {
  const validate = ajv.compile(JSON.parse(JSON.stringify(schema)));
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath} ${e.message ?? ''}`));
}
