//! A model over HTTP: the OpenAI-compatible Chat Completions API, which OpenAI, Ollama,
//! llama.cpp's server, vLLM and LM Studio all speak.
//!
//! One `POST {base_url}/chat/completions` per draft, with `stream: true`. A streamed answer
//! (`text/event-stream`) is read piece by piece; a server that answers with plain JSON
//! instead is read whole. The timeout covers the wait for the answer to start and every wait
//! between two pieces, so a long draft that keeps coming is never cut, and one that stops
//! coming ends with what was written.
//!
//! Requests to a loopback model bypass any HTTP proxy of the environment (a proxy would take
//! the sources off the machine), and redirects are never followed (a redirect could send
//! them elsewhere). The API key is read from the environment variable `[assist]
//! api_key_env` names, at each request. Logs carry status codes, sizes and durations, never
//! the prompt, the answer or the key.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use serde::Deserialize;

use super::policy::Endpoint;
use super::sse;
use super::{prompt, BoxFuture, Brief, Draft, Drafter, Failure, Origin, Sink};

/// How the model is called, from `[assist]`.
#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// The name of the environment variable holding the API key; empty for none.
    pub api_key_env: String,
    /// The wait for the answer to start, and between two streamed pieces.
    pub timeout: Duration,
    /// The answer's length limit in tokens.
    pub max_tokens: u32,
}

/// The longest explanation of a refusal quoted from the server, in characters.
const MAX_SERVER_MESSAGE: usize = 300;

/// A drafter that asks a model.
#[derive(Debug, Clone)]
pub struct ChatDrafter {
    /// Where the model is.
    endpoint: Endpoint,
    /// How to call it.
    settings: ChatSettings,
    /// The HTTP client (connection pool).
    client: reqwest::Client,
}

impl ChatDrafter {
    /// A drafter for the model at `endpoint`. `resolve` pins host names to addresses.
    pub fn new(
        endpoint: Endpoint,
        settings: ChatSettings,
        resolve: &[(String, SocketAddr)],
    ) -> Result<Self, Failure> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("storydesk/", env!("CARGO_PKG_VERSION")));
        // A proxy would take sources off the machine, and would ignore pinned addresses.
        if endpoint.loopback || !resolve.is_empty() {
            builder = builder.no_proxy();
        }
        for (host, addr) in resolve {
            builder = builder.resolve(host, *addr);
        }
        let client = builder.build().map_err(|e| Failure::Unreachable {
            host: endpoint.host.clone(),
            reason: innermost(&e),
        })?;
        Ok(ChatDrafter {
            endpoint,
            settings,
            client,
        })
    }

    fn timeout_failure(&self) -> Failure {
        Failure::Timeout {
            secs: self.settings.timeout.as_secs_f64().ceil() as u64,
        }
    }

    /// Sends the request and reads the answer, passing streamed pieces to `sink`.
    async fn ask(&self, brief: &Brief, sink: Sink<'_>) -> Result<Draft, Failure> {
        let key = match self.settings.api_key_env.as_str() {
            "" => None,
            name => Some(std::env::var(name).map_err(|_| Failure::MissingKey {
                variable: name.to_string(),
            })?),
        };
        let prompt = prompt::build(brief);
        let body = serde_json::json!({
            "model": self.endpoint.model,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            "max_tokens": self.settings.max_tokens,
            "stream": true,
        });
        let mut request = self
            .client
            .post(self.endpoint.completions_url())
            .header(ACCEPT, "text/event-stream, application/json")
            .json(&body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let started = Instant::now();
        let response = match tokio::time::timeout(self.settings.timeout, request.send()).await {
            Err(_) => return Err(self.timeout_failure()),
            Ok(Err(e)) => return Err(self.network_failure(&e)),
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        tracing::info!(
            status = status.as_u16(),
            prompt_bytes = prompt.user.len(),
            waited_ms = started.elapsed().as_millis() as u64,
            "model answered"
        );
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(Failure::RateLimited {
                retry_after_secs: retry_after(response.headers()),
            });
        }
        if status.is_server_error() {
            return Err(Failure::ServerError {
                status: status.as_u16(),
            });
        }
        if !status.is_success() {
            let message = match tokio::time::timeout(self.settings.timeout, response.bytes()).await
            {
                Ok(Ok(bytes)) => server_message(&bytes),
                _ => None,
            };
            return Err(Failure::Rejected {
                status: status.as_u16(),
                message,
            });
        }
        let streamed = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if streamed {
            self.read_stream(response, sink, started).await
        } else {
            self.read_whole(response).await
        }
    }

    /// A plain JSON answer.
    async fn read_whole(&self, response: reqwest::Response) -> Result<Draft, Failure> {
        let bytes = match tokio::time::timeout(self.settings.timeout, response.bytes()).await {
            Err(_) => return Err(self.timeout_failure()),
            Ok(Err(e)) => return Err(self.network_failure(&e)),
            Ok(Ok(b)) => b,
        };
        let answer: Completion =
            serde_json::from_slice(&bytes).map_err(|_| Failure::BadAnswer {
                what: "the answer is not a chat completion".into(),
            })?;
        let choice = answer
            .choices
            .into_iter()
            .next()
            .ok_or(Failure::BadAnswer {
                what: "the answer has no choices".into(),
            })?;
        let text = choice.message.and_then(|m| m.content).unwrap_or_default();
        tracing::info!(answer_bytes = text.len(), "model answer read whole");
        let mut draft = Draft::plain(text);
        if choice.finish_reason.as_deref() == Some("length") {
            draft.incomplete = Some(Failure::MaxTokens {
                max_tokens: self.settings.max_tokens,
            });
        }
        Ok(draft)
    }

    /// A streamed answer.
    async fn read_stream(
        &self,
        mut response: reqwest::Response,
        sink: Sink<'_>,
        started: Instant,
    ) -> Result<Draft, Failure> {
        let mut parser = sse::Parser::new();
        let mut text = String::new();
        let mut finish: Option<String> = None;
        // `[DONE]` seen, or the connection closed.
        let mut done = false;
        let mut saw_done_marker = false;
        let mut pieces = 0u64;
        while !done {
            let chunk = match tokio::time::timeout(self.settings.timeout, response.chunk()).await {
                Err(_) => {
                    tracing::info!(pieces, answer_bytes = text.len(), "model stream timed out");
                    return Err(self.timeout_failure());
                }
                Ok(Err(e)) => {
                    tracing::info!(pieces, answer_bytes = text.len(), "model stream broke");
                    return Err(if e.is_timeout() {
                        self.timeout_failure()
                    } else {
                        Failure::Interrupted
                    });
                }
                Ok(Ok(chunk)) => chunk,
            };
            let events = match &chunk {
                Some(bytes) => parser.feed(bytes),
                None => {
                    done = true;
                    parser.finish()
                }
            };
            for event in events {
                let data = event.data.trim();
                if data == "[DONE]" {
                    done = true;
                    saw_done_marker = true;
                    break;
                }
                let piece: StreamChunk =
                    serde_json::from_str(data).map_err(|_| Failure::BadAnswer {
                        what: "a streamed piece is not a chat completion chunk".into(),
                    })?;
                if piece.error.is_some() {
                    return Err(Failure::BadAnswer {
                        what: "the server reported an error in the middle of the answer".into(),
                    });
                }
                for choice in piece.choices {
                    if let Some(content) = choice.delta.and_then(|d| d.content) {
                        if !content.is_empty() {
                            pieces += 1;
                            text.push_str(&content);
                            sink(&content);
                        }
                    }
                    if let Some(reason) = choice.finish_reason {
                        finish = Some(reason);
                    }
                }
            }
        }
        tracing::info!(
            pieces,
            answer_bytes = text.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            finish = finish.as_deref().unwrap_or("none"),
            "model stream ended"
        );
        match finish.as_deref() {
            Some("length") => Ok(Draft {
                incomplete: Some(Failure::MaxTokens {
                    max_tokens: self.settings.max_tokens,
                }),
                ..Draft::plain(text)
            }),
            Some(_) => Ok(Draft::plain(text)),
            // A server may end with `[DONE]` without a finish reason; a stream that just
            // stops has not finished.
            None if saw_done_marker => Ok(Draft::plain(text)),
            None => Err(Failure::Interrupted),
        }
    }

    fn network_failure(&self, e: &reqwest::Error) -> Failure {
        if e.is_timeout() {
            return self.timeout_failure();
        }
        Failure::Unreachable {
            host: self.endpoint.host.clone(),
            reason: innermost(e),
        }
    }
}

impl Drafter for ChatDrafter {
    fn origin(&self) -> Origin {
        Origin::Model {
            model: self.endpoint.model.clone(),
            host: self.endpoint.host.clone(),
        }
    }

    fn draft<'a>(
        &'a self,
        brief: Arc<Brief>,
        sink: Sink<'a>,
    ) -> BoxFuture<'a, Result<Draft, Failure>> {
        Box::pin(async move { self.ask(&brief, sink).await })
    }
}

/// The innermost cause of an error: "Connection refused (os error 111)" rather than
/// reqwest's "error sending request for url (…)".
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// `Retry-After` in seconds: a number, or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .map(|d| d.as_secs_f64().ceil() as u64)
            .unwrap_or(0),
    )
}

/// The server's explanation of a refusal (`{"error":{"message":…}}`), shortened.
fn server_message(bytes: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Body {
        error: ErrorBody,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ErrorBody {
        Object { message: String },
        Text(String),
    }
    let body: Body = serde_json::from_slice(bytes).ok()?;
    let message = match body.error {
        ErrorBody::Object { message } | ErrorBody::Text(message) => message,
    };
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if message.is_empty() {
        return None;
    }
    let mut short: String = message.chars().take(MAX_SERVER_MESSAGE).collect();
    if short.len() < message.len() {
        short.push('…');
    }
    Some(short)
}

/// A whole (non-streamed) answer.
#[derive(Deserialize)]
struct Completion {
    /// The choices; the first is used.
    choices: Vec<CompletionChoice>,
}

/// One choice of a whole answer.
#[derive(Deserialize)]
struct CompletionChoice {
    /// The message written.
    message: Option<Message>,
    /// Why the model stopped (`stop`, `length`).
    finish_reason: Option<String>,
}

/// A message's text.
#[derive(Deserialize)]
struct Message {
    /// The text (absent for tool calls).
    content: Option<String>,
}

/// One streamed piece.
#[derive(Deserialize)]
struct StreamChunk {
    /// The choices' deltas.
    #[serde(default)]
    choices: Vec<StreamChoice>,
    /// An error reported mid-stream.
    #[serde(default)]
    error: Option<serde_json::Value>,
}

/// One choice of a streamed piece.
#[derive(Deserialize)]
struct StreamChoice {
    /// The new text.
    delta: Option<Message>,
    /// Set on the last piece.
    finish_reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, "30".parse().unwrap());
        assert_eq!(retry_after(&h), Some(30));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(0));
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn a_refusal_is_explained_in_the_servers_words_shortened() {
        assert_eq!(
            server_message(br#"{"error":{"message":"model \"llama9\" not found, try pulling it first","type":"not_found"}}"#),
            Some("model \"llama9\" not found, try pulling it first".into())
        );
        assert_eq!(
            server_message(br#"{"error":"invalid api key"}"#),
            Some("invalid api key".into())
        );
        assert_eq!(server_message(b"<html>bad gateway</html>"), None);
        let long = format!(r#"{{"error":{{"message":"{}"}}}}"#, "x".repeat(1000));
        assert_eq!(
            server_message(long.as_bytes()).unwrap().chars().count(),
            MAX_SERVER_MESSAGE + 1
        );
    }
}
