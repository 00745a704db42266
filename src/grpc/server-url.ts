import { invalid } from "../validation/invalid.js";

/**
 * Normalizes a server address to a base URL: `http://host:port` and `https://host:port` as
 * given, and a bare `host:port` (the form of the Go and Dart clients) as `http://host:port`.
 * @throws `INVALID_ARGUMENT` for anything else (other schemes, credentials, query, fragment).
 */
export function normalizeServerUrl(serverUrl: string): string {
  if (typeof serverUrl !== "string" || serverUrl.trim() === "") {
    throw invalid("INVALID_ARGUMENT", "serverUrl", serverUrl, "must be a URL such as http://localhost:8093");
  }
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(serverUrl) ? serverUrl : `http://${serverUrl}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid("INVALID_ARGUMENT", "serverUrl", serverUrl, "is not a valid URL or host:port");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid("INVALID_ARGUMENT", "serverUrl", serverUrl, "must use http:// or https://");
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw invalid("INVALID_ARGUMENT", "serverUrl", serverUrl, "must not contain credentials, a query or a fragment");
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}
