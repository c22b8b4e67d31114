import { ValidationError } from '../kernel/errors';

/** Query integers are parsed by hand: the JSON body validator never coerces types. */
export function queryInt(value: unknown, field: string, min: number, max: number, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^-?\d{1,15}$/.test(value)) throw new ValidationError(`${field} must be an integer`, field);
  const n = Number(value);
  if (n < min || n > max) throw new ValidationError(`${field} must be between ${min} and ${max}`, field);
  return n;
}

export function queryString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ValidationError(`${field} must be given once`, field);
  return value;
}
