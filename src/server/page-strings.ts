import { readFileSync } from 'node:fs';

/**
 * Every visible string of the pages, in English. A translation (`--strings FILE`, a JSON object) replaces any of
 * them; `{name}` marks a value filled in when the page is rendered (and HTML-escaped there, like every value).
 *
 * @example
 * ```ts
 * const strings = loadPageStrings('./strings.de.json'); // {"lang": "de", "sign_in_title": "Anmelden", ...}
 * strings.sign_in_title; // 'Anmelden'
 * ```
 */
export const DEFAULT_PAGE_STRINGS = {
  /** The `lang` attribute of every page (BCP 47). */
  lang: 'en',
  home_title: 'OAuth 2.0 authorization server',
  home_text: 'Applications start from its metadata.',
  home_metadata_link: 'Server metadata',
  home_keys_text: 'Resource servers check tokens with its keys.',
  home_keys_link: 'JSON Web Key Set',
  home_getting_started: 'Getting started',
  home_where: 'On the machine that runs the server, next to its data directory:',
  home_step_scope: 'Add a scope',
  home_step_client: 'Register a client (prints its client_id and, once, its client_secret)',
  home_step_token: 'Get a token (CLIENT_ID and CLIENT_SECRET as step 2 printed them)',
  home_then:
    "Then send a user to /authorize (sign-in and consent pages), refresh, revoke and introspect tokens, and let devices sign in at /device: the README's first day shows each step.",
  sign_in_title: 'Sign in',
  username_label: 'Username',
  password_label: 'Password',
  sign_in_button: 'Sign in',
  sign_in_missing: 'Enter your username and password.',
  sign_in_wrong: 'Wrong username or password.',
  sign_in_throttled: 'Too many failed attempts. Try again in {seconds} seconds.',
  session_expired_retry: 'Your session expired. Please try again.',
  session_expired_restart: 'Your session expired. Please start again from the application.',
  sign_in_again: 'Please sign in again.',
  signed_in_as: 'Signed in as {username}.',
  not_you: 'Not {username}?',
  sign_out_button: 'Sign out',
  sign_out_refused: 'Sign out from a page of this server.',
  consent_title: 'Authorize access',
  consent_intro: '{client} asks to access your account with these scopes:',
  consent_destination: 'After your decision you will be sent to {host}.',
  unverified_client_name: '{client} (name given by {host}, not verified)',
  unverified_client_notice:
    'This application is not registered with this server: it describes itself in a document published at {host}, and nothing about it has been verified. Allow only if you expect to connect an application from {host}.',
  consent_resources: 'The access is for use at {resources}.',
  no_particular_scope: 'No particular scope.',
  remember_label: 'Remember this decision: do not ask again when {client} asks for these scopes',
  allow_button: 'Allow',
  deny_button: 'Deny',
  consent_expired: 'This consent form has expired. Please start again from the application.',
  choose_allow_or_deny: 'Choose Allow or Deny.',
  device_title: 'Connect a device',
  device_intro: 'Enter the code shown on your device.',
  device_code_label: 'Code',
  continue_button: 'Continue',
  device_code_missing: 'Enter the code shown on your device.',
  device_code_wrong: 'That code is not valid or has expired. Check the code on your device.',
  device_throttled: 'Too many wrong codes. Try again in {seconds} seconds.',
  device_approval_title: 'Allow this device? Code {code}',
  device_approval_intro: '{client} on your device asks to access your account with these scopes:',
  device_form_invalid: 'This form is not valid any more. Enter the code again.',
  device_code_expired_title: 'Code expired',
  device_code_expired: 'This code has expired or was already used. Start again on your device.',
  device_allowed_title: 'Device connected',
  device_allowed: 'You have allowed the device. You can return to it now.',
  device_denied_title: 'Access denied',
  device_denied: 'You have denied the device. You can close this page.',
  account_title: 'Your remembered decisions',
  account_intro: 'These applications may access your account without asking again, for the scopes listed.',
  account_none: 'You have no remembered decisions.',
  account_revoke_button: 'Forget this decision',
  account_revoked: 'The decision for {client} is forgotten: it will ask again.',
  error_title: 'Request refused',
  error_next_step: 'Go back to the application you came from and start again. If this keeps happening, contact the people who run it and mention the error code above.',
  unavailable_title: 'Temporarily unavailable',
  unavailable_text: 'The service is temporarily unavailable.',
  unavailable_next_step: 'Wait a moment, then reload this page.',
  bad_request_title: 'Bad request',
  form_unreadable: 'The form could not be read.',
  too_large_title: 'Request too large',
  too_large: 'The form is too large.',
  not_found_title: 'Not found',
  method_not_allowed_title: 'Method not allowed',
};

/**
 * The keys of the page strings.
 *
 * @example
 * ```ts
 * const key: PageStringKey = 'sign_in_title';
 * ```
 */
export type PageStringKey = keyof typeof DEFAULT_PAGE_STRINGS;

/**
 * A complete set of page strings.
 *
 * @example
 * ```ts
 * const strings: PageStrings = { ...DEFAULT_PAGE_STRINGS, sign_in_title: 'Log in' };
 * ```
 */
export type PageStrings = Readonly<Record<PageStringKey, string>>;

/**
 * The default strings with those of a JSON file over them. An unknown key, a value that is not a string, or a file
 * that is not a JSON object throws a `TypeError` naming the file and the key (a start-up error).
 *
 * @example
 * ```ts
 * const strings = loadPageStrings(config.strings); // the defaults when no file is given
 * ```
 */
export function loadPageStrings(file: string | undefined): PageStrings {
  if (file === undefined) return DEFAULT_PAGE_STRINGS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new TypeError(`--strings ${file}: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError(`--strings ${file}: not a JSON object`);
  const out: Record<string, string> = { ...DEFAULT_PAGE_STRINGS };
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in DEFAULT_PAGE_STRINGS)) throw new TypeError(`--strings ${file}: unknown key "${key}" (see DEFAULT_PAGE_STRINGS)`);
    if (typeof value !== 'string') throw new TypeError(`--strings ${file}: "${key}" must be a string`);
    out[key] = value;
  }
  return out as PageStrings;
}

/**
 * A string with its `{name}` values filled in (plain text: the page escapes it).
 *
 * @example
 * ```ts
 * fillString('Try again in {seconds} seconds.', { seconds: 30 }); // 'Try again in 30 seconds.'
 * ```
 */
export function fillString(text: string, values: Readonly<Record<string, string | number>> = {}): string {
  return text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
