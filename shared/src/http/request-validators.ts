import AjvCompiler from '@fastify/ajv-compiler';

type BuildValidator = ReturnType<typeof AjvCompiler>;
type CompilerOptions = Parameters<BuildValidator>[1];

/** The same options, with `coerceTypes` set (JTD mode has no coercion and is not used here). */
function withCoercion(options: CompilerOptions, coerceTypes: boolean): CompilerOptions {
  if (options?.mode === 'JTD') return options;
  return { ...options, customOptions: { ...options?.customOptions, coerceTypes } };
}

/**
 * Two validators: JSON bodies are never coerced (`{"seq":"5"}` is a 400), while
 * the path and the query string, which are text by nature, are read as the
 * types their schemas declare (`?limit=5` is the integer 5; `?limit=1&limit=2`
 * stays an array and fails).
 */
export function bodyStrictQueryCoercingValidators(): BuildValidator {
  const pool = AjvCompiler();
  return (externalSchemas, options) => {
    const strict = pool(externalSchemas, withCoercion(options, false));
    const coercing = pool(externalSchemas, withCoercion(options, true));
    return (route) => (route.httpPart === 'body' ? strict(route) : coercing(route));
  };
}
