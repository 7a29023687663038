// An OpenID provider for the tests: the certified `oidc-provider` package (npm), with its
// development login and consent pages. Any login is accepted; the account's email is the
// login, and a login starting "unverified+" has email_verified false. A new RSA signing key
// is made at every start (so a restart rotates the keys).
//
//   node oidc_provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI [AUTH_METHOD]
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri, authMethod = 'client_secret_basic'] = process.argv.slice(2);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const key = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: authMethod,
  }],
  jwks: { keys: [key] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // The ID token carries the scopes' claims (the service reads the email from it).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['champion-test-cookie-key'] },
  async findAccount(ctx, id) {
    const unverified = id.startsWith('unverified+');
    const email = unverified ? id.slice('unverified+'.length) : id;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email, email_verified: !unverified, name: email.split('@')[0] };
      },
    };
  },
});
// Says how each token request authenticated the client, for the tests to read.
provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/token') {
    console.log(`token-auth ${ctx.headers.authorization ? 'client_secret_basic' : 'client_secret_post'}`);
  }
  await next();
});
provider.listen(Number(port), '127.0.0.1', () => console.log(`ready ${issuer} ${key.kid}`));
