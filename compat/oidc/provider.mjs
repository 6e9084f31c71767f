// A development OpenID provider (oidc-provider 9, a certified implementation) for the
// token-mediating backend in server.mjs and tests/e2e/oidc.mjs. Not for production: in-memory
// storage, its built-in development login and consent pages (any login, any password), a key
// made at start-up, 5 s JWT access tokens so that tests see several lifetimes.
// server.mjs starts it in-process; alone: node provider.mjs OP_PORT APP_ORIGIN
import { exportJWK, generateKeyPair } from "jose";

// oidc-provider prints a notice for each default it uses and warnings for its development
// features (dev interactions, in-memory adapter, dev keys) and for Node.js < 22 (9.x wants
// 22 LTS; its code runs on Node 20.18+). Those expected lines are dropped; others pass.
const EXPECTED = /oidc-provider (NOTICE|WARNING): (default |a quick start development-only|quick start development-only|Unsupported runtime)/;
for (const level of ["info", "warn"]) {
  const print = console[level];
  console[level] = (...a) => (EXPECTED.test(String(a[0])) ? undefined : print(...a));
}
const { default: Provider, errors } = await import("oidc-provider");

export const CLIENT = { id: "bff", secret: "dev-secret-not-for-production-0123456789abcdef" };
export const ACCESS_TOKEN_TTL = 5; // seconds

/// Start the provider at http://HOST:port (HOST "localhost": another site than the app at
/// 127.0.0.1, so the two never share cookies). Resolves to { issuer, close }.
export async function startProvider({ port, appOrigin, host = "localhost" }) {
  const issuer = `http://${host}:${port}`;
  const api = `${appOrigin}/api`; // the resource (audience) of the JWT access tokens
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const oidc = new Provider(issuer, {
    clients: [{
      client_id: CLIENT.id,
      client_secret: CLIENT.secret,
      token_endpoint_auth_method: "client_secret_basic",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      redirect_uris: [`${appOrigin}/auth/callback`],
      post_logout_redirect_uris: [`${appOrigin}/`],
    }],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: "dev-1", alg: "RS256", use: "sig" }] },
    cookies: { keys: ["dev-cookie-key-not-for-production-0123456789"] },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, name: id }) }),
    claims: { openid: ["sub"], profile: ["name"] },
    scopes: ["openid", "profile", "offline_access", "api"],
    pkce: { required: () => true }, // PKCE on every authorization request, confidential client too
    // A refresh token for this client whatever the prompt (9.x only issues one for
    // offline_access, which it drops from a request whose prompt lacks "consent").
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    rotateRefreshToken: true, // each refresh token works once; the grant answers a new one
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL, AuthorizationCode: 60, IdToken: 3600, Interaction: 600,
      RefreshToken: 24 * 3600, Session: 24 * 3600, Grant: 24 * 3600,
    },
    features: {
      devInteractions: { enabled: true }, // the built-in login + consent pages the test goes through
      revocation: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => api,
        useGrantedResource: () => true, // the token endpoint needs no `resource` parameter
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== api) throw new errors.InvalidTarget();
          return { scope: "api", audience: api, accessTokenFormat: "jwt", accessTokenTTL: ACCESS_TOKEN_TTL, jwt: { sign: { alg: "RS256" } } };
        },
      },
    },
  });
  oidc.on("server_error", (_ctx, e) => console.error("provider server_error:", e));
  const server = oidc.listen(port, "127.0.0.1");
  await new Promise((resolve, reject) => server.once("listening", resolve).once("error", reject));
  return { issuer, close: () => new Promise((r) => server.close(r)) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [port, appOrigin] = [Number(process.argv[2]), process.argv[3]];
  const { issuer } = await startProvider({ port, appOrigin });
  console.log(`provider: ${issuer}`);
}
