// A real OpenID Connect provider for the web app's sign-in test (tests/ImageMeta.Web.Tests): the npm oidc-provider
// package with its development login pages (any login and password sign in; the login becomes the subject).
// Test code only, on loopback. Settings come from the environment:
//   OIDC_PORT          port to listen on (issuer http://localhost:<port>)
//   OIDC_CLIENT_ID     the web app's client id
//   OIDC_CLIENT_SECRET the web app's client secret
//   OIDC_WEB_BASE      the web app's base address (http://localhost:<port>), for its redirect URIs
// Prints "oidc-provider listening on <issuer>" once it accepts connections.
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const web = process.env.OIDC_WEB_BASE.replace(/\/$/, '');
const issuer = `http://localhost:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: [`${web}/signin-oidc`],
    post_logout_redirect_uris: [`${web}/signout-callback-oidc`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  claims: { openid: ['sub'], profile: ['name'] },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, name: `Test person ${sub}` }),
  }),
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['imagemeta-browser-tests-only'] },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
