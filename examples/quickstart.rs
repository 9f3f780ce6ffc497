//! The main job in one run: encode a session, decode it, rotate the key, and watch a
//! tampered token being refused.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use serde::{Deserialize, Serialize};
use sessionlib::{Codec, Error, Key, KeyUsed, Keyring};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Session {
    user_id: u64,
    username: String,
    roles: Vec<String>,
}

fn main() -> Result<(), Error> {
    // A real application reads its key from a secret store or the environment.
    let old_key = Key::generate();
    let codec = Codec::builder(Keyring::new(old_key.clone()))
        .salt("quickstart.session")
        .ttl(time::Duration::hours(2))
        .build();

    let session = Session {
        user_id: 12345,
        username: "cobra".into(),
        roles: vec!["admin".into(), "editor".into()],
    };
    let token = codec.encode(&session)?;
    println!("1. encoded session ({} bytes):\n   {token}\n", token.len());

    let verified = codec.decode::<Session>(&token)?;
    println!(
        "2. decoded: {:?}\n   expires at {}, verified by the {} key\n",
        verified.data, verified.expires_at, verified.key_used
    );

    // Rotation: a new primary key signs, the old one still verifies.
    let rotated = Codec::builder(Keyring::new(Key::generate()).with_fallback(old_key))
        .salt("quickstart.session")
        .ttl(time::Duration::hours(2))
        .build();
    let verified = rotated.decode::<Session>(&token)?;
    assert_eq!(verified.key_used, KeyUsed::Fallback(0));
    let reissued = rotated.encode(&verified.data)?;
    let again = rotated.decode::<Session>(&reissued)?;
    println!(
        "3. after key rotation the old token verifies with {} and is re-issued;\n   \
         the new token verifies with the {} key\n",
        verified.key_used, again.key_used
    );

    // Tampering: change one character of the payload.
    let mut bytes = token.into_bytes();
    if let Some(byte) = bytes.get_mut(3) {
        *byte = if *byte == b'A' { b'B' } else { b'A' };
    }
    let tampered = String::from_utf8(bytes).unwrap_or_default();
    match codec.decode::<Session>(&tampered) {
        Err(e @ Error::InvalidSignature) => println!("4. tampered token refused: {e}"),
        other => {
            eprintln!("4. tampered token was not refused: {other:?}");
            std::process::exit(1);
        }
    }
    Ok(())
}
