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
  const s = view.s;
  const titles = [s.home_step_scope, s.home_step_client, s.home_step_token];
  const steps = firstSteps(issuer)
    .map((step, i) => `<li>${escapeHtml(titles[i] ?? step.title)}:<pre><code>${escapeHtml(step.command)}</code></pre></li>`)
    .join('\n');
  const link = (href: string, text: string) => `<a href="${href}">${escapeHtml(text)}</a>`;
  return view.page(
    s.home_title,
    new Html(`<p>${escapeHtml(s.home_text)} ${link('/.well-known/oauth-authorization-server', s.home_metadata_link)}</p>
<p>${escapeHtml(s.home_keys_text)} ${link('/.well-known/jwks.json', s.home_keys_link)}</p>
<h2>${escapeHtml(s.home_getting_started)}</h2>
<p>${escapeHtml(s.home_where)}</p>
<ol>
${steps}
</ol>
<p>${escapeHtml(s.home_then)}</p>`),
  );
}
