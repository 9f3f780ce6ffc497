//! `sessionlib keygen`: a new random secret.

use sessionlib::Key;
use zeroize::Zeroizing;

use crate::{print, Failure, Outcome};

/// Prints base64url of [`Key::GENERATED_LEN`] random bytes; the printed text itself is
/// the secret.
pub(crate) fn run() -> Outcome<u8> {
    let key = Key::try_generate().map_err(|e| Failure::other(e.to_string()))?;
    let mut line = Zeroizing::new(base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        key.expose_secret(),
    ));
    line.push('\n');
    print(&line)?;
    Ok(0)
}
