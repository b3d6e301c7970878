//! A throwaway PostgreSQL cluster for the tests, started from the local server binaries:
//! initdb into a temporary directory, a free port on 127.0.0.1, one cluster per test process,
//! a fresh database per test. A watchdog stops the cluster and removes its directory when the
//! test process ends (statics never drop). No Docker, no system service.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

pub struct PgCluster {
    bin: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

/// Under `CI=true` (or `KPI_REQUIRE_POSTGRES=1`) a missing PostgreSQL fails the run.
pub fn require_postgres() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
        || std::env::var("KPI_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// The shared cluster; None (with one message) when PostgreSQL is missing outside CI.
pub fn cluster() -> Option<&'static PgCluster> {
    static CLUSTER: OnceLock<Result<PgCluster, String>> = OnceLock::new();
    match CLUSTER.get_or_init(start) {
        Ok(cluster) => Some(cluster),
        Err(reason) if require_postgres() => {
            panic!("PostgreSQL is required under CI=true: {reason}")
        }
        Err(reason) => {
            static SAID: OnceLock<()> = OnceLock::new();
            SAID.get_or_init(|| eprintln!("skipping PostgreSQL: {reason}"));
            None
        }
    }
}

fn find_bindir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("KPI_PG_BINDIR") {
        return Some(PathBuf::from(dir));
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        .filter(|dir| dir.join("postgres").exists());
    if from_pg_config.is_some() {
        return from_pg_config;
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

impl PgCluster {
    fn command(&self, program: &str) -> Command {
        run_as(&self.bin, program, self.as_postgres_user)
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn psql(&self, sql: &str) -> Result<(), String> {
        let output = self
            .command("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .args(["-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
            .output()
            .map_err(|e| format!("running psql: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    pub fn create_named_database(&self, name: &str) -> String {
        self.psql(&format!(
            "CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"
        ))
        .unwrap_or_else(|e| panic!("creating database {name}: {e}"));
        self.url(name)
    }

    /// A fresh, uniquely named database, copied from `template` when given.
    pub fn create_database(&self, template: Option<&str>) -> String {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "kpi_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let sql = match template {
            Some(template) => format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""),
            None => format!("CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"),
        };
        // Copying a template fails while another session is connected to it: retry briefly.
        let mut last_error = String::new();
        for _ in 0..50 {
            match self.psql(&sql) {
                Ok(()) => return self.url(&name),
                Err(error) => {
                    last_error = error;
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        panic!("creating database {name}: {last_error}");
    }
}

fn run_as(bin: &Path, program: &str, as_postgres_user: bool) -> Command {
    let path = bin.join(program);
    if as_postgres_user {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(path);
        command
    } else {
        Command::new(path)
    }
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

fn start() -> Result<PgCluster, String> {
    let bin = find_bindir()
        .ok_or("no PostgreSQL server binaries found (install postgresql, or set KPI_PG_BINDIR)")?;
    let as_postgres_user = is_root();
    let dir = std::env::temp_dir().join(format!("kpi-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    if as_postgres_user {
        // initdb refuses to run as root: the cluster belongs to the postgres system user.
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .map_err(|e| format!("chown: {e}"))?;
        if !status.success() {
            return Err("cannot give the cluster directory to the postgres user".into());
        }
    }
    let data = dir.join("data");
    let initdb = run_as(&bin, "initdb", as_postgres_user)
        .arg("-D")
        .arg(&data)
        .args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ])
        .output()
        .map_err(|e| format!("running initdb: {e}"))?;
    if !initdb.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&initdb.stderr)
        ));
    }
    let mut last_error = String::new();
    // A free port can be taken between our probe and the server's bind: try a few.
    for _ in 0..5 {
        let port = free_port()?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=300 -c shared_buffers=64MB",
            dir.display()
        );
        let started = run_as(&bin, "pg_ctl", as_postgres_user)
            .arg("-D")
            .arg(&data)
            .args(["-l"])
            .arg(dir.join("server.log"))
            .args(["-o", &options, "-w", "-t", "60", "start"])
            .stdout(Stdio::null())
            .output()
            .map_err(|e| format!("running pg_ctl: {e}"))?;
        if started.status.success() {
            spawn_watchdog(&bin, &dir, &data, as_postgres_user);
            let cluster = PgCluster {
                bin,
                port,
                as_postgres_user,
            };
            cluster.psql("SELECT 1")?;
            return Ok(cluster);
        }
        last_error = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
    }
    Err(format!("PostgreSQL did not start: {last_error}"))
}

/// Stops the cluster and removes its directory once this test process is gone.
fn spawn_watchdog(bin: &Path, dir: &Path, data: &Path, as_postgres_user: bool) {
    let pg_ctl = bin.join("pg_ctl");
    let stop = if as_postgres_user {
        format!(
            "runuser -u postgres -- '{}' -D '{}' -m immediate stop",
            pg_ctl.display(),
            data.display()
        )
    } else {
        format!(
            "'{}' -D '{}' -m immediate stop",
            pg_ctl.display(),
            data.display()
        )
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        dir = dir.display()
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}
