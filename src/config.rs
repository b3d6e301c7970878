//! Configuration from the environment. The variable names are an operator interface fixed in
//! The operator interface (README, Configuration); every error names the variable so a bad value is fixed in one go.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where the data lives, decided by the form of `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An embedded SQLite file (the provincial office's single server).
    Sqlite(PathBuf),
    /// A PostgreSQL server shared by many stateless instances.
    Postgres(String),
}

impl DatabaseUrl {
    pub const DEFAULT: &'static str = "sqlite://data/provincial-kpi.sqlite3";

    /// `postgres://…`/`postgresql://…`, `sqlite://PATH`, or a bare file path.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("must not be empty".into());
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if let Some((scheme, _)) = raw.split_once("://") {
            if scheme != "sqlite" {
                return Err(format!(
                    "unsupported scheme `{scheme}://`: use postgres://…, sqlite://PATH or a file path"
                ));
            }
        }
        let path = raw.strip_prefix("sqlite://").unwrap_or(raw);
        if path.is_empty() || path == ":memory:" {
            // Each pooled connection would get its own empty in-memory database.
            return Err(
                "needs a file path (an in-memory SQLite database is not shared by the pool)".into(),
            );
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    pub fn engine(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// For logs: the URL without a password.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(start), Some(at)) if at > start => {
                    let credentials = &url[start + 3..at];
                    let user = credentials.split(':').next().unwrap_or("");
                    format!("{}{}:***{}", &url[..start + 3], user, &url[at..])
                }
                _ => url.clone(),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// How tokens are checked (and, where a private key or secret is present, issued).
#[derive(Clone)]
pub enum JwtKeys {
    /// HS256 with a shared secret: the service issues and checks its own tokens.
    Hs256 { secret: Vec<u8> },
    /// RS256: tokens from an external identity provider, checked with its public key; the
    /// private key is optional and lets `/auth/token` issue tokens too.
    Rs256 {
        public_pem: Vec<u8>,
        private_pem: Option<Vec<u8>>,
    },
    /// No key configured: only allowed with `serve --demo`, which then makes a random secret.
    Missing,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        match self {
            Self::Hs256 { .. } => f.write_str("Hs256(<secret>)"),
            Self::Rs256 { private_pem, .. } => {
                write!(f, "Rs256(public, private: {})", private_pem.is_some())
            }
            Self::Missing => f.write_str("Missing"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct JwtConfig {
    pub keys: JwtKeys,
    pub issuer: String,
    pub audience: String,
    pub token_lifetime: Duration,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub bind_addr: SocketAddr,
    pub jwt: JwtConfig,
    pub cors_origins: Vec<String>,
    pub max_batch_bytes: usize,
    pub log_format: LogFormat,
    /// Database connections per instance (r2d2). Blocking threads are sized to match.
    pub db_pool_size: u32,
    /// HTTP worker threads (default: one per core).
    pub workers: usize,
}

/// A bad configuration value; the message names the variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

/// Shortest accepted HS256 secret: 32 bytes, the HMAC-SHA256 block of entropy.
pub const MIN_SECRET_BYTES: usize = 32;
pub const DEFAULT_MAX_BATCH_BYTES: usize = 33_554_432;

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads every variable through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let fail = |variable: &'static str, message: String| ConfigError { variable, message };

        let database_url = DatabaseUrl::parse(
            get("DATABASE_URL")
                .as_deref()
                .unwrap_or(DatabaseUrl::DEFAULT),
        )
        .map_err(|m| fail("DATABASE_URL", m))?;

        let bind_addr = get("BIND_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse::<SocketAddr>()
            .map_err(|e| {
                fail(
                    "BIND_ADDR",
                    format!("expected HOST:PORT such as 127.0.0.1:8080 ({e})"),
                )
            })?;

        let read_file = |variable: &'static str| -> Result<Option<Vec<u8>>, ConfigError> {
            get(variable)
                .map(|path| {
                    std::fs::read(&path)
                        .map_err(|e| fail(variable, format!("cannot read {path}: {e}")))
                })
                .transpose()
        };
        let keys = match (get("KPI_JWT_SECRET"), read_file("KPI_JWT_PUBLIC_KEY_FILE")?) {
            (Some(_), Some(_)) => return Err(fail(
                "KPI_JWT_SECRET",
                "set either KPI_JWT_SECRET (HS256) or KPI_JWT_PUBLIC_KEY_FILE (RS256), not both"
                    .into(),
            )),
            (Some(secret), None) => {
                if secret.len() < MIN_SECRET_BYTES {
                    return Err(fail(
                        "KPI_JWT_SECRET",
                        format!(
                            "is {} bytes; use at least {MIN_SECRET_BYTES} random bytes, e.g. `openssl rand -base64 48`",
                            secret.len()
                        ),
                    ));
                }
                JwtKeys::Hs256 {
                    secret: secret.into_bytes(),
                }
            }
            (None, Some(public_pem)) => JwtKeys::Rs256 {
                public_pem,
                private_pem: read_file("KPI_JWT_PRIVATE_KEY_FILE")?,
            },
            (None, None) => {
                if get("KPI_JWT_PRIVATE_KEY_FILE").is_some() {
                    return Err(fail(
                        "KPI_JWT_PUBLIC_KEY_FILE",
                        "is required when KPI_JWT_PRIVATE_KEY_FILE is set".into(),
                    ));
                }
                JwtKeys::Missing
            }
        };
        let token_lifetime_seconds: u64 = parse_number(&get, "KPI_TOKEN_TTL_SECONDS", 900)?;
        if !(60..=86_400).contains(&token_lifetime_seconds) {
            return Err(fail(
                "KPI_TOKEN_TTL_SECONDS",
                "must be between 60 and 86400 seconds".into(),
            ));
        }
        let jwt = JwtConfig {
            keys,
            issuer: get("KPI_JWT_ISSUER").unwrap_or_else(|| "provincial-kpi".into()),
            audience: get("KPI_JWT_AUDIENCE").unwrap_or_else(|| "provincial-kpi".into()),
            token_lifetime: Duration::from_secs(token_lifetime_seconds),
        };

        let cors_origins = get("KPI_CORS_ORIGINS")
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|origin| !origin.is_empty())
                    .map(|origin| {
                        if origin.starts_with("http://") || origin.starts_with("https://") {
                            Ok(origin.trim_end_matches('/').to_owned())
                        } else {
                            Err(fail(
                                "KPI_CORS_ORIGINS",
                                format!(
                                    "`{origin}` is not an origin such as https://kpi.example.go.th"
                                ),
                            ))
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();

        let max_batch_bytes: usize =
            parse_number(&get, "KPI_MAX_BATCH_BYTES", DEFAULT_MAX_BATCH_BYTES)?;
        if max_batch_bytes < 1024 {
            return Err(fail("KPI_MAX_BATCH_BYTES", "must be at least 1024".into()));
        }

        let log_format = match get("KPI_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(fail(
                    "KPI_LOG_FORMAT",
                    format!("`{other}` is not one of: text, json"),
                ))
            }
        };

        let default_pool = match database_url {
            DatabaseUrl::Sqlite(_) => 8,
            DatabaseUrl::Postgres(_) => 10,
        };
        let db_pool_size: u32 = parse_number(&get, "KPI_DB_POOL_SIZE", default_pool)?;
        if !(1..=200).contains(&db_pool_size) {
            return Err(fail("KPI_DB_POOL_SIZE", "must be between 1 and 200".into()));
        }
        let default_workers = std::thread::available_parallelism().map_or(2, usize::from);
        let workers: usize = parse_number(&get, "KPI_WORKERS", default_workers)?;
        if !(1..=64).contains(&workers) {
            return Err(fail("KPI_WORKERS", "must be between 1 and 64".into()));
        }

        Ok(Self {
            database_url,
            bind_addr,
            jwt,
            cors_origins,
            max_batch_bytes,
            log_format,
            db_pool_size,
            workers,
        })
    }
}

fn parse_number<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match get(variable) {
        None => Ok(default),
        Some(raw) => raw.trim().parse().map_err(|_| ConfigError {
            variable,
            message: format!("`{raw}` is not a valid whole number"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let config = config(&[]).expect("defaults are valid");
        assert_eq!(
            config.database_url,
            DatabaseUrl::Sqlite("data/provincial-kpi.sqlite3".into())
        );
        assert_eq!(config.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.max_batch_bytes, 33_554_432);
        assert_eq!(config.log_format, LogFormat::Text);
        assert!(config.cors_origins.is_empty());
        assert!(matches!(config.jwt.keys, JwtKeys::Missing));
        assert_eq!(config.jwt.token_lifetime, Duration::from_secs(900));
    }

    #[test]
    fn database_url_forms() {
        assert_eq!(
            DatabaseUrl::parse("postgres://kpi:pw@db/kpi"),
            Ok(DatabaseUrl::Postgres("postgres://kpi:pw@db/kpi".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/kpi.db"),
            Ok(DatabaseUrl::Sqlite("/var/lib/kpi.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("kpi.db"),
            Ok(DatabaseUrl::Sqlite("kpi.db".into()))
        );
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
        assert_eq!(
            DatabaseUrl::Postgres("postgres://kpi:secret@db:5432/kpi".into()).redacted(),
            "postgres://kpi:***@db:5432/kpi"
        );
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let cases: &[(&str, &str)] = &[
            ("DATABASE_URL", "mysql://db"),
            ("BIND_ADDR", "localhost"),
            ("KPI_MAX_BATCH_BYTES", "lots"),
            ("KPI_LOG_FORMAT", "xml"),
            ("KPI_CORS_ORIGINS", "example.org"),
            ("KPI_JWT_SECRET", "short"),
            ("KPI_JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem"),
            ("KPI_TOKEN_TTL_SECONDS", "5"),
            ("KPI_DB_POOL_SIZE", "0"),
        ];
        for (variable, value) in cases {
            let error = config(&[(variable, value)]).expect_err(variable);
            assert_eq!(error.variable, *variable, "{error}");
            assert!(error.to_string().starts_with(variable));
        }
    }

    #[test]
    fn secret_and_origins_are_read() {
        let secret = "0123456789abcdef0123456789abcdef";
        let config = config(&[
            ("KPI_JWT_SECRET", secret),
            (
                "KPI_CORS_ORIGINS",
                "https://a.example, http://localhost:5173/",
            ),
            ("KPI_LOG_FORMAT", "json"),
        ])
        .expect("valid");
        assert!(matches!(config.jwt.keys, JwtKeys::Hs256 { ref secret } if secret.len() == 32));
        assert_eq!(
            config.cors_origins,
            vec!["https://a.example", "http://localhost:5173"]
        );
        assert_eq!(config.log_format, LogFormat::Json);
    }
}
