// Secrets in URLs, hidden wherever a URL can reach a person: the messages we write, the Helm errors we quote,
// the command lines HELM_DEBUG shows. A URL carries them as a password (`https://user:pw@host`) and as query
// parameters (`?token=…`, `&access_token=…`, a pre-signed S3 URL's `X-Amz-Signature`, an Azure SAS `sig`).

/** A URL in running text: a scheme, `://`, and everything up to white space or a quote. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]*/gi;

/**
 * Query parameter names whose values are secrets, by their ending (case-insensitive): `token`
 * (`access_token`, `id_token`, `X-Amz-Security-Token`), `secret` (`client_secret`), `password`/`passwd`/`pwd`,
 * `signature`/`sig` (`X-Amz-Signature`, `X-Goog-Signature`, Azure SAS), `credential` (`X-Amz-Credential`),
 * `key` (`api_key`, `apikey`, `key`), `auth`/`authorization`, `session`. Hiding a value that was no secret
 * costs a message little; showing one that was costs more.
 */
const SECRET_PARAMETER =
  /(token|secret|passw(or)?d|pwd|signature|sig|credential|key|auth|authorization|session)$/i;

/**
 * `text` with the secrets of every URL in it replaced by `***`: the password of the user information, as Go's
 * `url.Redacted` does (`https://user:pw@host` -> `https://user:***@host`; the user information ends at the
 * last `@`, as Go's url.Parse reads it), and the value of each query or fragment parameter named as a secret
 * (see {@link SECRET_PARAMETER}: `?token=abc&page=2` -> `?token=***&page=2`; `\u0026`, a JSON-escaped `&`,
 * separates parameters too).
 * Everything else, including text outside URLs, stays as it is.
 */
export function redactUrls(text: string): string {
  return text.replace(URL_IN_TEXT, (url) =>
    url
      // The user information ends at the authority's last `@` and the user name at its first `:`, as Go's
      // url.Parse reads them: a password with a bare `@` in it is hidden whole, a user name with one too.
      .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#:]*?:)[^/?#]*@/i, "$1***@")
      // Parameters in the fragment too (`#access_token=…`, OAuth's implicit grant), and after a `&` written
      // as JSON writes it (`\u0026`, Go's encoding/json) when a quoted response body carries the URL.
      .replace(/([?&;#]|\\u0026)([^=&#;?\\]+)=([^&#;()[\]{}\\]*)/g, (whole, sep: string, name: string) => {
        let decoded = name;
        try {
          decoded = decodeURIComponent(name);
        } catch { /* the name as written */ }
        return SECRET_PARAMETER.test(decoded) ? `${sep}${name}=***` : whole;
      }));
}
