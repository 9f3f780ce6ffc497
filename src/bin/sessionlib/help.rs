//! The text of `sessionlib --help`.

/// The whole help, printed by `--help`, `-h`, `help` and `help help`.
pub(crate) const HELP: &str = "\
sessionlib: make, verify and inspect signed session tokens

USAGE:
    sessionlib keygen
    sessionlib encode [--salt S] [--ttl SECONDS | --expires-at UNIX] [--now UNIX]
                      [--compress | --sealed] [KEY OPTIONS]         < data.json
    sessionlib encode --flask [--salt S] [--now UNIX] [--digest sha1|sha256]
                      [KEY OPTIONS]                                 < session.json
    sessionlib encode --django [--salt S] [--now UNIX] [KEY OPTIONS] < session.json
    sessionlib encode --iron [--bare] [--ttl SECONDS] [--now UNIX]
                      [--password-env NAME]                         < data.json
    sessionlib decode [--salt S] [--leeway SECONDS] [--now UNIX] [--meta] [--sealed]
                      [--flask [--max-age SECONDS] [--digest sha1|sha256]]
                      [--django [--max-age SECONDS]]
                      [KEY OPTIONS] [--] TOKEN
    sessionlib decode --iron [--bare] [--leeway SECONDS] [--now UNIX] [--meta]
                      [--password-env NAME] [--] TOKEN
    sessionlib inspect [--] TOKEN
    sessionlib help [COMMAND]
    sessionlib --help | --version

COMMANDS:
    keygen    Print a new random secret (base64url of 64 random bytes), suitable for
              SESSIONLIB_SECRET_KEY. The secret is the printed text itself.
    encode    Read JSON from stdin (any JSON value; sessions are usually objects) and
              print a signed token for it. Object keys are written sorted, as
              compact JSON. With --flask, stdin is a Flask session: a JSON object in
              Flask's tagged JSON ({\" t\": [...]} for a tuple, {\" b\": ...} for
              bytes, ...; plain JSON is fine), and the output is a Flask cookie.
              With --django, the output is a Django session cookie (sessionid).
              With --iron, an Iron token (Fe26.2) as iron-session seals it (with
              --bare: as h3 and @hapi/iron do); the data is encrypted.
    decode    Verify TOKEN (signature, then expiry) and print its data as compact JSON.
              Compressed tokens are accepted and inflated after verification, up to
              64 KiB and a ratio of 256. With --flask, TOKEN is a Flask session
              cookie value, checked for age, and the data is printed as Flask's
              tagged JSON, byte for byte as Flask writes it. Control characters
              (U+0000-U+001F, U+007F-U+009F) in the data are printed as \\uXXXX
              escapes: the output is safe for a terminal and parses to the same
              data (with --flask this differs from Flask's bytes only for DEL,
              which Flask leaves raw). With --django, TOKEN is a Django
              signed-cookie session (or a django.core.signing token with --salt),
              checked for age. With --iron, TOKEN is an Iron token (iron-session's
              cookie, or with --bare h3's or @hapi/iron's), opened with the password
              its id names after its HMAC verified.
    inspect   Decode TOKEN WITHOUT verifying it, for debugging. Every output line is
              marked UNVERIFIED: the payload (pretty JSON; inflated if compressed),
              the timestamp (Unix time and RFC 3339), the signature length, and
              whether the shape is valid (as a native token or a Flask cookie; a
              token with colons is read as a Django token).
              For a sealed token it says so and shows only what the format does
              not encrypt: the version, the expiry and the length of the data; for
              an Iron token (Fe26.2), the password id, the expiration, the length
              of the encrypted data and the suffix.
              Needs no key. Exits 0 for a valid shape, 3 otherwise.
    help      Print this help, or with COMMAND that command's help (exit 0).

    TOKEN may be `-` to read it from stdin (one trailing newline is removed).
    Put -- before a TOKEN that comes from a variable: everything after -- is the
    token, even a value that starts with - (such as --help).

OPTIONS:
    --salt S              The purpose the tokens are for; a token only verifies with
                          the salt it was made with. Default: sessionlib.session
                          (with --flask: cookie-session, Flask's; with --django:
                          django.contrib.sessions.backends.signed_cookies, the
                          session engine's, or any django.core.signing salt).
    --ttl SECONDS         encode: lifetime of the token. Default: 1209600 (14 days).
                          Not with --flask or --django.
    --expires-at UNIX     encode: the expiry as Unix time, instead of --ttl.
                          Not with --flask or --django.
    --compress            encode: zlib-compress the payload when that makes it
                          shorter (as itsdangerous does; the token then starts
                          with a dot). Always on with --flask and --django, as
                          in Flask and Django's session engine.
    --sealed              encode, decode: a sealed token (encrypted and
                          authenticated with XChaCha20-Poly1305; its data cannot be
                          read without the key). Not with --flask, --django or
                          --compress.
    --now UNIX            Use this Unix time as the current time, for reproducible
                          tokens and for checking tokens at another moment. With
                          --flask and --django it is the signing time.
    --leeway SECONDS      decode: accept tokens up to this long after their expiry
                          (clock differences between servers). Default: 0.
                          With --flask: how far past --max-age, or how far in the
                          future, a signing time may be. Default: 30. With
                          --django: how far in the future. Default: 30.
    --meta                decode: print {\"data\": ..., \"expires_at\": UNIX,
                          \"key\": \"primary\" | \"fallback:N\"} instead of the data
                          alone (with --flask and --django, \"signed_at\" instead of
                          \"expires_at\"; with --iron, also \"expires_at_ms\" and
                          \"password_id\", and null expiries for a token without).
    --flask               Use the Flask session cookie profile: HMAC-SHA1, salt
                          cookie-session, the signing time instead of an expiry,
                          zlib compression, Flask's tagged JSON.
    --django              Use the Django profile: django.core.signing tokens as
                          Django's signed_cookies session engine writes them
                          (HMAC-SHA256 with salted_hmac keys, base62 signing time,
                          colons, compression), JSON data.
    --iron                Use the Iron profile: Fe26.2 tokens as iron-session 8
                          (Next.js), h3 (Nuxt) and @hapi/iron seal them
                          (PBKDF2-SHA1, AES-256-CBC, HMAC-SHA256). The password
                          comes from --password-env, not the key options. --ttl
                          (default 1209600, iron-session's; 0: no expiration),
                          and --leeway is the clock skew after the expiration
                          (default 60, the packages' timestampSkewSec).
    --bare                With --iron: tokens without iron-session's ~2 suffix, as
                          h3's useSession and @hapi/iron write them; a plain
                          password then has no id.
    --password-env NAME   With --iron: the variable holding the password, at least
                          32 characters: a plain string (iron-session's id 1; no
                          id with --bare) or iron-session's password map as JSON,
                          {\"2\": \"new\", \"1\": \"old\"}, whose highest id seals.
                          Default: SESSIONLIB_IRON_PASSWORD.
    --max-age SECONDS     decode --flask: the longest accepted cookie age (Flask's
                          PERMANENT_SESSION_LIFETIME). Default: 2678400 (31 days).
                          decode --django: Django's SESSION_COOKIE_AGE (the age is
                          checked exactly, with no leeway). Default: 1209600.
    --digest sha1|sha256  With --flask: the HMAC digest (Flask's
                          SecureCookieSessionInterface.digest_method).
                          Default: sha1.
    -h, --help            Print this help. After a command: that command's help;
                          after decode or inspect it exits 2, not 0, since no token
                          was read (a token that happens to be --help must never
                          look like a success); `sessionlib help decode` exits 0.
    -V, --version         Print the version.

    SECONDS (--ttl, --leeway, --max-age) is a whole number from 0 to 3155760000
    (100 years); UNIX (--now, --expires-at) is a whole number of seconds since
    1970 (negative before), for a time from year -9999 to 9999.

KEY OPTIONS (encode, decode):
    Keys are never given on the command line. The secret is the raw bytes of the
    value (for Flask and Django: the SECRET_KEY, and SECRET_KEY_FALLBACKS as fallback
    keys), and must be at least 32 bytes long; with --flask and --django shorter keys
    are accepted, with a warning, since Flask and Django apps often have them.
    --key-env NAME             Read the signing key from environment variable NAME.
                               Default: SESSIONLIB_SECRET_KEY.
    --key-file PATH            Read the signing key from a file instead of a
                               variable; one trailing newline is dropped.
    --fallback-key-env NAME    An old key that still verifies tokens but signs none
                               (key rotation), from environment variable NAME.
    --fallback-key-file PATH   The same, from a file. Both are repeatable; fallback
                               keys are numbered from 0 in the order given, as in
                               \"fallback:0\" of --meta.

EXIT CODES:
    0  success: decode printed the data of a verified token, inspect the contents
       of a well-shaped token, or the output asked for (keygen, encode, help)
    1  other error: missing or too short key, unreadable input, stdin is not JSON
       (or not a Flask or Django session), the data does not fit in a token, the
       payload is not JSON
    2  usage error (unknown option, missing or bad argument; --help after decode
       or inspect)
    3  malformed token: not a token, wrong shape, too large, or a compressed
       payload that inflates past the limits
    4  invalid signature: changed, forged, another key or another salt
    5  expired, or (--flask, --django) signed in the future; the signature is valid

    Error messages are one line on stderr and never contain the token, a key or
    any other value given on the command line.

EXAMPLES:
    export SESSIONLIB_SECRET_KEY=\"$(sessionlib keygen)\"
    echo '{\"user_id\": 7}' | sessionlib encode --ttl 3600 > token.txt
    sessionlib decode --meta - < token.txt
    sessionlib inspect -- \"$(cat token.txt)\"
    sessionlib decode --flask --meta --key-env FLASK_SECRET_KEY -- \"$COOKIE\"
    sessionlib decode --django --meta --key-env DJANGO_SECRET_KEY -- \"$SESSIONID\"
    sessionlib decode --iron --meta --password-env SECRET_COOKIE_PASSWORD -- \"$COOKIE\"
";
