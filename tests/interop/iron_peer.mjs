// Reads a JSON array of {token, passwords: [[id, secret], ...], suffix} on stdin and
// writes, for each, what every package that reads that format makes of the token:
// {"<package>": {"ok": true, "data": ...} | {"ok": false, "error": "..."}}.
// Used by tests/it/interop_iron.rs to check that the packages open sessionlib's tokens.

import nodeCrypto from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const ironWebcrypto = await import("iron-webcrypto");
const ironSession = await import("iron-session");
const hapiIron = require("@hapi/iron");
const h3 = await import("h3");

async function attempt(f) {
  try {
    return { ok: true, data: await f() };
  } catch (e) {
    return { ok: false, error: String(e.message).split(":")[0] };
  }
}

const input = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
const out = [];
for (const { token, passwords, suffix } of input) {
  const map = Object.fromEntries(passwords);
  const pw = passwords.length === 1 && passwords[0][0] === "" ? passwords[0][1] : map;
  const r = {};
  if (suffix === "iron-session") {
    // unsealData answers {} for a token it refuses; a non-empty object is a success.
    r["iron-session"] = await attempt(async () => {
      const data = await ironSession.unsealData(token, { password: map });
      if (Object.keys(data).length === 0) throw new Error("refused or empty");
      return data;
    });
  } else {
    r["iron-webcrypto"] = await attempt(() =>
      ironWebcrypto.unseal(nodeCrypto.webcrypto, token, pw, ironWebcrypto.defaults),
    );
    r["@hapi/iron"] = await attempt(() => hapiIron.unseal(token, pw, hapiIron.defaults));
    r.h3 = await attempt(() => h3.unsealSession(null, { password: pw }, token));
  }
  out.push(r);
}
process.stdout.write(JSON.stringify(out));
