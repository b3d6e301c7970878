//! `backup FILE`: a consistent copy of the SQLite database while the server keeps serving
//! (`storage::backup`, `VACUUM INTO`). PostgreSQL is backed up with its own `pg_dump`: the
//! command says how (README, "Backup and restore") rather than running it, so the dump is taken
//! by the client matching the server's version, with the operator's own credentials and
//! options, and no password of `DATABASE_URL` is handed to a child process by us.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use crate::config::{Config, DatabaseUrl};
use crate::storage::backup::sqlite_vacuum_into;
use crate::storage::{ConnectionManager, DbConnection};

/// What `--help` says about the exit status.
pub const EXIT_STATUS: &str = "Exit status: 0 when the copy was written and synced; 1 when \
nothing was written: FILE exists, the database is missing, the copy failed, or DATABASE_URL \
names PostgreSQL (use pg_dump, README \"Backup and restore\"); 2 for a usage error.";

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file to write the copy to (refused if it exists). Restore: stop the server,
    /// put this file in place of the database file, start the server.
    pub file: PathBuf,
}

pub fn run(config: &Config, args: &BackupArgs) -> anyhow::Result<ExitCode> {
    let database = match &config.database_url {
        DatabaseUrl::Sqlite(path) => path,
        DatabaseUrl::Postgres(_) => anyhow::bail!(
            "DATABASE_URL names PostgreSQL: back it up with PostgreSQL's own tools, e.g.\n  \
             pg_dump -Fc -d \"$DATABASE_URL\" -f {}\nand restore with pg_restore \
             (README, \"Backup and restore\"). Nothing was written.",
            args.file.display()
        ),
    };
    // Opening a missing file would create an empty database and back that up.
    if !database.is_file() {
        anyhow::bail!(
            "no database at {} (DATABASE_URL): nothing to back up",
            database.display()
        );
    }
    let mut conn = ConnectionManager::new(config.database_url.clone())
        .establish()
        .with_context(|| format!("opening {}", config.database_url.redacted()))?;
    let DbConnection::Sqlite(conn) = &mut conn else {
        anyhow::bail!("DATABASE_URL names SQLite but the connection is not SQLite");
    };
    let started = Instant::now();
    let bytes = sqlite_vacuum_into(conn, &args.file)?;
    println!(
        "backup of {} written to {}: {} bytes ({:.1} MB) in {:.2} s",
        database.display(),
        args.file.display(),
        bytes,
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
