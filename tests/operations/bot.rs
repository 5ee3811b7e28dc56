//! The real `storydesk` binary, run the way an operator runs it: `serve` in the
//! background with its log captured, and one-shot commands (`local`, `backup`, `restore`,
//! `export`, `doctor`). Every child starts from an empty environment plus what the test
//! gives it, so nothing from the machine leaks in.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use storydesk::slack::verify::{sign, unix_now, SigningSecret};

/// The longest a test waits for the bot to do something before it fails (a liveness
/// bound, never a speed assertion).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A `storydesk` command with an empty environment and `env` added.
pub fn storydesk(env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_storydesk"));
    cmd.env_clear();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// The outcome of a one-shot command.
pub struct Ran {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a one-shot command to its end.
pub fn run(env: &[(&str, &str)], args: &[&str]) -> Ran {
    let out = storydesk(env)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the storydesk binary runs");
    Ran {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `storydesk serve`, running.
pub struct Bot {
    child: Child,
    /// Every line it wrote to stderr so far.
    lines: Arc<Mutex<Vec<String>>>,
    /// The thread reading stderr, which ends when the process closes it.
    reader: Option<std::thread::JoinHandle<()>>,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Bot {
    /// Starts `serve` with `args` before the subcommand (`--data`, `--config`) and `env`,
    /// listening on a free loopback port, and waits until it says where it listens.
    pub async fn start(args: &[&str], env: &[(&str, &str)]) -> Bot {
        let mut env = env.to_vec();
        env.push(("STORYDESK_BIND", "127.0.0.1:0"));
        let mut child = storydesk(&env)
            .args(args)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the storydesk binary starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = lines.clone();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let found = lines.lock().unwrap().iter().find_map(|l| {
                let (_, rest) = l.split_once("serving on http://")?;
                let addr: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                    .collect();
                addr.parse::<SocketAddr>().ok()
            });
            if let Some(addr) = found {
                return Bot {
                    child,
                    lines,
                    reader: Some(reader),
                    addr,
                };
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "storydesk serve exited ({status}) before listening:\n{}",
                    lines.lock().unwrap().join("\n")
                );
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "storydesk serve never said where it listens:\n{}",
                lines.lock().unwrap().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The base URL of its HTTP endpoints.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Sends SIGTERM, as a container runtime or systemd does to stop it.
    pub fn terminate(&self) {
        let pid = self.pid() as libc::pid_t;
        // SAFETY: sending a signal to our own child process, whose id we hold.
        let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(sent, 0, "SIGTERM could not be sent");
    }

    /// Waits for it to exit and returns how.
    pub async fn wait(&mut self) -> ExitStatus {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Its stderr is closed: the reader takes the last lines and ends.
                if let Some(reader) = self.reader.take() {
                    tokio::task::spawn_blocking(move || reader.join())
                        .await
                        .unwrap()
                        .unwrap();
                }
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "storydesk serve did not exit:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGTERM, then waits for the exit, which must be a clean one.
    pub async fn stop(mut self) -> String {
        self.terminate();
        let status = self.wait().await;
        assert!(status.success(), "exit {status}:\n{}", self.log());
        self.log()
    }

    /// GETs a path; the status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = reqwest::get(self.url(path)).await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// Waits until `GET path` answers `status`, and returns the body.
    pub async fn wait_for_status(&self, path: &str, status: u16) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let (got, body) = self.get(path).await;
            if got == status {
                return body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{path} kept answering {got}: {body}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A data directory and a config file in a temporary directory.
pub struct Place {
    pub dir: tempfile::TempDir,
}

impl Place {
    /// A temporary directory with `config.toml` holding `config`.
    pub fn new(config: &str) -> Place {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        Place { dir }
    }

    /// A path inside it.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `--data DIR --config FILE` for the data directory `name`.
    pub fn args(&self, name: &str) -> Vec<String> {
        vec![
            "--data".into(),
            self.path(name).display().to_string(),
            "--config".into(),
            self.path("config.toml").display().to_string(),
        ]
    }
}

/// `args` as `&str`s.
pub fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Writes a console script into `dir` and returns its path.
pub fn script(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Slack's side of a conversation with a running bot: really signed requests.
pub struct SlackClient {
    pub http: reqwest::Client,
    pub base: String,
    pub secret: String,
    pub team: String,
    pub channel: String,
    /// A response_url on the fake Slack (or anything that answers).
    pub response_url: String,
}

impl SlackClient {
    /// POSTs a signed form body to `path`; status and body, or `None` when the bot did not
    /// answer (it is stopping).
    pub async fn post(&self, path: &str, body: String) -> Option<(u16, String)> {
        let ts = unix_now();
        let signature = sign(
            &SigningSecret::new(self.secret.clone()),
            ts,
            body.as_bytes(),
        );
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", ts.to_string())
            .header("x-slack-signature", signature)
            .body(body)
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        Some((status, response.text().await.ok()?))
    }

    /// `/story {text}` by `user`.
    pub async fn command(&self, user: &str, trigger: &str, text: &str) -> Option<(u16, String)> {
        let body = serde_urlencoded::to_string([
            ("team_id", self.team.as_str()),
            ("channel_id", self.channel.as_str()),
            ("user_id", user),
            ("user_name", user),
            ("command", "/story"),
            ("text", text),
            ("response_url", self.response_url.as_str()),
            ("trigger_id", trigger),
        ])
        .unwrap();
        self.post("/slack/commands", body).await
    }

    /// Submits the modal of `sub` (`write` or `source add`) for story 1 with `text`.
    pub async fn submit(
        &self,
        user: &str,
        trigger: &str,
        sub: &str,
        options: &[(&str, &str)],
        text: &str,
    ) -> Option<(u16, String)> {
        let kind = if sub == "source add" {
            "source"
        } else {
            "write"
        };
        let meta = serde_json::json!({
            "k": kind, "c": self.channel, "s": 1, "sub": sub, "o": options, "n": 1, "sep": []
        });
        let payload = serde_json::json!({
            "type": "view_submission",
            "team": { "id": self.team },
            "user": { "id": user, "username": user, "team_id": self.team },
            "trigger_id": trigger,
            "view": {
                "id": "V0OPS",
                "callback_id": "storydesk_form",
                "private_metadata": meta.to_string(),
                "state": { "values": { "text_0": { "value": { "type": "plain_text_input", "value": text } } } },
                "hash": format!("1.{trigger}"),
            },
        });
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        self.post("/slack/interactivity", body).await
    }
}
