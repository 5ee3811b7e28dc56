//! What the desk keeps about a person, under `p/{platform}/{platform id}`: their time zone
//! and quiet hours (`/story tz`), the zone their platform reports (Slack's `users.info`),
//! and notices that could not reach them by direct message, shown the next time they act.

use serde::{Deserialize, Serialize};

use super::integrity::Tree;
use super::{records, StoreError, Tx, TxError, TxFailure};
use crate::model::Platform;
use crate::text::when::Quiet;

const PERSON: &[u8] = b"p/";
const PERSON_VERSION: u32 = 1;

/// A person's settings; all empty for someone the desk knows nothing about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonSettings {
    /// The IANA zone they chose with `/story tz`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// The zone their platform reports for them (Slack); used when they chose none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_zone: Option<String>,
    /// When reminders wait for the morning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet: Option<Quiet>,
    /// Notices that could not be sent to them directly, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct PersonRecordV1 {
    v: u32,
    #[serde(flatten)]
    settings: PersonSettings,
}

fn key(platform: Platform, id: &str) -> Vec<u8> {
    [PERSON, platform.as_str().as_bytes(), b"/", id.as_bytes()].concat()
}

fn decode(platform: Platform, id: &str, bytes: &[u8]) -> Result<PersonSettings, StoreError> {
    let describe = || format!("settings of {} person {id:?}", platform.as_str());
    let record: PersonRecordV1 = records::decode_person(&describe, PERSON_VERSION, bytes)?;
    Ok(record.settings)
}

impl Tx<'_> {
    /// A person's settings, as this transaction sees them (empty when none are kept).
    pub fn person(&mut self, platform: Platform, id: &str) -> Result<PersonSettings, TxError> {
        self.step(|tx| match tx.get(Tree::Stories, &key(platform, id))? {
            Some(bytes) => decode(platform, id, &bytes).map_err(TxFailure::from),
            None => Ok(PersonSettings::default()),
        })
    }

    /// Keeps a person's settings (removing the record when they are all empty).
    pub fn put_person(
        &mut self,
        platform: Platform,
        id: &str,
        settings: &PersonSettings,
    ) -> Result<(), TxError> {
        self.step(|tx| {
            let k = key(platform, id);
            if *settings == PersonSettings::default() {
                tx.take(Tree::Stories, &k, || "removing a person's settings".into())?;
                return Ok(());
            }
            let record = PersonRecordV1 {
                v: PERSON_VERSION,
                settings: settings.clone(),
            };
            tx.write(&k, records::encode("person", &record)?)
        })
    }
}

impl super::Store {
    /// A person's settings, as committed (empty when none are kept).
    pub fn person(&self, platform: Platform, id: &str) -> Result<PersonSettings, StoreError> {
        super::outside_transaction("person")?;
        match self.raw_get(Tree::Stories, &key(platform, id))? {
            Some(bytes) => decode(platform, id, &bytes),
            None => Ok(PersonSettings::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_do_not_collide_across_platforms() {
        use super::*;
        assert_ne!(key(Platform::Slack, "U1"), key(Platform::Discord, "U1"));
        assert!(key(Platform::Slack, "U1").starts_with(PERSON));
    }
}
