/**
 * A local OpenID Connect provider for the console (oidc-provider, a certified OP), for `npm start` and the
 * console's browser tests: users `viewer` and `operator` (password = user name; `nobody` signs in but has no
 * console role), the authorization code flow with PKCE, and the console registered as a confidential client.
 *
 * oidc-provider is ESM only, so this runs as its own process (`startIdentityProviderProcess` spawns it with tsx
 * as a loader, one process, so that a SIGTERM reaches the handler below):
 *   node --import tsx tools/local/src/identity-provider.ts '<IdentityProviderOptions as JSON>'
 * It prints `identity provider ready at <issuer>` once it listens.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { join } from 'node:path';

export interface LocalUser {
  id: string;
  name: string;
  email: string;
  roles: string[];
}

/** The local users; each one's password is its id. */
export const LOCAL_USERS: readonly LocalUser[] = [
  {
    id: 'viewer',
    name: 'Vera Viewer',
    email: 'viewer@broker-events.localhost',
    roles: ['broker-events-viewer'],
  },
  {
    id: 'operator',
    name: 'Ola Operator',
    email: 'operator@broker-events.localhost',
    roles: ['broker-events-operator'],
  },
  { id: 'nobody', name: 'Nora Nobody', email: 'nobody@broker-events.localhost', roles: [] },
];

export interface IdentityProviderClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
}

export interface IdentityProviderOptions {
  port: number;
  host?: string;
  /** Default `http://127.0.0.1:<port>`. */
  issuer?: string;
  clients: IdentityProviderClient[];
}

/** The console's client for a console at `publicUrl` (redirect `${publicUrl}/auth/callback`). */
export function consoleClient(
  publicUrl: string,
  clientSecret: string,
  clientId = 'broker-events-console',
): IdentityProviderClient {
  return {
    clientId,
    clientSecret,
    redirectUris: [`${publicUrl}/auth/callback`],
    postLogoutRedirectUris: [`${publicUrl}/auth/signed-out`],
  };
}

const escape = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function loginPage(uid: string, error?: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in – local identity provider</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}label{display:block;margin-top:1rem;font-weight:600}input{font:inherit;width:100%;padding:.5rem;border:1px solid #767676}button{font:inherit;margin-top:1.25rem;padding:.5rem 1.25rem;background:#0b5394;color:#fff;border:0}.error{color:#a4000f}</style>
</head><body><main><h1>Sign in</h1>
<p>Local identity provider for broker-events. Users: <code>viewer</code>, <code>operator</code> (password = user name).</p>
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">User name</label><input id="login" name="login" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form></main></body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16_384) throw new Error('form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/* The few parts of oidc-provider's API used here (it ships no types). */
interface OidcGrant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  save(): Promise<string>;
}
interface OidcContext {
  oidc: {
    client?: { clientId: string };
    session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    result?: { consent?: { grantId?: string } };
  };
}
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ uid: string; prompt: { name: string } }>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: unknown,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: {
    new (init: { clientId: string; accountId: string }): OidcGrant;
    find(id: string): Promise<OidcGrant | undefined>;
  };
}
type ProviderClass = new (issuer: string, config: unknown) => OidcProvider;

/** Starts the provider in this process (which must be able to load ESM: tsx or node, not jest). */
export async function runIdentityProvider(
  options: IdentityProviderOptions,
): Promise<{ issuer: string; close(): Promise<void> }> {
  // A specifier in a variable: the package has no types, and the ones we use are declared above.
  const specifier = 'oidc-provider';
  const Provider = ((await import(specifier)) as { default: unknown }).default as ProviderClass;
  const issuer = options.issuer ?? `http://127.0.0.1:${options.port}`;
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      post_logout_redirect_uris: c.postLogoutRedirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [{ ...key, use: 'sig', alg: 'RS256', kid: 'local' }] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    ttl: {
      Interaction: 3600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
      AccessToken: 3600,
      IdToken: 3600,
      AuthorizationCode: 60,
    },
    // `roles` comes with the profile scope, and into the ID token, so the console needs no userinfo call.
    claims: { openid: ['sub'], profile: ['name', 'roles'], email: ['email'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx: unknown, id: string) => {
      const user = LOCAL_USERS.find((u) => u.id === id);
      return user
        ? {
            accountId: id,
            claims: async () => ({ sub: id, name: user.name, email: user.email, roles: user.roles }),
          }
        : undefined;
    },
    // A first-party client: no consent screen; the grant covers what the console asks for.
    loadExistingGrant: async (ctx: OidcContext & { oidc: { provider?: unknown } }) => {
      const clientId = ctx.oidc.client?.clientId;
      const accountId = ctx.oidc.session?.accountId;
      if (!clientId || !accountId) return undefined;
      const existing = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(clientId);
      if (existing) {
        const found = await provider.Grant.find(existing);
        if (found) return found;
      }
      const grant = new provider.Grant({ clientId, accountId });
      grant.addOIDCScope('openid profile email');
      grant.addOIDCClaims(['name', 'roles', 'email']);
      await grant.save();
      return grant;
    },
    renderError: async (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body><main><h1>Error</h1><pre>${escape(JSON.stringify(out, null, 2))}</pre></main></body></html>`;
    },
  });
  const handle = provider.callback();
  const server = createServer((req, res) => {
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec((req.url ?? '').split('?')[0] ?? '');
    if (!m) return handle(req, res);
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (req.method === 'POST' && m[2]) {
          const form = await readForm(req);
          const login = form.get('login')?.trim() ?? '';
          const user = LOCAL_USERS.find((u) => u.id === login);
          if (!user || form.get('password') !== user.id) {
            res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' });
            res.end(loginPage(details.uid, 'Unknown user or wrong password.'));
            return;
          }
          await provider.interactionFinished(
            req,
            res,
            { login: { accountId: user.id } },
            { mergeWithLastSubmission: false },
          );
          return;
        }
        if (details.prompt.name === 'login') {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
          res.end(loginPage(details.uid));
          return;
        }
        // Consent is granted by loadExistingGrant; anything else finishes as is.
        await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`interaction failed: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    issuer,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Spawns the provider as its own process (tsx); resolves once it is ready. */
export async function startIdentityProviderProcess(
  root: string,
  options: IdentityProviderOptions,
  onLine: (line: string) => void = () => undefined,
  timeoutMs = 30_000,
): Promise<{ issuer: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      // tsx as a loader in this one process, not its CLI: the CLI runs the script in a child and, when that child
      // does not acknowledge a relayed SIGTERM within ~60 ms (a busy machine), kills it and exits 143.
      '--import',
      'tsx',
      join(root, 'tools/local/src/identity-provider.ts'),
      JSON.stringify(options),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const issuer = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`identity provider not ready in ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const onData = (d: Buffer): void => {
      const text = d.toString();
      out += text;
      for (const line of text.split('\n')) if (line.trim()) onLine(line);
      const m = /identity provider ready at (\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`identity provider exited with ${code}:\n${out}`));
    });
  });
  return {
    issuer,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

if (require.main === module) {
  const options = JSON.parse(process.argv[2] ?? '{}') as IdentityProviderOptions;
  runIdentityProvider(options).then(
    (idp) => {
      process.stdout.write(`identity provider ready at ${idp.issuer}\n`);
      // `on`, not `once`: a second SIGTERM (npm start signals the whole process group) while close() waits for
      // open connections must not end the process by the signal instead of exit 0.
      let closing = false;
      const stop = (): void => {
        if (closing) return;
        closing = true;
        void idp.close().then(() => process.exit(0));
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (error: unknown) => {
      process.stderr.write(
        `identity provider failed: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
