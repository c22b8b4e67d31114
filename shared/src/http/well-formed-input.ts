import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../kernel/errors';
import { illFormedStringPath } from '../kernel/well-formed';

/** Every route: a body or query string that is not well-formed UTF-16 is a 400 naming the field, before any handler or schema sees it. */
export function refuseIllFormedText(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const where = illFormedStringPath(request.body, 'body') ?? illFormedStringPath(request.query, 'query');
    if (where === undefined) return;
    const field = where.split('.').slice(1).join('.') || where;
    throw new ValidationError(`${field} must be well-formed Unicode text (no lone surrogates)`, field);
  });
}
