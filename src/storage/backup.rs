//! A consistent copy of a SQLite database while the service keeps serving (`backup` command).
//!
//! `VACUUM INTO` reads the database in one read transaction: in WAL mode that is one snapshot
//! that writers do not wait for, so the copy holds exactly the transactions committed before it
//! began — every acknowledged write up to that instant, and no half of a later one. SQLite does
//! not fsync what `VACUUM INTO` writes, so the file (and its directory) are synced here before
//! the copy is called done. PostgreSQL is backed up by its own tools (README, "Backup and
//! restore"): `pg_dump` takes the same kind of snapshot.

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::path::Path;

use diesel::sql_types::Text;
use diesel::RunQueryDsl;
use diesel::SqliteConnection;

/// Why a backup was not written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists: a backup never overwrites a file (choose a new name)")]
    Exists(String),
    #[error("cannot create {path}: {source}")]
    Create {
        path: String,
        source: std::io::Error,
    },
    #[error("the backup path {0} is not valid UTF-8, which SQLite's VACUUM INTO needs")]
    NotUtf8(String),
    #[error("VACUUM INTO {path} failed: {message}")]
    Vacuum { path: String, message: String },
    #[error("syncing {path} to disk failed: {source}")]
    Sync {
        path: String,
        source: std::io::Error,
    },
}

/// Copies the database `conn` is open on into `target`, a file that must not exist. The file is
/// created first (`create_new`: an existing one is refused without being touched), filled by
/// `VACUUM INTO` (which accepts an empty file), then synced. On any failure after the file was
/// created, it is removed: a failed backup leaves nothing behind. Returns the copy's size in
/// bytes. `conn` must not be inside a transaction (`VACUUM` cannot run in one).
pub fn sqlite_vacuum_into(conn: &mut SqliteConnection, target: &Path) -> Result<u64, BackupError> {
    let shown = target.display().to_string();
    let path = target
        .to_str()
        .ok_or_else(|| BackupError::NotUtf8(shown.clone()))?;
    match OpenOptions::new().write(true).create_new(true).open(target) {
        Ok(file) => drop(file),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => return Err(BackupError::Exists(shown)),
        Err(source) => {
            return Err(BackupError::Create {
                path: shown,
                source,
            })
        }
    }
    let written = diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(path)
        .execute(conn)
        .map_err(|e| BackupError::Vacuum {
            path: shown.clone(),
            message: e.to_string(),
        })
        .and_then(|_| {
            sync(target).map_err(|source| BackupError::Sync {
                path: shown.clone(),
                source,
            })
        });
    match written {
        Ok(size) => Ok(size),
        Err(error) => {
            let _ = std::fs::remove_file(target);
            Err(error)
        }
    }
}

/// fsync of the file and of the directory that names it; returns the file's size.
fn sync(target: &Path) -> std::io::Result<u64> {
    let file = File::open(target)?;
    file.sync_all()?;
    let size = file.metadata()?.len();
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(dir)?.sync_all()?;
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::connection::SimpleConnection;
    use diesel::Connection;

    fn database(dir: &Path) -> SqliteConnection {
        let mut conn = SqliteConnection::establish(&dir.join("source.sqlite3").to_string_lossy())
            .expect("test step");
        conn.batch_execute(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('ยโสธร');",
        )
        .expect("test step");
        conn
    }

    #[test]
    fn copies_the_committed_rows_into_a_new_file() {
        let dir = tempfile::tempdir().expect("test step");
        let mut conn = database(dir.path());
        let target = dir.path().join("copy.sqlite3");
        let size = sqlite_vacuum_into(&mut conn, &target).expect("test step");
        assert_eq!(size, std::fs::metadata(&target).expect("test step").len());
        let mut copy = SqliteConnection::establish(&target.to_string_lossy()).expect("test step");
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            v: String,
        }
        let rows: Vec<Row> = diesel::sql_query("SELECT v FROM t")
            .load(&mut copy)
            .expect("test step");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].v, "ยโสธร");
    }

    #[test]
    fn refuses_an_existing_file_and_leaves_it_alone() {
        let dir = tempfile::tempdir().expect("test step");
        let mut conn = database(dir.path());
        let target = dir.path().join("taken");
        std::fs::write(&target, b"keep me").expect("test step");
        let error = sqlite_vacuum_into(&mut conn, &target).expect_err("refused");
        assert!(matches!(error, BackupError::Exists(_)), "{error}");
        assert_eq!(std::fs::read(&target).expect("test step"), b"keep me");
    }

    #[test]
    fn a_failed_copy_leaves_no_file() {
        let dir = tempfile::tempdir().expect("test step");
        let mut conn = database(dir.path());
        conn.batch_execute("BEGIN").expect("test step"); // VACUUM cannot run inside a transaction
        let target = dir.path().join("copy.sqlite3");
        let error = sqlite_vacuum_into(&mut conn, &target).expect_err("refused");
        assert!(matches!(error, BackupError::Vacuum { .. }), "{error}");
        assert!(!target.exists());
    }
}
