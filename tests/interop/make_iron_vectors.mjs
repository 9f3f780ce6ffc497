// Writes tests/vectors/iron.json on stdout: Iron tokens made by the real packages
// (iron-session 8, iron-webcrypto, @hapi/iron, h3), each one then read back by every
// package that reads its format, which records what the packages accept.
//
//     cd tests/interop && npm ci && node make_iron_vectors.mjs > ../vectors/iron.json
//
// Deterministic: the random generators the packages call (node:crypto's webcrypto
// getRandomValues and randomBytes) are replaced by a seeded generator, and Date.now by
// the case's time, so the same package versions write the same file
// (tests/it/interop_iron.rs checks it).

import nodeCrypto from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// --- determinism, before any package is loaded ------------------------------------
let seed = 0x1234567;
function nextByte() {
  // xorshift32
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed & 0xff;
}
nodeCrypto.webcrypto.getRandomValues = (array) => {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  for (let i = 0; i < bytes.length; i++) bytes[i] = nextByte();
  return array;
};
nodeCrypto.randomBytes = (n) => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = nextByte();
  return b;
};
let NOW = 0;
Date.now = () => NOW;

const require = createRequire(import.meta.url);
const ironWebcrypto = await import("iron-webcrypto");
const ironSession = await import("iron-session");
const hapiIron = require("@hapi/iron");
const h3 = await import("h3");
const versions = Object.fromEntries(
  ["iron-session", "iron-webcrypto", "@hapi/iron", "h3"].map((p) => [
    p,
    JSON.parse(readFileSync(new URL(`node_modules/${p}/package.json`, import.meta.url))).version,
  ]),
);
const webcrypto = nodeCrypto.webcrypto;

// --- fixtures ------------------------------------------------------------------------
const PW1 = "iron-session password number one, 32+ chars";
const PW2 = "the rotated password: number two, also 32+";
const T0 = 1_700_000_000_000; // 2023-11-14T22:13:20Z
const DAY = 86_400_000;

/** The argument the packages take for a ring [[id, secret], ...]. */
function packagePassword(passwords) {
  if (passwords.length === 1 && passwords[0][0] === "") return passwords[0][1];
  return Object.fromEntries(passwords);
}

/** What iron-session's password option is for a ring (a string is {1: ...}). */
function ironSessionPassword(passwords) {
  return Object.fromEntries(passwords);
}

async function attempt(f) {
  try {
    return { ok: true, data: await f() };
  } catch (e) {
    return { ok: false, error: String(e.message).split(":")[0] };
  }
}

/** Every package that reads this suffix, reading `token` at `now`. */
async function readers(token, passwords, suffix, now) {
  NOW = now;
  const out = {};
  if (suffix === "iron-session") {
    // unsealData swallows expiry and MAC failures as {}: call the same function it
    // calls, with its options, to see which.
    out["iron-session"] = await attempt(async () => {
      const r = await ironSession.unsealData(token, {
        password: ironSessionPassword(passwords),
      });
      if (Object.keys(r).length === 0) {
        // Tell "refused" ({}) from an empty session by unsealing without the suffix.
        const bare = token.split("~")[0];
        const inner = await ironWebcrypto.unseal(
          webcrypto,
          bare,
          ironSessionPassword(passwords),
          ironWebcrypto.defaults,
        );
        const version = token.split("~")[1];
        if (version === undefined || parseInt(version, 10) !== 2) return { ...inner?.persistent };
        return inner ?? {};
      }
      return r;
    });
  } else {
    const pw = packagePassword(passwords);
    out["iron-webcrypto"] = await attempt(() =>
      ironWebcrypto.unseal(webcrypto, token, pw, ironWebcrypto.defaults),
    );
    out["@hapi/iron"] = await attempt(() => hapiIron.unseal(token, pw, hapiIron.defaults));
  }
  return out;
}

const valid = [];
const invalid = [];

async function addValid(c) {
  const results = await readers(c.token, c.passwords, c.suffix, c.now);
  for (const [pkg, r] of Object.entries(results)) {
    if (!r.ok) throw new Error(`${c.name}: ${pkg} refuses its own token: ${r.error}`);
  }
  const datas = Object.values(results).map((r) => JSON.stringify(r.data));
  if (new Set(datas).size !== 1) throw new Error(`${c.name}: packages disagree`);
  const fields = c.token.split("~")[0].split("*");
  valid.push({
    name: c.name,
    made_by: c.made_by,
    suffix: c.suffix,
    passwords: c.passwords,
    now_ms: c.now,
    token: c.token,
    json: datas[0],
    expires_ms: fields[5] === "" ? null : Number(fields[5]),
    password_id: fields[1],
    key_used: c.key_used ?? "primary",
    read_by: Object.keys(results),
  });
}

async function addInvalid(c) {
  const results = await readers(c.token, c.passwords, c.suffix, c.now);
  const accepted = Object.entries(results)
    .filter(([, r]) => r.ok)
    .map(([p, r]) => ({ package: p, json: JSON.stringify(r.data) }));
  if (c.packages_accept !== accepted.length > 0) {
    throw new Error(
      `${c.name}: expected packages_accept=${c.packages_accept}, got ${JSON.stringify(results)}`,
    );
  }
  invalid.push({
    name: c.name,
    why: c.why,
    suffix: c.suffix,
    passwords: c.passwords,
    now_ms: c.now,
    token: c.token,
    error: c.error,
    packages_accept: accepted.length > 0,
    accepted_by: accepted,
  });
}

// --- sealing with each package ---------------------------------------------------------
async function ironSessionSeal(data, passwords, now, ttl) {
  NOW = now;
  return ironSession.sealData(data, {
    password: ironSessionPassword(passwords),
    ...(ttl === undefined ? {} : { ttl }),
  });
}

async function webcryptoSeal(data, password, now, options = {}) {
  NOW = now;
  return ironWebcrypto.seal(webcrypto, data, password, { ...ironWebcrypto.defaults, ...options });
}

async function hapiSeal(data, password, now, options = {}) {
  NOW = now;
  return hapiIron.seal(data, password, { ...hapiIron.defaults, ...options });
}

async function h3Seal(session, password, now, maxAge) {
  NOW = now;
  const event = { context: { sessions: { h3: session } } };
  return h3.sealSession(event, { password, ...(maxAge ? { maxAge } : {}) });
}

/** Re-MACs a changed macBase string with the real package, as a password holder can. */
async function remac(macBase, password) {
  const mac = await ironWebcrypto.hmacWithPassword(
    webcrypto,
    password,
    { ...ironWebcrypto.defaults.integrity },
    macBase,
  );
  return `${macBase}*${mac.salt}*${mac.digest}`;
}

/** Encrypts raw bytes with the real package and seals them by hand (no JSON). */
async function sealBytes(bytes, password, expiration = "") {
  const { encrypted, key } = await ironWebcrypto.encrypt(
    webcrypto,
    password,
    { ...ironWebcrypto.defaults.encryption },
    bytes,
  );
  const macBase = `Fe26.2**${key.salt}*${ironWebcrypto.base64urlEncode(key.iv)}*${ironWebcrypto.base64urlEncode(encrypted)}*${expiration}`;
  return remac(macBase, password);
}

const S1 = [["1", PW1]];
const ROTATED = [
  ["2", PW2],
  ["1", PW1],
];
const USER = { user: { id: 7, name: "cobra", isLoggedIn: true } };

// iron-session 8 (sealData, what getIronSession's save() writes).
const base = await ironSessionSeal(USER, S1, T0);
await addValid({ name: "iron_session_string_password", made_by: "iron-session", suffix: "iron-session", passwords: S1, now: T0, token: base });
await addValid({ name: "iron_session_read_59999ms_after_expiry", made_by: "iron-session", suffix: "iron-session", passwords: S1, now: T0 + 14 * DAY + 59_999, token: base });
await addValid({
  name: "iron_session_map_seals_with_highest_id",
  made_by: "iron-session",
  suffix: "iron-session",
  passwords: ROTATED,
  now: T0,
  token: await ironSessionSeal(USER, ROTATED, T0),
});
await addValid({ name: "iron_session_old_password_after_rotation", made_by: "iron-session", suffix: "iron-session", passwords: ROTATED, now: T0 + DAY, token: base, key_used: "fallback:0" });
await addValid({
  name: "iron_session_ttl_one_hour",
  made_by: "iron-session",
  suffix: "iron-session",
  passwords: S1,
  now: T0 + 3_600_000,
  token: await ironSessionSeal({ n: 1 }, S1, T0 + 123, 3600),
});
await addValid({
  name: "iron_session_ttl_zero_never_expires",
  made_by: "iron-session",
  suffix: "iron-session",
  passwords: S1,
  now: T0 + 10_000 * DAY,
  token: await ironSessionSeal({ forever: true }, S1, T0, 0),
});
await addValid({
  name: "iron_session_empty_session",
  made_by: "iron-session",
  suffix: "iron-session",
  passwords: S1,
  now: T0,
  token: await ironSessionSeal({}, S1, T0),
});
await addValid({
  name: "iron_session_unicode_and_numbers",
  made_by: "iron-session",
  suffix: "iron-session",
  passwords: S1,
  now: T0,
  token: await ironSessionSeal(
    { name: "Zoë 東京 🦀", esc: "\"\\\n\t\u0000\u007f\u2028", n: [1.5, 1e21, -0, 9007199254740993, 1e-7, -1] },
    S1,
    T0,
  ),
});
await addValid({
  name: "iron_session_exactly_one_block_of_json",
  made_by: "iron-session",
  suffix: "iron-session",
  passwords: S1,
  now: T0,
  token: await ironSessionSeal({ abcdefghij: 1 }, S1, T0), // 16 bytes of JSON
});
await addValid({
  name: "iron_session_large",
  made_by: "iron-session",
  suffix: "iron-session",
  passwords: S1,
  now: T0,
  token: await ironSessionSeal({ items: Array.from({ length: 60 }, (_, i) => ({ sku: `item-${i}`, qty: i })) }, S1, T0),
});

// iron-webcrypto (h3's and iron-session's engine), bare tokens.
const P = [["", PW1]];
await addValid({
  name: "iron_webcrypto_string_password_no_ttl",
  made_by: "iron-webcrypto",
  suffix: "none",
  passwords: P,
  now: T0,
  token: await webcryptoSeal({ a: [1, 2, 3] }, PW1, T0),
});
await addValid({
  name: "iron_webcrypto_password_id",
  made_by: "iron-webcrypto",
  suffix: "none",
  passwords: [["abc_9", PW1]],
  now: T0,
  token: await webcryptoSeal({ b: null }, { id: "abc_9", secret: PW1 }, T0, { ttl: 60_000 }),
});
await addValid({
  name: "iron_webcrypto_default_entry_opens_token_without_id",
  made_by: "iron-webcrypto",
  suffix: "none",
  passwords: [["default", PW1]],
  now: T0,
  token: await webcryptoSeal("just a string", PW1, T0),
});
await addValid({
  name: "iron_webcrypto_scalar",
  made_by: "iron-webcrypto",
  suffix: "none",
  passwords: P,
  now: T0,
  token: await webcryptoSeal(42, PW1, T0, { ttl: 1 }),
});

// @hapi/iron (Node's crypto), bare tokens.
await addValid({
  name: "hapi_string_password",
  made_by: "@hapi/iron",
  suffix: "none",
  passwords: P,
  now: T0,
  token: await hapiSeal({ hapi: "yes", list: [true, false] }, PW1, T0),
});
await addValid({
  name: "hapi_password_id_and_ttl",
  made_by: "@hapi/iron",
  suffix: "none",
  passwords: [["7", PW2], ["6", PW1]],
  now: T0 + 3_600_000 + 59_000,
  token: await hapiSeal({ rotated: 1 }, { id: "7", secret: PW2 }, T0, { ttl: 3_600_000 }),
});
await addValid({
  name: "hapi_old_id_is_a_fallback",
  made_by: "@hapi/iron",
  suffix: "none",
  passwords: [["7", PW2], ["6", PW1]],
  now: T0,
  token: await hapiSeal({ old: 1 }, { id: "6", secret: PW1 }, T0),
  key_used: "fallback:0",
});

// h3 useSession (sealSession: the whole session object).
const h3session = { id: "9a3a1b2c-0d4e-4f60-8a7b-1c2d3e4f5a6b", createdAt: T0, data: { user: "cobra", count: 3 } };
await addValid({
  name: "h3_session_without_max_age",
  made_by: "h3",
  suffix: "none",
  passwords: P,
  now: T0 + 365 * DAY,
  token: await h3Seal(h3session, PW1, T0),
});
await addValid({
  name: "h3_session_max_age",
  made_by: "h3",
  suffix: "none",
  passwords: P,
  now: T0 + 1_000,
  token: await h3Seal(h3session, PW1, T0, 3600),
});

// --- expect-fail: every field of one iron-session token changed, and more --------------
const [sealed] = base.split("~");
const f = sealed.split("*");
const withField = (i, v) => {
  const g = [...f];
  g[i] = v;
  return `${g.join("*")}~2`;
};
const flip = (s, i = 5) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
const flipHex = (s, i = 5) => s.slice(0, i) + (s[i] === "a" ? "b" : "a") + s.slice(i + 1);
const tamper = (name, token, error = "InvalidSignature", why = "changed without the password") => ({
  name,
  why,
  suffix: "iron-session",
  passwords: S1,
  now: T0,
  token,
  error,
  packages_accept: false,
});
for (const c of [
  tamper("prefix_changed", withField(0, "Fe26.1"), "Malformed"),
  tamper("password_id_changed", withField(1, "2")),
  tamper("encryption_salt_changed", withField(2, flipHex(f[2]))),
  tamper("iv_changed", withField(3, flip(f[3]))),
  tamper("ciphertext_changed", withField(4, flip(f[4]))),
  tamper("expiration_changed", withField(5, String(Number(f[5]) + 1))),
  tamper("expiration_removed", withField(5, "")),
  tamper("hmac_salt_changed", withField(6, flipHex(f[6]))),
  tamper("hmac_changed", withField(7, flip(f[7]))),
  tamper("fields_swapped", withField(2, f[6]).replace(`*${f[6]}*${f[7]}~`, `*${f[2]}*${f[7]}~`)),
  tamper("truncated_by_one", `${sealed.slice(0, -1)}~2`, "Malformed"),
  tamper("truncated_to_seven_fields", `${f.slice(0, 7).join("*")}~2`, "Malformed"),
  tamper("truncated_in_half", base.slice(0, base.length >> 1), "Malformed"),
  tamper("nine_fields", `${sealed}*~2`, "Malformed"),
  tamper("empty", "", "Malformed"),
  tamper("uppercase_hex_salt_changed_in_transit", withField(2, f[2].toUpperCase()), "Malformed"),
  tamper("iv_padded", withField(3, `${f[3]}==`), "Malformed"),
  tamper("hmac_of_another_string", withField(7, f[7].split("").reverse().join("")), "InvalidSignature"),
  { ...tamper("wrong_password", base), passwords: [["1", PW2]] },
  { ...tamper("wrong_password_id", base), passwords: [["2", PW1]] },
  { ...tamper("expired", base, "Expired", "read 60 s after its expiration"), now: T0 + 14 * DAY + 60_000 },
  { ...tamper("h3_codec_given_an_iron_session_token", base, "Malformed", "the h3 format has no suffix"), suffix: "none", passwords: P },
]) {
  await addInvalid(c);
}

// The suffix: iron-session reads more than `~2`.
const suffixCase = (name, token, packages_accept, why) => ({
  name,
  why,
  suffix: "iron-session",
  passwords: S1,
  now: T0,
  token,
  error: "Malformed",
  packages_accept,
});
for (const c of [
  suffixCase("suffix_missing", sealed, true, "iron-session reads it as a version 1 cookie: {...data.persistent}"),
  suffixCase("suffix_version_1", `${sealed}~1`, true, "iron-session reads data.persistent"),
  suffixCase("suffix_version_3", `${sealed}~3`, true, "iron-session reads data.persistent"),
  suffixCase("suffix_empty", `${sealed}~`, true, "parseInt('') is NaN: data.persistent"),
  suffixCase("suffix_leading_zero", `${sealed}~02`, true, "parseInt('02') is 2"),
  suffixCase("suffix_trailing_garbage", `${sealed}~2x`, true, "parseInt('2x') is 2"),
  suffixCase("suffix_twice", `${sealed}~2~2`, true, "split('~') keeps the first two parts"),
  suffixCase("suffix_space", `${sealed}~ 2`, true, "parseInt(' 2') is 2"),
]) {
  await addInvalid(c);
}

// Divergences made by a password holder with the packages' own functions.
NOW = T0;
const small = await webcryptoSeal({ k: 1 }, PW1, T0, {
  encryption: { ...ironWebcrypto.defaults.encryption, saltBits: 128 },
  integrity: { ...ironWebcrypto.defaults.integrity, saltBits: 128 },
});
const upper = await webcryptoSeal({ k: 1 }, PW1, T0, {
  encryption: { ...ironWebcrypto.defaults.encryption, salt: "AB".repeat(32) },
});
const bare = (await webcryptoSeal({ k: 1 }, PW1, T0, { ttl: DAY })).split("*");
const macBase = (g) => g.slice(0, 6).join("*");
const nonCanonicalCt = [...bare];
{
  // 16-byte ciphertext: 22 characters, the last holding 4 unused bits.
  const ct = nonCanonicalCt[4];
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  nonCanonicalCt[4] = ct.slice(0, -1) + alphabet[alphabet.indexOf(ct.at(-1)) | 1];
}
const paddedIv = [...bare];
paddedIv[3] = `${paddedIv[3]}==`;
const leadingZero = [...bare];
leadingZero[5] = `0${leadingZero[5]}`;
NOW = T0;
const farFuture = await webcryptoSeal({ k: 1 }, PW1, T0, { ttl: 1, localtimeOffsetMsec: 1e16 });
const withId = await webcryptoSeal({ k: 1 }, { id: "5", secret: PW1 }, T0);
const badPadding = await (async () => {
  const key = await ironWebcrypto.generateKey(webcrypto, PW1, { ...ironWebcrypto.defaults.encryption });
  // A block that ends in 0x00 is not PKCS#7: Node's crypto, padding off, with the
  // key PBKDF2 gives for the salt the package chose.
  const salt = key.salt;
  const derived = nodeCrypto.pbkdf2Sync(PW1, salt, 1, 32, "sha1");
  const iv = key.iv;
  const cipher = nodeCrypto.createCipheriv("aes-256-cbc", derived, iv).setAutoPadding(false);
  const ct = Buffer.concat([cipher.update(Buffer.alloc(16, 0)), cipher.final()]);
  return remac(
    `Fe26.2**${salt}*${ironWebcrypto.base64urlEncode(iv)}*${ironWebcrypto.base64urlEncode(new Uint8Array(ct))}*`,
    PW1,
  );
})();
const divergence = (name, token, error, packages_accept, why, passwords = P) => ({
  name,
  why,
  suffix: "none",
  passwords,
  now: T0,
  token,
  error,
  packages_accept,
});
for (const c of [
  divergence("salts_of_128_bits", small, "Malformed", true, "saltBits: 128 (32 hex digits); the packages use any salt text"),
  divergence("uppercase_hex_salt", upper, "Malformed", true, "a salt given in upper-case hex"),
  divergence("ciphertext_non_canonical_base64", await remac(macBase(nonCanonicalCt), PW1), "Malformed", true, "non-zero unused bits, MAC'd"),
  divergence("iv_with_padding", await remac(macBase(paddedIv), PW1), "Malformed", true, "'==' after the IV, MAC'd"),
  divergence("expiration_leading_zero", await remac(macBase(leadingZero), PW1), "Malformed", true, "'0' before the expiration, MAC'd"),
  divergence("expiration_past_the_time_range", farFuture, "Malformed", true, "localtimeOffsetMsec 1e16: year 318857"),
  divergence("id_ignored_by_a_plain_password", withId, "InvalidSignature", true, "sealed with id 5, read with a plain string password"),
  divergence("plaintext_not_utf8", await sealBytes(new Uint8Array([0x22, 0xff, 0x22]), PW1), "Deserialize", true, "the packages decode it with U+FFFD"),
  divergence("plaintext_lone_surrogate", await webcryptoSeal("\ud800", PW1, T0), "Deserialize", true, "JSON.stringify writes \\ud800"),
  divergence("plaintext_empty", await sealBytes(new Uint8Array([]), PW1), "Deserialize", true, "the packages return null"),
  divergence("bad_padding_after_a_valid_mac", badPadding, "Malformed", false, "PKCS#7 padding wrong; the MAC is valid"),
  divergence("too_large", await webcryptoSeal({ big: "x".repeat(3000) }, PW1, T0), "TooLarge", true, "over 4096 bytes; the packages set no limit on reading"),
]) {
  await addInvalid(c);
}

process.stdout.write(
  `${JSON.stringify(
    {
      description:
        "Iron (Fe26.2) tokens made by iron-session, iron-webcrypto, @hapi/iron and h3, and what the packages accept",
      generator: "tests/interop/make_iron_vectors.mjs",
      packages: versions,
      valid,
      invalid,
    },
    null,
    1,
  )}\n`,
);
