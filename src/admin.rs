//! The operator's side door to a running `storydesk serve`: a Unix socket in the data
//! directory, readable and writable by the owner only, through which `storydesk backup`
//! takes a consistent snapshot while the bot runs (sled lets only one process open the
//! store, so the running one must write it).
//!
//! The protocol is one line: `backup\n`; the answer is the backup file's bytes.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use crate::store::Store;

/// The socket's path in a data directory.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("admin.sock")
}

/// The listening socket; removed when dropped.
pub struct AdminSocket {
    /// Where it is.
    path: PathBuf,
}

impl Drop for AdminSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Listen on the data directory's admin socket, answering on a thread of its own.
pub fn listen(store: Store, data_dir: &Path) -> std::io::Result<AdminSocket> {
    let path = socket_path(data_dir);
    // A socket left by a process that was killed: nobody answers on it any more (the
    // store's lock proves no other storydesk uses this directory).
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    std::thread::Builder::new()
        .name("admin-socket".into())
        .spawn(move || {
            for stream in listener.incoming() {
                match stream {
                    Ok(stream) => {
                        if let Err(e) = answer(&store, stream) {
                            tracing::warn!(error = %e, "admin request failed");
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "admin socket stopped");
                        return;
                    }
                }
            }
        })?;
    Ok(AdminSocket { path })
}

fn answer(store: &Store, stream: UnixStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut out = std::io::BufWriter::new(stream);
    match line.trim() {
        "backup" => {
            let summary = store
                .backup(&mut out)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            tracing::info!(
                records = summary.records,
                "backup written through the admin socket"
            );
            Ok(())
        }
        other => {
            writeln!(
                out,
                "unknown request {other:?}; the only request is `backup`"
            )?;
            Ok(())
        }
    }
}

/// Ask the storydesk running on `data_dir` for a backup, copying it into `out`.
pub fn backup_from_running(data_dir: &Path, out: &mut dyn Write) -> std::io::Result<u64> {
    let mut stream = UnixStream::connect(socket_path(data_dir))?;
    stream.write_all(b"backup\n")?;
    std::io::copy(&mut stream, out)
}
