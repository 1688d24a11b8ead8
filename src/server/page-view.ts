import { readFileSync } from 'node:fs';
import { escapeHtml, PAGE_HEADERS } from './html.js';
import { fillString, loadPageStrings, type PageStringKey, type PageStrings } from './page-strings.js';
import { fillTemplate, Html, loadTemplates, type TemplateName, type TemplateValue } from './page-templates.js';

/**
 * How the pages look and speak: `--pages-dir`, `--css`, `--product-name`, `--logo-url` and `--strings`.
 *
 * @example
 * ```ts
 * const options: PageViewOptions = { productName: 'Acme ID', logoUrl: 'https://cdn.acme.example/logo.svg' };
 * ```
 */
export interface PageViewOptions {
  readonly pagesDir?: string | undefined;
  readonly css?: string | undefined;
  readonly productName?: string | undefined;
  readonly logoUrl?: string | undefined;
  readonly strings?: string | undefined;
}

/** The built-in styles, served at `/pages.css` before the operator's `--css`. */
const BASE_CSS = `body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
header{display:flex;align-items:center;gap:.5rem;font-weight:600}header img{max-height:2.5rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
input[type=checkbox]{width:auto;margin-right:.5rem}label.check{display:flex;align-items:flex-start;font-weight:400}
button{padding:.5rem 1.25rem;font-size:1rem;margin:1rem .5rem 0 0;cursor:pointer}.error{color:#a00;font-weight:600}
.notice{border-left:4px solid #b85c00;padding:.25rem .75rem;background:#fff6e5}
ul{padding-left:1.25rem}:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}
`;

/** Response options of a page. */
interface PageInit {
  readonly status?: number;
  readonly headers?: Record<string, string>;
}

/**
 * Renders the pages from templates (escaped values only, no code in templates) and the page strings. Everything
 * is read and checked once, when the server is built: a bad template, strings file, CSS file or logo URL is a
 * start-up error.
 *
 * @example
 * ```ts
 * const view = new PageView({ pagesDir: './my-pages', productName: 'Acme ID' });
 * return view.render('error', view.s.error_title, { message: 'invalid_request' }, { status: 400 });
 * ```
 */
export class PageView {
  readonly s: PageStrings;
  readonly productName: string;
  readonly css: string;
  readonly #templates: Readonly<Record<TemplateName, string>>;
  readonly #logo: Html;
  readonly #headers: Readonly<Record<string, string>>;

  constructor(options: PageViewOptions = {}) {
    this.s = loadPageStrings(options.strings);
    this.#templates = loadTemplates(options.pagesDir);
    this.productName = options.productName ?? 'grantry';
    this.css = BASE_CSS + (options.css === undefined ? '' : readCss(options.css));
    const logo = options.logoUrl === undefined ? undefined : checkLogoUrl(options.logoUrl);
    this.#logo = new Html(logo === undefined ? '' : `<img src="${escapeHtml(logo.href)}" alt="${escapeHtml(this.productName)}">`);
    // The logo's origin is the one place images may come from; styles only from /pages.css (no inline styles).
    const csp = `default-src 'none'; style-src 'self'; img-src 'self'${logo ? ` ${logo.origin}` : ''}; frame-ancestors 'none'; base-uri 'none'`;
    this.#headers = { ...PAGE_HEADERS, 'content-security-policy': csp };
  }

  /** A page string with its `{name}` values, as plain text. */
  t(key: PageStringKey, values?: Readonly<Record<string, string | number>>): string {
    return fillString(this.s[key], values);
  }

  /** A page string as markup: the text escaped, each `{name}` replaced by its value (escaped unless {@link Html}). */
  tHtml(key: PageStringKey, values: Readonly<Record<string, TemplateValue>>): Html {
    const parts = this.s[key].split(/(\{[a-z_]+\})/);
    return new Html(
      parts
        .map((part) => {
          const name = /^\{([a-z_]+)\}$/.exec(part)?.[1];
          const value = name === undefined ? undefined : values[name];
          if (value === undefined) return escapeHtml(part);
          return value instanceof Html ? value.html : escapeHtml(value);
        })
        .join(''),
    );
  }

  /** A whole page: `content` inside the layout. */
  page(title: string, content: Html, init: PageInit = {}): Response {
    const html = fillTemplate(this.#templates.layout, { lang: this.s.lang, title, product_name: this.productName, logo: this.#logo, content }, this.s);
    return new Response(html, { status: init.status ?? 200, headers: { ...this.#headers, ...init.headers } });
  }

  /** A page from one of the replaceable templates. */
  render(name: Exclude<TemplateName, 'layout'>, title: string, values: Readonly<Record<string, TemplateValue>>, init: PageInit = {}): Response {
    return this.page(title, new Html(fillTemplate(this.#templates[name], { product_name: this.productName, ...values }, this.s)), init);
  }

  /** The error page: what went wrong, and what to do next. */
  error(status: number, message: string, init: PageInit & { title?: string; code?: string; description?: string; nextStep?: string } = {}): Response {
    const values = { message, code: init.code ?? '', description: init.description ?? message, next_step: init.nextStep ?? this.s.error_next_step };
    return this.render('error', init.title ?? this.s.error_title, values, { status, ...(init.headers ? { headers: init.headers } : {}) });
  }

  /** An error message block for a form, announced to screen readers. */
  errorMessage(text: string | undefined): Html {
    return new Html(text === undefined ? '' : `<p class="error" role="alert">${escapeHtml(text)}</p>`);
  }

  /** `GET /pages.css`: the built-in styles, then the operator's. */
  stylesheet(): Response {
    return new Response(this.css, { headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' } });
  }
}

function readCss(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new TypeError(`--css: cannot read ${file}: ${(error as Error).message}`);
  }
}

function checkLogoUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`--logo-url must be an absolute http(s) URL, e.g. https://cdn.example.com/logo.svg: ${value}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`--logo-url must be an http(s) URL: ${value}`);
  return url;
}
