//! A throwaway PostgreSQL server for tests, from the binaries the system's `postgresql`
//! package installs (`/usr/lib/postgresql/<version>/bin`, or `STORYDESK_PG_BIN`).
//!
//! [`TestPostgres::start`] runs `initdb` into a new directory under the system's temporary
//! folder and starts `postgres` on a free loopback port, with `fsync=off` (a test's data
//! need not survive a power cut). Dropping it stops the server (`pg_ctl stop -m immediate`)
//! and removes the directory. As root, `initdb` refuses to run, so the server runs as the
//! `postgres` user through `runuser`.
//!
//! When no binaries are found, `start` returns `Ok(None)` after saying so loudly on stderr,
//! unless `STORYDESK_REQUIRE_POSTGRES=1` (as CI sets), where it is an error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// A PostgreSQL server that lives as long as this value.
#[derive(Debug)]
pub struct TestPostgres {
    /// The server's binaries.
    bin: PathBuf,
    /// The directory holding the cluster, the socket and the log.
    root: PathBuf,
    /// The port it listens on, on 127.0.0.1.
    port: u16,
    /// Commands run as the `postgres` user (this process is root).
    as_postgres: bool,
    /// Databases handed out so far (for unique names).
    databases: AtomicU32,
}

/// The directory of `initdb`, `pg_ctl` and `createdb`, if the system has them.
fn find_bin() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("STORYDESK_PG_BIN") {
        let dir = PathBuf::from(dir);
        return dir.join("initdb").exists().then_some(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// True when this process runs as root.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A free port on 127.0.0.1 (free when asked; the server binds it a moment later).
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl TestPostgres {
    /// Starts a server; `Ok(None)` when the system has no PostgreSQL binaries and they are
    /// not required.
    pub fn start() -> Result<Option<TestPostgres>, String> {
        TestPostgres::start_with(false)
    }

    /// Starts a server that makes each commit durable before it answers (PostgreSQL's
    /// defaults: `fsync`, `synchronous_commit`), for measuring; `start` turns both off.
    pub fn start_durable() -> Result<Option<TestPostgres>, String> {
        TestPostgres::start_with(true)
    }

    fn start_with(durable: bool) -> Result<Option<TestPostgres>, String> {
        let Some(bin) = find_bin() else {
            if std::env::var("STORYDESK_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                return Err(
                    "STORYDESK_REQUIRE_POSTGRES=1 but no PostgreSQL binaries were found \
                     (install the `postgresql` package, or set STORYDESK_PG_BIN)"
                        .into(),
                );
            }
            eprintln!(
                "==== SKIPPED: the PostgreSQL tests: no PostgreSQL binaries under \
                 /usr/lib/postgresql (install `postgresql`, or set STORYDESK_PG_BIN) ===="
            );
            return Ok(None);
        };
        static STARTED: AtomicU32 = AtomicU32::new(0);
        let root = std::env::temp_dir().join(format!(
            "storydesk-pg-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).map_err(|e| format!("creating {}: {e}", root.display()))?;
        let as_postgres = is_root();
        let server = TestPostgres {
            bin,
            root,
            port: 0,
            as_postgres,
            databases: AtomicU32::new(0),
        };
        if as_postgres {
            server.check(
                Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(&server.root)
                    .output(),
                "chown",
            )?;
        }
        let data = server.root.join("data");
        server.check(
            server
                .command("initdb")
                .arg("-D")
                .arg(&data)
                .args(["-U", "storydesk", "--auth=trust", "-E", "UTF8", "--no-sync"])
                .output(),
            "initdb",
        )?;
        let mut server = server;
        let mut last = String::new();
        // A port found free may be taken before the server binds it: try a few.
        for _ in 0..5 {
            server.port = free_port().map_err(|e| format!("finding a free port: {e}"))?;
            let speed = if durable {
                ""
            } else {
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            };
            let options = format!(
                "{speed}-c listen_addresses=127.0.0.1 -p {} -k {} -c max_connections=200",
                server.port,
                server.root.display()
            );
            let started = server
                .command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(server.root.join("log"))
                .args(["-w", "-t", "30", "-o", &options, "start"])
                .output();
            match server.check(started, "pg_ctl start") {
                Ok(()) => return Ok(Some(server)),
                Err(why) => last = why,
            }
        }
        Err(format!("{last}\n{}", server.log()))
    }

    /// A command from the server's binaries, run as the right user.
    fn command(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    /// Turns a command's failure into its output.
    fn check(&self, output: std::io::Result<Output>, what: &str) -> Result<(), String> {
        let output = output.map_err(|e| format!("{what}: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{what} failed ({}): {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// The server's log, for a failure's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("log")).unwrap_or_default()
    }

    /// The URL of database `name` on this server.
    pub fn url_of(&self, name: &str) -> String {
        format!("postgres://storydesk@127.0.0.1:{}/{name}", self.port)
    }

    /// A new, empty database; its URL.
    pub fn database(&self) -> Result<String, String> {
        let name = format!("t{}", self.databases.fetch_add(1, Ordering::Relaxed));
        self.check(
            self.command("createdb")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "storydesk",
                ])
                .arg(&name)
                .output(),
            "createdb",
        )?;
        Ok(self.url_of(&name))
    }

    /// Where the cluster lives.
    pub fn dir(&self) -> &Path {
        &self.root
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.root.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
