//! JWT issue and verification. The algorithm is pinned by configuration (HS256 with a secret,
//! or RS256 with a public key), so `alg: none` and HS/RS confusion are refused.

use std::collections::HashSet;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::{JwtConfig, JwtKeys};
use crate::error::{Error, Result};

/// Seconds of clock difference tolerated between the issuer and this service.
pub const LEEWAY_SECONDS: u64 = 30;

/// The claims this service reads. `iss` and `aud` are checked by the validator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub role: String,
    /// The organization's code; absent for national accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Serialize)]
struct IssuedClaims<'a> {
    sub: &'a str,
    name: &'a str,
    role: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    org: Option<&'a str>,
    iat: i64,
    nbf: i64,
    exp: i64,
    iss: &'a str,
    aud: &'a str,
}

pub struct TokenService {
    algorithm: Algorithm,
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    lifetime: Duration,
}

impl TokenService {
    /// `JwtKeys::Missing` must have been replaced (by `serve --demo`) before this is called.
    pub fn new(config: &JwtConfig) -> anyhow::Result<Self> {
        let (algorithm, encoding, decoding) = match &config.keys {
            JwtKeys::Hs256 { secret } => (
                Algorithm::HS256,
                Some(EncodingKey::from_secret(secret)),
                DecodingKey::from_secret(secret),
            ),
            JwtKeys::Rs256 {
                public_pem,
                private_pem,
            } => (
                Algorithm::RS256,
                private_pem
                    .as_deref()
                    .map(EncodingKey::from_rsa_pem)
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("KPI_JWT_PRIVATE_KEY_FILE: not an RSA private key in PEM: {e}"))?,
                DecodingKey::from_rsa_pem(public_pem).map_err(|e| {
                    anyhow::anyhow!("KPI_JWT_PUBLIC_KEY_FILE: not an RSA public key in PEM: {e}")
                })?,
            ),
            JwtKeys::Missing => anyhow::bail!(
                "no token signing key: set KPI_JWT_SECRET to at least 32 random bytes (e.g. `export KPI_JWT_SECRET=$(openssl rand -base64 48)`), or KPI_JWT_PUBLIC_KEY_FILE for RS256"
            ),
        };
        let mut validation = Validation::new(algorithm);
        validation.algorithms = vec![algorithm];
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.required_spec_claims = ["exp", "iss", "aud", "sub"]
            .into_iter()
            .map(String::from)
            .collect::<HashSet<_>>();
        Ok(Self {
            algorithm,
            encoding,
            decoding,
            validation,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            lifetime: config.token_lifetime,
        })
    }

    pub fn can_issue(&self) -> bool {
        self.encoding.is_some()
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Signs a token for a local account.
    pub fn issue(&self, sub: &str, name: &str, role: &str, org: Option<&str>) -> Result<String> {
        self.issue_from(sub, name, role, org, i64::MIN)
    }

    /// Signs a token whose `iat` (and `nbf`) is now, or `earliest_iat` when that is later (by
    /// under a second: the second after the account's last credential change, which tokens
    /// must postdate). `nbf` a fraction of a second ahead is within the validation leeway.
    pub fn issue_from(
        &self,
        sub: &str,
        name: &str,
        role: &str,
        org: Option<&str>,
        earliest_iat: i64,
    ) -> Result<String> {
        let encoding = self.encoding.as_ref().ok_or_else(|| {
            Error::Unavailable(
                "this instance checks tokens from an identity provider and issues none (no KPI_JWT_PRIVATE_KEY_FILE)".into(),
            )
        })?;
        let now = chrono::Utc::now().timestamp().max(earliest_iat);
        let claims = IssuedClaims {
            sub,
            name,
            role,
            org,
            iat: now,
            nbf: now,
            exp: now + self.lifetime.as_secs() as i64,
            iss: &self.issuer,
            aud: &self.audience,
        };
        jsonwebtoken::encode(&Header::new(self.algorithm), &claims, encoding)
            .map_err(|e| Error::Internal(format!("signing a token: {e}")))
    }

    /// Checks signature, algorithm, `exp`, `nbf`, `iss`, `aud` and the required claims.
    pub fn verify(&self, token: &str) -> Result<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let reason = match e.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired".to_owned(),
                    ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".to_owned(),
                    ErrorKind::InvalidIssuer => "the token's issuer is not accepted".to_owned(),
                    ErrorKind::InvalidAudience => "the token's audience is not accepted".to_owned(),
                    ErrorKind::InvalidSignature => {
                        "the token's signature does not verify".to_owned()
                    }
                    ErrorKind::InvalidAlgorithm => {
                        "the token's algorithm is not accepted".to_owned()
                    }
                    ErrorKind::MissingRequiredClaim(claim) => {
                        format!("the token lacks the required claim `{claim}`")
                    }
                    _ => "the token is malformed".to_owned(),
                };
                Error::Unauthorized(reason)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(secret: &str) -> TokenService {
        TokenService::new(&JwtConfig {
            keys: JwtKeys::Hs256 {
                secret: secret.as_bytes().to_vec(),
            },
            issuer: "provincial-kpi".into(),
            audience: "provincial-kpi".into(),
            token_lifetime: Duration::from_secs(900),
        })
        .expect("valid config")
    }

    /// jsonwebtoken compiles without a crypto backend and panics at first use: this test
    /// signs and verifies, so a missing backend fails here.
    #[test]
    fn signs_and_verifies() {
        let tokens = service("0123456789abcdef0123456789abcdef");
        let token = tokens
            .issue("somchai", "สมชาย ใจดี", "agency_officer", Some("YST-PEO"))
            .expect("issued");
        let claims = tokens.verify(&token).expect("verified");
        assert_eq!(claims.sub, "somchai");
        assert_eq!(claims.org.as_deref(), Some("YST-PEO"));
        assert_eq!(claims.name.as_deref(), Some("สมชาย ใจดี"));
    }

    const TEST_PRIVATE: &[u8] = include_bytes!("../../tests/fixtures/jwt-test-rsa-private.pem");
    const TEST_PUBLIC: &[u8] = include_bytes!("../../tests/fixtures/jwt-test-rsa-public.pem");
    const OTHER_PRIVATE: &[u8] =
        include_bytes!("../../tests/fixtures/jwt-test-other-rsa-private.pem");

    fn rs256(private: Option<&[u8]>) -> TokenService {
        TokenService::new(&JwtConfig {
            keys: JwtKeys::Rs256 {
                public_pem: TEST_PUBLIC.to_vec(),
                private_pem: private.map(<[u8]>::to_vec),
            },
            issuer: "provincial-kpi".into(),
            audience: "provincial-kpi".into(),
            token_lifetime: Duration::from_secs(900),
        })
        .expect("valid RS256 config")
    }

    #[test]
    fn rs256_tokens_of_an_identity_provider() {
        let issuing = rs256(Some(TEST_PRIVATE));
        let token = issuing
            .issue("idp-user", "ผู้ใช้", "viewer", Some("TH-35"))
            .expect("issued");
        assert_eq!(
            jsonwebtoken::decode_header(&token).expect("header").alg,
            Algorithm::RS256
        );
        let checking_only = rs256(None);
        assert!(!checking_only.can_issue());
        assert_eq!(
            checking_only.verify(&token).expect("verified").sub,
            "idp-user"
        );
        assert!(matches!(
            checking_only.issue("a", "a", "viewer", None),
            Err(Error::Unavailable(_))
        ));
        // Signed by another key pair: refused.
        let other = TokenService::new(&JwtConfig {
            keys: JwtKeys::Rs256 {
                public_pem: TEST_PUBLIC.to_vec(),
                private_pem: Some(OTHER_PRIVATE.to_vec()),
            },
            issuer: "provincial-kpi".into(),
            audience: "provincial-kpi".into(),
            token_lifetime: Duration::from_secs(900),
        })
        .expect("config");
        let forged = other.issue("idp-user", "x", "admin", None).expect("signed");
        assert!(matches!(
            checking_only.verify(&forged),
            Err(Error::Unauthorized(_))
        ));
    }

    #[test]
    fn hs256_token_keyed_with_the_public_key_is_refused_by_rs256() {
        // The classic confusion: HMAC "signed" with the RSA public key as the secret.
        let now = chrono::Utc::now().timestamp();
        let claims = serde_json::json!({"sub": "x", "role": "admin", "iat": now, "exp": now + 600, "iss": "provincial-kpi", "aud": "provincial-kpi"});
        let confused = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(TEST_PUBLIC),
        )
        .expect("signed");
        assert!(matches!(
            rs256(None).verify(&confused),
            Err(Error::Unauthorized(_))
        ));
    }

    #[test]
    fn another_key_or_an_edit_is_refused() {
        let token = service("0123456789abcdef0123456789abcdef")
            .issue("a", "a", "admin", None)
            .expect("issued");
        assert!(matches!(
            service("fedcba9876543210fedcba9876543210").verify(&token),
            Err(Error::Unauthorized(_))
        ));
        let mut edited = token.clone();
        edited.insert(edited.len() - 3, 'x');
        assert!(service("0123456789abcdef0123456789abcdef")
            .verify(&edited)
            .is_err());
        assert!(service("0123456789abcdef0123456789abcdef")
            .verify("garbage")
            .is_err());
    }
}
