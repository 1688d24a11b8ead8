import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeHtml } from './html.js';
import { DEFAULT_PAGE_STRINGS } from './page-strings.js';

/**
 * Markup the server built itself (a form's hidden fields, a scope list): inserted as it is. Every other value a
 * template receives is a plain string and is HTML-escaped.
 *
 * @example
 * ```ts
 * const values = { username: 'a<b', error: new Html('<p class="error" role="alert">…</p>') }; // 'a&#60;b', markup kept
 * ```
 */
export class Html {
  constructor(readonly html: string) {}
}

/**
 * A value for a template: text (escaped) or {@link Html}.
 *
 * @example
 * ```ts
 * const value: TemplateValue = 'alice';
 * ```
 */
export type TemplateValue = string | Html;

/** The templates an operator may replace (`--pages-dir`), and the placeholders each may use besides `{{s.KEY}}`. */
export const TEMPLATE_PLACEHOLDERS = {
  layout: ['lang', 'title', 'product_name', 'logo', 'content'],
  login: ['product_name', 'error', 'hidden_fields', 'username', 'username_autofocus', 'password_autofocus'],
  consent: ['product_name', 'intro', 'client', 'client_notice', 'username', 'host', 'destination', 'scopes', 'resources', 'hidden_fields', 'remember', 'sign_out'],
  device: ['product_name', 'error', 'hidden_fields', 'user_code', 'username', 'signed_in'],
  error: ['product_name', 'message', 'code', 'description', 'next_step'],
} as const;

/**
 * The name of a replaceable template (its file is `<name>.html`).
 *
 * @example
 * ```ts
 * const name: TemplateName = 'consent'; // consent.html in --pages-dir
 * ```
 */
export type TemplateName = keyof typeof TEMPLATE_PLACEHOLDERS;

/**
 * The built-in templates: `{{name}}` is a value (escaped unless the server built it as {@link Html}), `{{s.KEY}}`
 * a page string. Nothing else is interpreted: no conditions, loops or code.
 *
 * @example
 * ```ts
 * const mine = { ...DEFAULT_TEMPLATES, layout: DEFAULT_TEMPLATES.layout.replace('<main>', '<main class="mine">') };
 * ```
 */
export const DEFAULT_TEMPLATES: Readonly<Record<TemplateName, string>> = {
  layout: `<!doctype html>
<html lang="{{lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{title}} · {{product_name}}</title><link rel="stylesheet" href="/pages.css"></head>
<body><header>{{logo}}<span class="product">{{product_name}}</span></header><main><h1>{{title}}</h1>
{{content}}
</main></body></html>`,
  login: `{{error}}
<form method="post" action="/login">
{{hidden_fields}}
<label for="username">{{s.username_label}}</label><input id="username" name="username" value="{{username}}" autocomplete="username" required{{username_autofocus}}>
<label for="password">{{s.password_label}}</label><input id="password" name="password" type="password" autocomplete="current-password" required{{password_autofocus}}>
<button type="submit">{{s.sign_in_button}}</button>
</form>`,
  consent: `<p>{{intro}}</p>
{{client_notice}}{{scopes}}
{{resources}}
<p>{{destination}}</p>
<form method="post" action="/authorize/decision">
{{hidden_fields}}{{remember}}
<button type="submit" name="decision" value="allow">{{s.allow_button}}</button>
<button type="submit" name="decision" value="deny">{{s.deny_button}}</button>
</form>
{{sign_out}}`,
  device: `{{error}}
<p>{{s.device_intro}}</p>
<form method="post" action="/device">
{{hidden_fields}}
<label for="user_code">{{s.device_code_label}}</label><input id="user_code" name="user_code" value="{{user_code}}" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus>
<button type="submit">{{s.continue_button}}</button>
</form>
{{signed_in}}`,
  error: `<p class="error" role="alert">{{message}}</p>
<p>{{next_step}}</p>`,
};

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g;

/**
 * The templates with those of `dir` over the built-in ones (`layout.html`, `login.html`, `consent.html`,
 * `device.html`, `error.html`; a missing file keeps the built-in one). A placeholder the template cannot use
 * throws a `TypeError` naming the file and the placeholder, at start-up.
 *
 * @example
 * ```ts
 * const templates = loadTemplates('./my-pages'); // ./my-pages/login.html replaces the login form
 * ```
 */
export function loadTemplates(dir: string | undefined): Readonly<Record<TemplateName, string>> {
  const out: Record<string, string> = { ...DEFAULT_TEMPLATES };
  for (const name of Object.keys(TEMPLATE_PLACEHOLDERS) as TemplateName[]) {
    if (dir === undefined) continue;
    const file = join(dir, `${name}.html`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new TypeError(`--pages-dir: cannot read ${file}: ${(error as Error).message}`);
    }
    for (const [, placeholder] of text.matchAll(PLACEHOLDER)) {
      if (!knownPlaceholder(name, placeholder!)) {
        throw new TypeError(`--pages-dir: ${file} uses {{${placeholder!}}}, which ${name}.html does not have (known: ${TEMPLATE_PLACEHOLDERS[name].join(', ')}, s.<string key>)`);
      }
    }
    out[name] = text;
  }
  return out as Record<TemplateName, string>;
}

function knownPlaceholder(name: TemplateName, placeholder: string): boolean {
  if (placeholder.startsWith('s.')) return placeholder.slice(2) in DEFAULT_PAGE_STRINGS;
  return (TEMPLATE_PLACEHOLDERS[name] as readonly string[]).includes(placeholder);
}

/**
 * Fills a template: each `{{name}}` gets its value, escaped unless it is {@link Html}; `{{s.KEY}}` gets the page
 * string `KEY`, escaped; a placeholder without a value becomes empty. One pass: a value is never read as a template.
 *
 * @example
 * ```ts
 * fillTemplate('<p>{{who}}</p>', { who: '<b>' }, {}); // '<p>&#60;b&#62;</p>'
 * ```
 */
export function fillTemplate(template: string, values: Readonly<Record<string, TemplateValue>>, strings: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = name.startsWith('s.') ? strings[name.slice(2)] : values[name];
    if (value === undefined) return '';
    return value instanceof Html ? value.html : escapeHtml(value);
  });
}
