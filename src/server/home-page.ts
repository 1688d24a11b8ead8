import { escapeHtml } from './html.js';
import { Html } from './page-templates.js';
import type { PageView } from './page-view.js';

/**
 * The first three commands on a fresh server: a scope, a client that may use it, and a token (RFC 6749 §4.4) with
 * curl. `cliFlags` names the store the server runs on (`--data-dir DIR`) when it is not the default `./data`.
 *
 * @example
 * ```ts
 * firstSteps('http://127.0.0.1:8080').forEach((step) => console.log(`${step.title}\n  ${step.command}`));
 * ```
 */
export function firstSteps(issuer: string, cliFlags = ''): { title: string; command: string }[] {
  return [
    { title: 'Add a scope', command: `npx grantry scopes add read --description "Read your data"${cliFlags}` },
    {
      title: 'Register a client (prints its client_id and, once, its client_secret)',
      command: `npx grantry clients create --name "My script" --grant-types client_credentials --scopes read${cliFlags}`,
    },
    {
      title: 'Get a token (CLIENT_ID and CLIENT_SECRET as step 2 printed them)',
      command: `curl -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials -d scope=read ${issuer}/token`,
    },
  ];
}

/**
 * What `grantry serve` prints for a person, beside its JSON log line: where the server is and what to do next.
 *
 * @example
 * ```ts
 * process.stderr.write(startBanner('http://127.0.0.1:8080'));
 * ```
 */
export function startBanner(issuer: string, cliFlags = ''): string {
  const steps = firstSteps(issuer, cliFlags).map((s, i) => `  ${i + 1}. ${s.title}:\n       ${s.command}`);
  return [
    `grantry is listening on ${issuer} (metadata: ${issuer}/.well-known/oauth-authorization-server)`,
    'Next, in another terminal:',
    ...steps,
    'The README\'s "Your first day with the ready server" goes on with the login pages, refresh, revocation and devices.',
    '',
  ].join('\n');
}

/**
 * The `/` page: a short getting-started page for the operator, with the same first commands and the endpoints.
 * No scripts, like every page.
 *
 * @example
 * ```ts
 * const response = homePage('https://auth.example.com', new PageView({ productName: 'Acme ID' })); // 200 text/html
 * ```
 */
export function homePage(issuer: string, view: PageView): Response {
  const steps = firstSteps(issuer)
    .map((s) => `<li>${escapeHtml(s.title)}:<pre><code>${escapeHtml(s.command)}</code></pre></li>`)
    .join('\n');
  return view.page(
    view.s.home_title,
    new Html(`<p>An OAuth 2.0 authorization server. Clients start from <a href="/.well-known/oauth-authorization-server">its metadata</a>;
resource servers check tokens with <a href="/.well-known/jwks.json">its keys</a>.</p>
<h2>Getting started</h2>
<p>On the machine that runs the server, next to its data directory:</p>
<ol>
${steps}
</ol>
<p>Then send a user to <code>/authorize</code> (sign-in and consent pages), refresh, revoke and introspect tokens, and
let devices sign in at <a href="/device">/device</a>: the README's first day shows each step.</p>`),
  );
}
