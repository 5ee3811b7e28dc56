//! Which drafter the configuration asks for, and whether sources may go there.
//!
//! Sources leave the building only when the newsroom says so: a model whose host is not
//! this machine is used only with `[assist] allow_remote = true`. "This machine" is a
//! loopback address (`127.0.0.0/8`, `::1`, an IPv4-mapped `::ffff:127.x.y.z`) or the name
//! `localhost` (or a name under `.localhost`, which RFC 6761 reserves for loopback). Any other
//! name counts as remote even if it happens to resolve to this machine: the check never asks
//! DNS, so nothing about the request leaves before the decision.

use std::net::IpAddr;

use url::{Host, Url};

use super::AssistConfig;
use super::{Failure, Origin};

/// A model server to send requests to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The base URL as configured (up to `/v1`), with any user name or password removed.
    pub base_url: Url,
    /// The model's name.
    pub model: String,
    /// Host and port, as shown to people (`127.0.0.1:11434`).
    pub host: String,
    /// True when the host is loopback.
    pub loopback: bool,
}

impl Endpoint {
    /// The Chat Completions URL: the base URL with `/chat/completions` appended.
    pub fn completions_url(&self) -> Url {
        let mut url = self.base_url.clone();
        let path = format!("{}/chat/completions", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url
    }
}

/// The drafter to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// No model configured: the built-in extractive drafter.
    Extractive,
    /// A model over HTTP.
    Model(Endpoint),
}

impl Choice {
    /// Which drafter this is, as drafts record it.
    pub fn origin(&self) -> Origin {
        match self {
            Choice::Extractive => Origin::Extractive,
            Choice::Model(e) => Origin::Model {
                model: e.model.clone(),
                host: e.host.clone(),
            },
        }
    }

    /// Most source text this drafter is given, in bytes, from `[assist]`.
    pub fn source_limit(&self, config: &AssistConfig) -> u64 {
        match self {
            Choice::Extractive => config.extractive_source_bytes,
            Choice::Model(_) => config.prompt_source_bytes,
        }
    }
}

/// The drafter `[assist]` asks for. A model that is not on this machine is refused with
/// [`Failure::Remote`] unless `allow_remote` is true.
pub fn choose(config: &AssistConfig) -> Result<Choice, Failure> {
    let raw = config.base_url.trim();
    if raw.is_empty() {
        return Ok(Choice::Extractive);
    }
    let mut url = Url::parse(raw).map_err(|_| Failure::BadAnswer {
        what: "[assist] base_url is not a URL".into(),
    })?;
    // Credentials in a URL would end up in messages; the key belongs in api_key_env.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let host = match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => {
            return Err(Failure::BadAnswer {
                what: "[assist] base_url has no host".into(),
            })
        }
    };
    let loopback = url.host().is_some_and(|h| is_loopback(&h));
    if !loopback && !config.allow_remote {
        return Err(Failure::Remote { host });
    }
    Ok(Choice::Model(Endpoint {
        base_url: url,
        model: config.model.trim().to_string(),
        host,
        loopback,
    }))
}

/// True for a loopback address or a `localhost` name.
pub fn is_loopback<S: AsRef<str>>(host: &Host<S>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Host::Domain(name) => {
            let name = name.as_ref().trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    }
}

/// True when `ip` is loopback, for checking where a connection really went.
pub fn is_loopback_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn assist(base_url: &str, allow_remote: bool) -> AssistConfig {
        let mut c = Config::defaults().assist;
        c.base_url = base_url.into();
        c.model = "llama3.1".into();
        c.allow_remote = allow_remote;
        c
    }

    #[test]
    fn no_base_url_means_the_extractive_drafter() {
        assert_eq!(choose(&assist("", false)), Ok(Choice::Extractive));
        assert_eq!(choose(&assist("  ", true)), Ok(Choice::Extractive));
    }

    #[test]
    fn loopback_models_are_used_and_remote_ones_refused_unless_allowed() {
        for local in [
            "http://127.0.0.1:11434/v1",
            "http://127.8.9.10:8080/v1",
            "http://localhost:1234/v1",
            "http://LOCALHOST./v1",
            "http://models.localhost:8000/v1",
            "http://[::1]:8000/v1",
            "http://[::ffff:127.0.0.1]:8000/v1",
        ] {
            match choose(&assist(local, false)) {
                Ok(Choice::Model(e)) => assert!(e.loopback, "{local}"),
                other => panic!("{local}: {other:?}"),
            }
        }
        for remote in [
            "https://api.openai.com/v1",
            "http://10.0.0.5:11434/v1",
            "http://192.168.1.20:11434/v1",
            "http://0.0.0.0:11434/v1",
            "http://[::ffff:10.0.0.1]/v1",
            "http://localhost.example.com/v1",
            "http://gpu-box:11434/v1",
        ] {
            assert!(
                matches!(choose(&assist(remote, false)), Err(Failure::Remote { .. })),
                "{remote}"
            );
            match choose(&assist(remote, true)) {
                Ok(Choice::Model(e)) => assert!(!e.loopback, "{remote}"),
                other => panic!("{remote}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_refusal_names_the_host_and_drops_credentials() {
        assert_eq!(
            choose(&assist("https://user:pw@api.openai.com/v1", false)),
            Err(Failure::Remote {
                host: "api.openai.com:443".into()
            })
        );
        let Ok(Choice::Model(e)) = choose(&assist("http://u:secret@127.0.0.1:11434/v1/", false))
        else {
            panic!("loopback refused")
        };
        assert!(!e.base_url.as_str().contains("secret"));
        assert_eq!(
            e.completions_url().as_str(),
            "http://127.0.0.1:11434/v1/chat/completions"
        );
        assert_eq!(e.host, "127.0.0.1:11434");
    }
}
