//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/*`) through the same
//! property functions the fuzz targets call (`fuzz/src/lib.rs` and its modules), so a plain
//! `cargo test` on stable catches a regression without nightly or cargo-fuzz.
//!
//! The seed corpus is written by the ignored test `write_seed_corpus`:
//! `cargo test --all-features --test fuzz_corpus -- --ignored write_seed_corpus`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::{Path, PathBuf};

// Its re-exports are used only by the seed writer, which needs the `flask` feature.
#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code, unused_imports)]
mod properties;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn corpus_files(target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join("corpus").join(target);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus directory {} is missing: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "corpus directory {} is empty",
        dir.display()
    );
    files
}

#[test]
fn every_corpus_file_holds_its_targets_property() {
    let mut replayed = 0;
    for (target, property) in properties::targets() {
        let files = corpus_files(target);
        let Some(property) = property else {
            eprintln!(
                "SKIPPED: corpus of `{target}` needs the `flask` or `django` feature \
                 (run `cargo test --all-features`)"
            );
            continue;
        };
        for file in files {
            let data = fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| property(&data));
            assert!(
                outcome.is_ok(),
                "{target}: property broken by corpus file {}",
                file.display()
            );
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} corpus files");
}

/// Every fuzz target has a corpus and a property, and every corpus a target.
#[test]
fn targets_corpora_and_properties_match() {
    let names = |dir: &str, strip: &str| -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(fuzz_dir().join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|n| n.strip_suffix(strip).map(str::to_string))
            .collect();
        names.sort();
        names
    };
    let mut properties: Vec<String> = properties::targets()
        .into_iter()
        .map(|(name, _)| name.to_string())
        .collect();
    properties.sort();
    let targets = names("fuzz_targets", ".rs");
    let corpora = names("corpus", "");
    assert_eq!(targets, properties, "fuzz targets vs property functions");
    assert_eq!(
        corpora, properties,
        "corpus directories vs property functions"
    );
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for name in &targets {
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] for {name}"
        );
    }
}

/// Writes the named seed corpus. Run it by hand after changing the seeds; the files are
/// committed.
#[test]
#[ignore = "writes fuzz/corpus; run by hand"]
#[cfg(feature = "flask")]
fn write_seed_corpus() {
    seeds::write_all();
}

/// The seeds of `registry_user_agent`: `User-Agent` headers.
#[cfg(feature = "flask")]
const USER_AGENT_SEEDS: [(&str, &str); 6] = [
    (
        "firefox_linux",
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    ),
    (
        "safari_iphone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    ),
    (
        "edge_windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    ),
    ("curl", "curl/8.5.0"),
    ("markup", "<script>alert(1)</script> Linux"),
    ("empty", ""),
];

/// The seeds of `session_matches_eager`: session payloads.
#[cfg(feature = "flask")]
const SESSION_SEEDS: [(&str, &str); 10] = [
    (
        "small_session",
        r#"{"csrf":"3f9a1c2e7b6d4f1a9e8c7b6a5d4c3b2a","roles":["admin","editor"],"theme":"dark","user_id":12345,"username":"cobra","visits":42}"#,
    ),
    (
        "reserved_keys",
        r#"{"_created":1700000000,"_flashes":[["info","hi"]],"_lifetime":60,"_login":1700000000000,"_sid":"abc_-9","_user":"cobra","n":1}"#,
    ),
    ("duplicate_user_keys", r#"{"b":1,"a":2,"b":{"y":1,"x":2}}"#),
    (
        "duplicate_reserved_keys",
        r#"{"_created":"x","_sid":"a b","_created":1700000000,"_sid":"ok"}"#,
    ),
    (
        "not_canonical",
        r#"{ "a" : [1.0, -0, 1e2, "\u00e9\n"], "b":{"z":1,"a":{}}, "c":12345678901234567890 }"#,
    ),
    (
        "escaped_keys",
        r#"{"\u0061":1,"a\"b":"\/","_\u0063reated":5}"#,
    ),
    ("number_out_of_range", r#"{"a":[1e400]}"#),
    ("lone_surrogate", r#"{"a":{"\ud800":1}}"#),
    ("not_an_object", r#"[{"_created":1}]"#),
    ("invalid_flashes", r#"{"_flashes":[["info"]],"n":null}"#),
];

#[cfg(feature = "flask")]
mod seeds {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use miniz_oxide::deflate::{compress_to_vec, compress_to_vec_zlib};
    use properties::*;
    use serde_json::{json, Value};
    use sessionlib::flask::{FlaskCodec, FlaskSession, FlaskValue};
    use sessionlib::signer::Signer;
    use sessionlib::{Codec, Key, Keyring};

    fn write(target: &str, name: &str, data: impl AsRef<[u8]>) {
        let dir = fuzz_dir().join("corpus").join(target);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(name), data).unwrap();
    }

    fn vector(file: &str, name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/vectors/{file}.json"));
        let all: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
        for list in ["valid", "invalid"] {
            for case in all[list].as_array().unwrap() {
                if case["name"] == name {
                    return case["token"].as_str().unwrap().to_string();
                }
            }
        }
        panic!("no vector {name} in {file}.json");
    }

    fn codec(salt: &str, compressed: bool) -> Codec {
        Codec::builder(Keyring::new(Key::from_bytes(&NATIVE_SECRET).unwrap()))
            .salt(salt)
            .compression(compressed)
            .build()
    }

    /// Seeds of `iron_decode`: tokens of the committed Iron vectors (made by the
    /// packages, valid at the fuzz time) and edits of them, and JSON to seal.
    #[cfg(feature = "iron")]
    fn iron_seeds() {
        let t = "iron_decode";
        let session = vector("iron", "iron_session_string_password");
        write(t, "iron_session_valid", &session);
        write(
            t,
            "h3_valid",
            vector("iron", "iron_webcrypto_string_password_no_ttl"),
        );
        write(
            t,
            "hapi_valid_with_id",
            vector("iron", "hapi_password_id_and_ttl"),
        );
        write(t, "suffix_twice", vector("iron", "suffix_twice"));
        write(t, "salts_of_128_bits", vector("iron", "salts_of_128_bits"));
        write(
            t,
            "bad_padding",
            vector("iron", "bad_padding_after_a_valid_mac"),
        );
        write(t, "truncated", &session[..session.len() / 2]);
        write(t, "hmac_changed", vector("iron", "hmac_changed"));
        write(
            t,
            "json_to_seal",
            r#"{"user":{"id":7},"n":[1.5,-0.0,1e300]}"#,
        );
        write(t, "not_utf8", b"Fe26.2*1*\xff\xfe*~2");
    }

    /// Seeds of the sealed targets: valid sealed tokens (of the codec, the cookie, the
    /// fallback key and another salt), their raw bytes, and edits of them.
    #[cfg(feature = "sealed")]
    fn sealed_seeds() {
        use sessionlib::cookies::CookieConfig;
        let key = |s: &[u8]| Key::from_bytes(s).unwrap();
        let sealed =
            |secret: &[u8], salt: &str| Codec::builder(key(secret)).salt(salt).sealed(true).build();
        let session = json!({"user_id": 12345, "username": "cobra", "roles": ["admin"]});
        let primary = sealed(&NATIVE_SECRET, NATIVE_SALT)
            .encode_until(&session, expiry())
            .unwrap();
        let fallback = sealed(&SEALED_FALLBACK_SECRET, NATIVE_SALT)
            .encode_until(&json!([12, "x"]), expiry())
            .unwrap();
        let cookie = CookieConfig::builder(key(&NATIVE_SECRET))
            .name("session")
            .sealed(true)
            .try_build()
            .unwrap()
            .encode_until(&session, expiry())
            .unwrap();
        let expired = sealed(&NATIVE_SECRET, NATIVE_SALT)
            .encode_until(&session, now() - time::Duration::seconds(1))
            .unwrap();
        let other_salt = sealed(&NATIVE_SECRET, "another.salt")
            .encode_until(&session, expiry())
            .unwrap();
        let raw = URL_SAFE_NO_PAD.decode(primary.as_bytes()).unwrap();

        let t = "sealed_decode_never_panics";
        write(t, "valid_primary", &primary);
        write(t, "valid_fallback", &fallback);
        write(t, "valid_cookie", cookie.value());
        write(t, "expired", &expired);
        write(t, "other_salt", &other_salt);
        write(t, "raw_bytes_of_valid", &raw);
        let mut v2 = raw.clone();
        v2[0] = 2;
        write(t, "raw_version_2", &v2);
        write(t, "raw_header_only", &raw[..49]);
        write(t, "padded", format!("{primary}=="));
        write(t, "signed_native_token", vector("native", "small session"));
        write(t, "json_session", session.to_string());
        write(t, "json_deep", deep("[", "]", 200));
        write(t, "not_utf8", [0xff, 0xfe, b'A', 0x80]);
        // A token that is a piece of an error's text (the first campaign's false
        // positive of the "no error shows the token" check).
        write(t, "error_text_as_token", "rmed session token Malfo");

        let t = "sealed_forged_never_opens";
        write(t, "sealed_for_default_salt", &primary);
        write(t, "sealed_with_fallback_key", &fallback);
        write(
            t,
            "sealed_for_forged_salt_other_key",
            sealed(&SEALED_FALLBACK_SECRET, SEALED_FORGED_SALT)
                .encode_until(&session, expiry())
                .unwrap(),
        );
        // Edits of the fixture tokens: pick, shape, mask.
        write(t, "edit_flip_version", [0u8, 0, 1]);
        write(
            t,
            "edit_flip_expiry",
            [1u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80],
        );
        let mut tag_flip = vec![2u8, 0];
        tag_flip.extend(std::iter::repeat_n(0u8, 49 + 700));
        tag_flip.push(1);
        write(t, "edit_flip_late_byte", tag_flip);
        write(t, "edit_truncate_one", [0u8, 6]);
        write(t, "edit_append", [1u8, 1]);
        write(t, "edit_insert", [2u8, 3 + 4 * 20]);
    }

    fn bomb() -> Vec<u8> {
        compress_to_vec_zlib(&vec![b'0'; 1 << 20], 9)
    }

    fn deep(open: &str, close: &str, n: usize) -> String {
        format!("{}{}", open.repeat(n), close.repeat(n))
    }

    pub fn write_all() {
        let _ = fs::remove_dir_all(fuzz_dir().join("corpus"));
        let long = json!({"cart": vec!["widget"; 40], "user_id": 7});

        // decode_never_panics: tokens, signed text, raw payloads, zlib streams.
        let t = "decode_never_panics";
        write(t, "valid_small_session", vector("native", "small session"));
        write(t, "valid_unicode", vector("native", "unicode"));
        write(t, "valid_big_payload", vector("native", "big payload"));
        write(
            t,
            "valid_compressed",
            codec(ZLIB_SALT, true)
                .encode_until(&long, expiry())
                .unwrap(),
        );
        write(t, "padded_signature", vector("native", "signature padded"));
        write(
            t,
            "nine_byte_timestamp",
            vector("native", "signed: nine timestamp bytes"),
        );
        write(
            t,
            "leading_zero_timestamp",
            vector("native", "signed: leading zero timestamp byte"),
        );
        write(t, "unsigned_text", "e30.ZVQNIA");
        write(
            t,
            "typed_session",
            r#"{"user_id":1,"username":"a","roles":["x"],"prefs":{"f":1.5},"plan":{"Trial":{"days":3}}}"#,
        );
        write(
            t,
            "typed_mismatch",
            r#"{"user_id":"7","username":"a","plan":{"Paid":300}}"#,
        );
        write(
            t,
            "duplicate_keys",
            r#"{"user_id":1,"user_id":2,"username":"a"}"#,
        );
        write(
            t,
            "huge_numbers",
            r#"{"user_id":18446744073709551616,"username":"a","prefs":{"x":1e999}}"#,
        );
        write(t, "lone_surrogate", r#"{"user_id":1,"username":"\ud800"}"#);
        write(t, "deep_nesting", deep("[", "]", 4000));
        write(t, "compressed_bomb", bomb());
        write(
            t,
            "two_zlib_streams",
            [
                compress_to_vec_zlib(b"{}", 6),
                compress_to_vec_zlib(b"{}", 6),
            ]
            .concat(),
        );
        write(
            t,
            "raw_deflate",
            compress_to_vec(br#"{"user_id":1,"username":"a"}"#, 6),
        );
        write(t, "not_utf8", [0xff, 0xfe, b'.', 0xc3, b'.', 0x80]);

        // forged_never_verifies: the key's own tokens and other spellings of them.
        let t = "forged_never_verifies";
        let plain = codec(FORGED_PLAIN_SALT, false);
        let zlib = codec(FORGED_ZLIB_SALT, true);
        let small = json!({"user_id": 12345, "username": "cobra"});
        let own = plain.encode_until(&small, expiry()).unwrap();
        write(t, "valid_small_session", &own);
        write(
            t,
            "valid_unicode",
            plain
                .encode_until(&json!({"name": "Zoë 東京 🦀", "n": -1.5e-7}), expiry())
                .unwrap(),
        );
        write(
            t,
            "valid_compressed",
            zlib.encode_until(&long, expiry()).unwrap(),
        );
        write(t, "padded_payload", own.replacen('.', "=.", 1));
        write(t, "compression_marker_on_plain", format!(".{own}"));
        write(t, "other_salt_vector", vector("native", "small session"));

        // roundtrip: bytes read by `arbitrary` into a JSON value.
        let t = "roundtrip";
        write(
            t,
            "seed_ascii",
            b"a JSON value built from these bytes by arbitrary\x07\x06\x05",
        );
        write(t, "seed_binary", (0u8..=255).collect::<Vec<u8>>());
        write(t, "deep_nesting", [6u8, 1].repeat(200));
        write(t, "objects", [7u8, 3, 1, b'k', 5, 2, b'v', b'w'].repeat(20));

        // tamper: token index, then (op, position, operand) edits.
        let t = "tamper";
        write(t, "unchanged_small_session", [0u8]);
        write(t, "flip_one_byte", [0u8, 0, 0, 5, 1]);
        write(t, "insert_dot", [1u8, 1, 0, 0, b'.']);
        write(t, "truncate_compressed", [2u8, 4, 0, 40, 0]);
        write(t, "append_padding", [0u8, 5, 0, 0, b'=', 5, 0, 0, b'=']);
        write(t, "drop_compression_marker", [2u8, 2, 0, 0, 0]);

        // cookie_header: Cookie header values; the target also plants a valid session
        // cookie between the two halves of each input.
        let t = "cookie_header";
        let valid = planted_cookie_value();
        write(t, "valid_session_cookie", format!("session={valid}"));
        write(
            t,
            "valid_among_others",
            format!("theme=dark; session={valid}; lang=en"),
        );
        write(t, "isolated_halves", "a=1;;b=2");
        write(
            t,
            "same_cookie_twice",
            format!("session={valid}; session={valid}"),
        );
        write(t, "nine_same_name", "session=x;".repeat(9));
        write(t, "quoted_value", format!("session=\"{valid}\""));
        write(t, "tabs_and_spaces", format!(" \tsession \t= {valid}\t ;"));
        write(
            t,
            "no_equals_and_empty_names",
            "session; =x; ==; ;;; session",
        );
        write(t, "upper_case_name", format!("SESSION={valid}"));
        write(
            t,
            "flask_cookie",
            format!("session={}", vector("flask", "plain")),
        );
        write(
            t,
            "not_utf8",
            [b's', b'=', 0xff, b';', b' ', 0xc3, b'=', b'='],
        );

        // flask_decode: Flask cookies, signed text, raw and compressed payloads.
        let t = "flask_decode";
        write(t, "valid_plain", vector("flask", "plain"));
        write(t, "valid_compressed", vector("flask", "compressed"));
        write(t, "valid_flashes", vector("flask", "flashes"));
        write(t, "valid_tag_like_keys", vector("flask", "tag-like keys"));
        write(t, "compressed_bomb", bomb());
        write(t, "signed_zlib_bomb", vector("flask", "signed: zlib bomb"));
        write(
            t,
            "two_zlib_streams",
            vector("flask", "signed: two zlib streams"),
        );
        write(t, "nan", vector("flask", "signed: NaN"));
        write(
            t,
            "deep_nesting",
            format!("{{\"a\":{}}}", deep("{\" t\":[", "]}", 60)),
        );
        write(
            t,
            "tagged_values",
            r#"{"b":{" b":"AAECAw=="},"d":{" d":"Wed, 21 Oct 2015 07:28:00 GMT"},"di":{" di":{" t__":[1]}},"u":{" u":"12345678123456781234567812345678"}}"#,
        );
        let mut session = FlaskSession::new();
        session.insert("items".into(), FlaskValue::List(vec!["widget".into(); 50]));
        let flask = FlaskCodec::new(sessionlib::flask::flask_keyring(FLASK_SECRET, &[]).unwrap());
        write(
            t,
            "own_compressed",
            flask.encode_at(&session, now()).unwrap(),
        );
        write(
            t,
            "deep_tags_compressed",
            compress_to_vec_zlib(
                format!("{{\"a\":{}}}", deep("{\" di\":{\" t__\":", "}}", 40)).as_bytes(),
                6,
            ),
        );

        // tagged_json: Flask's tagged JSON text.
        let t = "tagged_json";
        write(
            t,
            "every_tag",
            r#"{"_flashes":[{" t":["message","Logged in"]}],"b":{" b":"AAECAw=="},"d":{" d":"Wed, 21 Oct 2015 07:28:00 GMT"},"m":{" m":"<b>hi</b>"},"u":{" u":"12345678123456781234567812345678"}}"#,
        );
        write(t, "dict_with_tag_key", r#"{"x":{" di":{" t__":[1,2]}}}"#);
        write(
            t,
            "deep_tuples_at_limit",
            format!("{{\"a\":{}}}", deep("{\" t\":[", "]}", 50)),
        );
        write(
            t,
            "deep_lists_over_limit",
            format!("{{\"a\":{}}}", deep("[", "]", 101)),
        );
        write(t, "deep_nesting", deep("[", "]", 4000));
        write(
            t,
            "numbers",
            r#"{"a":-0,"b":1e400,"c":18446744073709551616,"d":-9223372036854775809,"e":1.5e-7,"f":1e16}"#,
        );
        write(t, "lone_surrogate", r#"{"a":"\udc00\ud800"}"#);
        write(t, "duplicate_keys", r#"{"a":{" t":[1]},"a":{" b":"AA=="}}"#);
        write(
            t,
            "bad_tags",
            r#"{"a":{" t":"ab"},"b":{" u":"1234"},"c":{" d":"2015-10-21"}}"#,
        );
        write(t, "not_utf8", [b'{', b'"', 0xff, b'"', b':', b'1', b'}']);

        // django_decode: Django tokens, signed text, raw and compressed payloads.
        #[cfg(feature = "django")]
        {
            let t = "django_decode";
            write(t, "valid_plain", vector("django", "plain"));
            write(t, "valid_compressed", vector("django", "compressed"));
            write(t, "valid_messages", vector("django", "messages"));
            write(t, "valid_auth_login", vector("django", "auth login"));
            write(t, "signed_zlib_bomb", vector("django", "signed: zlib bomb"));
            write(
                t,
                "colon_inside_payload",
                vector("django", "signed: colon inside the payload"),
            );
            write(
                t,
                "leading_zero_timestamp",
                vector("django", "signed: timestamp with a leading zero"),
            );
            write(
                t,
                "timestamp_beyond_64_bits",
                vector("django", "signed: timestamp beyond 64 bits"),
            );
            write(t, "unsigned_text", format!("e30:{}", django_timestamp()));
            write(t, "writer_spelling", r#"{"cart":["apple"],"user":"cobra"}"#);
            // A raw DEL is read, but written back escaped as Python writes it.
            write(t, "raw_del_in_string", "{\"user\":\"co\u{7f}bra\"}");
            write(t, "raw_utf8_json", r#"{"name":"Zoë"}"#);
            write(t, "nan_and_surrogate", r#"{"n":NaN,"s":"\ud800"}"#);
            write(t, "compressed_bomb", bomb());
            write(t, "deep_nesting", deep("[", "]", 4000));
            let codec =
                sessionlib::django::DjangoCodec::from_django_settings(DJANGO_SECRET, &[]).unwrap();
            write(
                t,
                "own_compressed",
                codec
                    .encode_at(&json!({"items": vec!["widget"; 50]}), now())
                    .unwrap(),
            );
        }
        #[cfg(feature = "sealed")]
        sealed_seeds();
        #[cfg(feature = "iron")]
        iron_seeds();

        // session_matches_eager: session payloads (a valid `_created` is added to
        // every object that does not start with one).
        let t = "session_matches_eager";
        for (name, payload) in SESSION_SEEDS {
            write(t, name, payload);
        }

        // registry_user_agent: User-Agent headers, known and not, and invalid UTF-8.
        let t = "registry_user_agent";
        for (name, header) in USER_AGENT_SEEDS {
            write(t, name, header);
        }
        write(
            t,
            "invalid_utf8",
            b"Mozilla/5.0 (\xff\xfe Linux) Firefox/\xc3",
        );

        // chunked_cookie_header: the input is both a header and the instructions that
        // build one from the planted chunks (see fuzz/src/chunks.rs).
        let t = "chunked_cookie_header";
        let a = planted_chunked_header(0);
        let b = planted_chunked_header(1);
        write(t, "planted_session", &a);
        write(t, "planted_second_generation", &b);
        write(
            t,
            "planted_with_others",
            format!("theme=dark; {a}; lang=en"),
        );
        let (a0, a_rest) = a.split_once("; ").unwrap();
        let (b0, b_rest) = b.split_once("; ").unwrap();
        write(t, "mixed_generations", format!("{a0}; {b_rest}"));
        write(t, "missing_first_chunk", a_rest);
        write(t, "duplicated_chunk", format!("{a}; {b0}"));
        write(t, "extra_chunk", format!("{a}; session.3=abc"));
        // Instructions: three planted chunks of generation 0 under their own names
        // (bytes: count, then per item name, generation, chunk, kind).
        write(
            t,
            "build_three_chunks",
            [3u8, 0, 0, 0, 0, 1, 0, 1, 0, 2, 0, 2, 0, 0],
        );
        write(
            t,
            "build_reordered",
            [3u8, 0, 0, 0, 0, 2, 0, 1, 0, 1, 0, 2, 0, 0],
        );
        write(
            t,
            "build_recounted_head",
            [3u8, 0, 0, 0, 4, 3, 1, 0, 1, 0, 2, 0, 2, 0, 0],
        );

        // Keep the signer and base64 imports honest: a token signed by hand.
        let signer: Signer = Signer::new(
            &Keyring::new(Key::from_bytes(&NATIVE_SECRET).unwrap()),
            NATIVE_SALT.as_bytes(),
        );
        let text = format!("{}.{}", URL_SAFE_NO_PAD.encode(b"[]"), "ZVQNIA");
        let sig = URL_SAFE_NO_PAD.encode(signer.sign(text.as_bytes()).as_bytes());
        write(
            "decode_never_panics",
            "signed_array",
            format!("{text}.{sig}"),
        );
    }
}
