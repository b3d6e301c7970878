//! Password hashing with argon2id (the crate's defaults: m = 19 MiB, t = 2, p = 1).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::{Error, FieldError, Result};

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

pub fn check_strength(field: &str, password: &str) -> Option<FieldError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        Some(FieldError::new(
            field,
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ))
    } else if length > MAX_PASSWORD_CHARS {
        Some(FieldError::new(
            field,
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        ))
    } else {
        None
    }
}

pub fn hash(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
}

/// False for a wrong password and for a stored value that is not an argon2 hash.
pub fn verify(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A valid hash of a password nobody knows: verified against when the username does not
/// exist, so a wrong username costs the same time as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("no-such-user-no-such-password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let first = hash("correct horse battery").expect("hash");
        let second = hash("correct horse battery").expect("hash");
        assert_ne!(first, second, "salted");
        assert!(first.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &first));
        assert!(!verify("wrong horse battery", &first));
        assert!(!verify("anything", "not-a-hash"));
    }
}
