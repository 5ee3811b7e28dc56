//! `[assist]`: which drafter `/story draft` uses, and how far sources may travel.

use serde::Deserialize;

/// `[assist]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssistConfig {
    /// The model server's URL up to `/v1`; empty for the built-in extractive drafter.
    pub base_url: String,
    /// The model's name on that server.
    pub model: String,
    /// The name of the environment variable holding the API key, so the key itself never sits
    /// in a config file; empty when the server needs no key.
    pub api_key_env: String,
    /// How long to wait for the first byte of an answer and between two streamed pieces.
    pub timeout_secs: u64,
    /// The answer's length limit, in tokens, passed to the model.
    pub max_tokens: u32,
    /// Whether sources may be sent to a model that is not on this machine.
    pub allow_remote: bool,
    /// Most source text in one prompt, in bytes, so a small context window is not overrun.
    pub prompt_source_bytes: u64,
    /// Most source text the extractive drafter reads, in bytes, so a draft stays quick.
    pub extractive_source_bytes: u64,
}

impl AssistConfig {
    /// True when a model is configured (otherwise the extractive drafter is used).
    pub fn uses_model(&self) -> bool {
        !self.base_url.trim().is_empty()
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.uses_model() {
            let url = url::Url::parse(self.base_url.trim()).map_err(|e| {
                format!("[assist] base_url is not a URL ({e}); for Ollama it is \"http://127.0.0.1:11434/v1\"")
            })?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(
                    "[assist] base_url must be an http:// or https:// URL with a host".into(),
                );
            }
            if self.model.trim().is_empty() {
                return Err("[assist] model must name the model when base_url is set".into());
            }
        }
        let name = self.api_key_env.trim();
        if !name.is_empty()
            && !name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            // Never quote the value: it may be a key pasted by mistake.
            return Err("[assist] api_key_env must be the NAME of an environment variable (capital letters, digits and _), such as OPENAI_API_KEY; put the key itself in that variable, never in the config".into());
        }
        if self.timeout_secs == 0 || self.max_tokens == 0 {
            return Err("[assist] timeout_secs and max_tokens must be greater than 0".into());
        }
        if self.prompt_source_bytes == 0 || self.extractive_source_bytes == 0 {
            return Err("[assist] source byte limits must be greater than 0".into());
        }
        Ok(())
    }
}
