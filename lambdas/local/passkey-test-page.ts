import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalService } from './local-wiring';

export const PASSKEY_PAGE_PATH = '/local/passkeys';

/**
 * A page for trying passkey ceremonies against the local stack, served only by the local runtime. Open it on the
 * RP's origin (http://localhost:<port>, not 127.0.0.1: an IP address cannot be a WebAuthn RP ID). It signs a local
 * user in (local-script client), registers a passkey with a stepUpId of a passed mfa.change step-up, lists them,
 * and turns the `options` of a `webauthn` challenge into the answer to send as ANSWER. Scripts (and the e2e test)
 * call `window.stepgatePasskeys.create(optionsJson)` / `.get(optionsJson)` directly.
 */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stepgate passkeys (local)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
textarea,input{width:100%;box-sizing:border-box;font:13px ui-monospace,monospace}textarea{height:6rem}
button{margin:.3rem .3rem .3rem 0}pre{background:#f4f4f4;padding:.5rem;white-space:pre-wrap;word-break:break-all}</style>
</head><body>
<h1>stepgate passkeys (local)</h1>
<p>Local test page for WebAuthn ceremonies. Use it at <code>http://localhost:&lt;port&gt;</code>.</p>
<h2>1. Sign in</h2>
<input id="user" value="alice@example.com" aria-label="username">
<input id="password" type="password" value="Alice-Local-1!" aria-label="password">
<button id="signin">Sign in (local-script client)</button>
<input id="token" placeholder="access token" aria-label="access token">
<h2>2. Register a passkey</h2>
<input id="stepup" placeholder="stepUpId of a passed mfa.change step-up" aria-label="stepUpId">
<input id="name" placeholder="name (optional)" aria-label="passkey name">
<button id="register">Register</button> <button id="list">List my passkeys</button>
<h2>3. Answer a webauthn challenge</h2>
<textarea id="options" placeholder="ChallengeParameters.options" aria-label="assertion options"></textarea>
<button id="answer">Sign with my passkey</button>
<textarea id="assertion" placeholder="ANSWER to send" aria-label="assertion" readonly></textarea>
<pre id="out" role="status"></pre>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const show = (v) => { $("out").textContent = typeof v === "string" ? v : JSON.stringify(v, null, 2); };
window.stepgatePasskeys = {
  async create(optionsJson) {
    const options = PublicKeyCredential.parseCreationOptionsFromJSON(JSON.parse(optionsJson));
    const credential = await navigator.credentials.create({ publicKey: options });
    return JSON.stringify(credential.toJSON());
  },
  async get(optionsJson) {
    const options = PublicKeyCredential.parseRequestOptionsFromJSON(JSON.parse(optionsJson));
    const credential = await navigator.credentials.get({ publicKey: options });
    return JSON.stringify(credential.toJSON());
  },
};
async function api(method, path, body) {
  const res = await fetch(path, { method, headers: { authorization: "Bearer " + $("token").value,
    "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(res.status + " " + JSON.stringify(json));
  return json;
}
const run = (fn) => () => fn().then(show, (e) => show(String(e)));
$("signin").onclick = run(async () => {
  const res = await fetch("/", { method: "POST", headers: { "content-type": "application/x-amz-json-1.1",
    "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth" }, body: JSON.stringify({
    AuthFlow: "USER_PASSWORD_AUTH", ClientId: "local-script",
    AuthParameters: { USERNAME: $("user").value, PASSWORD: $("password").value } }) });
  const json = await res.json();
  if (!json.AuthenticationResult) throw new Error(JSON.stringify(json));
  $("token").value = json.AuthenticationResult.AccessToken;
  return "signed in";
});
$("register").onclick = run(async () => {
  const started = await api("POST", "/v1/step-up/passkeys/register/start", { stepUpId: $("stepup").value || undefined });
  const response = JSON.parse(await window.stepgatePasskeys.create(JSON.stringify(started.options)));
  return api("POST", "/v1/step-up/passkeys/register/finish", { response, name: $("name").value || undefined });
});
$("list").onclick = run(() => api("GET", "/v1/step-up/passkeys"));
$("answer").onclick = run(async () => {
  $("assertion").value = await window.stepgatePasskeys.get($("options").value);
  return "send the text above as ANSWER (with the same ClientMetadata)";
});
</script></body></html>`;

export class PasskeyTestPage implements LocalService {
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (url.pathname !== PASSKEY_PAGE_PATH) return Promise.resolve(false);
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET', 'content-type': 'application/json' }).end('{"message":"Method Not Allowed"}');
      return Promise.resolve(true);
    }
    res
      .writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy':
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
      })
      .end(PAGE);
    return Promise.resolve(true);
  }
}

/**
 * The local relying party: RP ID `localhost` and the page's origin on the runtime's port, unless
 * STEPGATE_WEBAUTHN_RP_ID / STEPGATE_WEBAUTHN_ORIGINS (comma-separated) say otherwise.
 */
export function localRelyingParty(env: Readonly<Record<string, string | undefined>>, baseUrl: string) {
  const port = new URL(baseUrl).port;
  const rpId = env.STEPGATE_WEBAUTHN_RP_ID || 'localhost';
  const origins = (env.STEPGATE_WEBAUTHN_ORIGINS || `http://localhost:${port}`)
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  return { rpId, rpName: 'stepgate (local)', origins };
}
