// A real OpenID Provider (the npm package oidc-provider) for Grantledger's tests; started by
// tests/oidc_provider.py as `node provider.mjs CONFIG.json`. It prints one line,
// `ready <issuer>`, once it answers on 127.0.0.1.
//
// CONFIG.json:
//   port             0 for any free port (the issuer is then http://127.0.0.1:<that port>)
//   jwks             {keys: [...]}: the private JWKs it signs with (the first of an algorithm
//                    signs; all are published); it needs an RSA key for RS256
//   audience         the resource server (the service): access tokens for it are JWTs
//   resource_scope   the scope a client asks for to get the audience's access token
//   access_token_alg RS256 (default), PS256, ES256 or EdDSA
//   access_token_ttl seconds
//   clients          oidc-provider client metadata; `token_claims` ({name, grantledger_roles,
//                    …}) go into the client-credentials access tokens of that client
//   accounts         {login: {name, grantledger_roles, …}}: who may sign in with the
//                    development login form (devInteractions), and the claims of their ID and
//                    access tokens
//
// GET /test/jwks-fetches answers {"count": n}: how often the key set was fetched.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts ?? {};
const clientClaims = Object.fromEntries(
  (config.clients ?? []).map(({ client_id: id, token_claims: claims }) => [id, claims ?? {}]),
);
const clients = (config.clients ?? []).map(({ token_claims: _, ...metadata }) => metadata);

function tokenClaims(token) {
  if (token.accountId) return accounts[token.accountId] ?? {};
  return clientClaims[token.clientId] ?? {};
}

const server = createServer();
server.listen(config.port ?? 0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    jwks: config.jwks,
    clients,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount(ctx, sub) {
      if (!(sub in accounts)) return undefined;
      return { accountId: sub, claims: () => ({ sub, ...accounts[sub] }) };
    },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'] },
    extraTokenClaims: (ctx, token) => tokenClaims(token),
    ttl: {
      AccessToken: config.access_token_ttl ?? 600,
      ClientCredentials: config.access_token_ttl ?? 600,
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => config.audience,
        useGrantedResource: () => true,
        getResourceServerInfo(ctx, resource) {
          if (resource !== config.audience) throw new Provider.errors.InvalidTarget();
          return {
            scope: config.resource_scope ?? 'grantledger',
            audience: config.audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: config.access_token_ttl ?? 600,
            jwt: { sign: { alg: config.access_token_alg ?? 'RS256' } },
          };
        },
      },
    },
  });
  let jwksFetches = 0;
  provider.use(async (ctx, next) => {
    if (ctx.path === '/test/jwks-fetches') {
      ctx.body = { count: jwksFetches };
      return;
    }
    if (ctx.method === 'GET' && ctx.path === '/jwks') jwksFetches += 1;
    await next();
  });
  server.on('request', provider.callback());
  console.log(`ready ${issuer}`);
});

process.on('SIGTERM', () => process.exit(0));
