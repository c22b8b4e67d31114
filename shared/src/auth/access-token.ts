import { errors, jwtVerify, SignJWT } from 'jose';
import { UnauthenticatedError } from '../kernel/errors';

export interface AccessTokenConfig {
  readonly secret: string;
  readonly issuer: string;
  readonly audience: string;
  readonly accessTtlSeconds: number;
}

export interface AccessClaims {
  readonly userId: string;
  /** Expiry, epoch seconds. */
  readonly exp: number;
}

/** The one algorithm we sign and accept: a token naming any other (none included) is refused. */
const ALGORITHM = 'HS256';

export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(private readonly config: AccessTokenConfig) {
    this.key = new TextEncoder().encode(config.secret);
  }

  get ttlSeconds(): number {
    return this.config.accessTtlSeconds;
  }

  async issue(userId: string, now = new Date()): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(this.config.issuer)
      .setAudience(this.config.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.config.accessTtlSeconds)
      .sign(this.key);
  }

  /** Verifies signature, algorithm, exp, iss and aud; any failure is UNAUTHENTICATED. */
  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: this.config.issuer,
        audience: this.config.audience,
        requiredClaims: ['exp', 'sub', 'iss', 'aud'],
      });
      if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') throw new UnauthenticatedError('invalid token');
      return { userId: payload.sub, exp: payload.exp };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new UnauthenticatedError('token expired');
      throw new UnauthenticatedError('invalid token');
    }
  }
}

/** Reads "Bearer <token>" from an Authorization header value. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
