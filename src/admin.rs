//! The operator's side door to a running storydesk (`serve`, or the console `local`): a
//! Unix socket in the data directory, readable and writable by the owner only. sled lets
//! only one process open the store, so while one runs, `storydesk backup` and `storydesk
//! export` ask it through this socket instead of opening the store themselves.
//!
//! The protocol is one request line, answered on the same connection:
//!
//! - `backup\n`: the backup file's bytes (the caller checks them with
//!   [`crate::store::verify_backup`], so an answer cut short is never taken for a backup).
//! - `export STORY FORMAT [STYLE]\n` (`FORMAT`: `md`, `html` or `json`; `STYLE`: `apa`, `mla` or
//!   `chicago`, the configured style when absent): `ok\n` and the export, or
//!   `refused\n` and the sentence that says why (no such story, say).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::desk::Desk;
use crate::export::Format;
use crate::model::StoryId;

/// The socket's path in a data directory.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("admin.sock")
}

/// The listening socket; removed when dropped, and its thread told to stop.
pub struct AdminSocket {
    /// Where it is.
    path: PathBuf,
    /// Set when the socket closes: the thread stops at the next connection it accepts
    /// (closing makes one), and lets go of the desk.
    closing: Arc<AtomicBool>,
    /// The thread answering on it, which holds the desk (and so the store) while it runs.
    thread: Option<std::thread::JoinHandle<()>>,
}

impl AdminSocket {
    /// Stop answering and wait for the thread to end (after the request it may be
    /// answering), so that the desk it holds is let go of when this returns.
    pub fn close(mut self) {
        self.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn stop(&mut self) {
        self.closing.store(true, Ordering::SeqCst);
        // Wakes the thread from `accept`; it sees `closing` and ends.
        let _ = UnixStream::connect(&self.path);
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for AdminSocket {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Listen on the admin socket of the desk's data directory, answering on a thread of its
/// own.
pub fn listen(desk: Desk) -> std::io::Result<AdminSocket> {
    let path = socket_path(desk.store().dir());
    // A socket left by a process that was killed: nobody answers on it any more (the
    // store's lock proves no other storydesk uses this directory).
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let closing = Arc::new(AtomicBool::new(false));
    let closed = closing.clone();
    let thread = std::thread::Builder::new()
        .name("admin-socket".into())
        .spawn(move || {
            for stream in listener.incoming() {
                if closed.load(Ordering::SeqCst) {
                    return;
                }
                match stream {
                    Ok(stream) => {
                        if let Err(e) = answer(&desk, stream) {
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
    Ok(AdminSocket {
        path,
        closing,
        thread: Some(thread),
    })
}

/// The first line of an export's answer when it follows.
const EXPORTED: &str = "ok";
/// The first line of an export's answer when a sentence saying why follows instead.
const REFUSED: &str = "refused";

fn answer(desk: &Desk, stream: UnixStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut out = std::io::BufWriter::new(stream);
    let mut words = line.split_whitespace();
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some("backup"), None, ..) => {
            let summary = desk
                .store()
                .backup(&mut out)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            tracing::info!(
                records = summary.records,
                "backup written through the admin socket"
            );
        }
        (Some("export"), Some(story), Some(format), style) => {
            let style = match style {
                Some(name) => crate::model::CitationStyle::parse(name),
                None => Some(desk.config().citations.style),
            };
            let exported = match (story.parse::<u64>(), Format::from_name(format), style) {
                (Ok(id), Some(format), Some(style)) => {
                    crate::export::export_story(desk, StoryId(id), format, style)
                        .map_err(|e| e.to_string())
                }
                _ => Err(crate::notices::admin_unknown_request()),
            };
            match exported {
                Ok(text) => {
                    writeln!(out, "{EXPORTED}")?;
                    out.write_all(text.as_bytes())?;
                    tracing::info!(story, "export written through the admin socket");
                }
                Err(why) => writeln!(out, "{REFUSED}\n{why}")?,
            }
        }
        _ => writeln!(out, "{}", crate::notices::admin_unknown_request())?,
    }
    out.flush()
}

/// Why asking the running storydesk failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Nobody answered on the socket, or the connection broke.
    #[error("{}", crate::notices::admin_no_answer(.dir, .source.to_string().as_str()))]
    NoAnswer {
        /// The data directory whose socket was tried.
        dir: PathBuf,
        /// What the socket said.
        source: std::io::Error,
    },
    /// The running storydesk answered with a refusal (its sentence).
    #[error("{0}")]
    Refused(String),
}

fn ask(data_dir: &Path, request: &str) -> Result<UnixStream, AdminError> {
    let no_answer = |source| AdminError::NoAnswer {
        dir: data_dir.to_path_buf(),
        source,
    };
    let mut stream = UnixStream::connect(socket_path(data_dir)).map_err(no_answer)?;
    stream.write_all(request.as_bytes()).map_err(no_answer)?;
    Ok(stream)
}

/// Ask the storydesk running on `data_dir` for a backup, copying it into `out`.
pub fn backup_from_running(data_dir: &Path, out: &mut dyn Write) -> Result<u64, AdminError> {
    let mut stream = ask(data_dir, "backup\n")?;
    std::io::copy(&mut stream, out).map_err(|source| AdminError::NoAnswer {
        dir: data_dir.to_path_buf(),
        source,
    })
}

/// Ask the storydesk running on `data_dir` for story `story` exported as `format`, its
/// references in `style`.
pub fn export_from_running(
    data_dir: &Path,
    story: StoryId,
    format: Format,
    style: crate::model::CitationStyle,
) -> Result<String, AdminError> {
    let request = format!("export {} {} {}\n", story.0, format.name(), style.as_str());
    let stream = ask(data_dir, &request)?;
    let no_answer = |source| AdminError::NoAnswer {
        dir: data_dir.to_path_buf(),
        source,
    };
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).map_err(no_answer)?;
    let mut rest = String::new();
    reader.read_to_string(&mut rest).map_err(no_answer)?;
    match status.trim_end() {
        EXPORTED => Ok(rest),
        REFUSED => Err(AdminError::Refused(rest.trim_end().to_string())),
        _ => Err(no_answer(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the answer was cut short",
        ))),
    }
}
