//! The shared log: every poll's result, numbered in commit order.
//!
//! A record is appended in one transaction that also (for a poll's result)
//! ends the source's lease and sets its next due time, and only while the
//! lease is still this node's: a result that comes back after its lease
//! expired is refused ([`ClusterError::LeaseLost`]), so a poll another
//! node took over is never kept twice. Appends take the row lock on
//! `log_head` to number themselves, so numbers follow commit order and a
//! reader that reads "everything after n" never skips a record committed
//! late. Each commit sends `NOTIFY syndic_log`, which wakes the other
//! nodes' followers at once.
//!
//! A record's body is JSON, deflated.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use super::append::Queued;
use super::{ClusterError, Node};
use crate::dedup::Fingerprint;
use crate::dedup::near::{Profile, Sketch};
use crate::model::Item;
use crate::store::{FetchRecord, Stored};

/// The notification channel.
pub const CHANNEL: &str = "syndic_log";

/// What a node did, for every node to apply.
#[derive(Debug, Serialize, Deserialize)]
pub enum Record {
    /// A feed's items with the fetch that brought them.
    Feed {
        /// The source.
        source: String,
        /// The fetch.
        record: FetchRecord,
        /// The source's priority.
        priority: i64,
        /// When the items were seen (unix seconds).
        now: i64,
        /// The normalized items.
        items: Vec<Item>,
        /// Their fingerprints, as the polling node made them.
        prints: Vec<Print>,
    },
    /// A fetch with nothing to store (304, an error).
    Fetch {
        /// The source.
        source: String,
        /// The fetch.
        record: FetchRecord,
    },
    /// The feed moved permanently (or no longer does).
    MovedTo {
        /// The source.
        source: String,
        /// The new URL.
        to: Option<String>,
    },
    /// The upstream answered 410 Gone.
    Disabled {
        /// The source.
        source: String,
        /// What admins read.
        reason: String,
    },
    /// A story's article page, extracted (`store::extract`).
    Extracted {
        /// The item's source.
        source: String,
        /// The article page (the job's key with the source).
        url: String,
        /// What was found.
        page: Page,
        /// When.
        now: i64,
    },
    /// An article page that could not be extracted.
    NotExtracted {
        /// The item's source.
        source: String,
        /// The article page.
        url: String,
        /// The error's kind.
        kind: String,
        /// The error.
        error: String,
        /// When.
        now: i64,
        /// When to try again, if ever.
        retry_at: Option<i64>,
    },
}

/// An extracted page, owned (`store::extract::Found` borrows).
#[derive(Debug, Serialize, Deserialize)]
pub struct Page {
    /// Sanitized story HTML.
    pub html: String,
    /// Its length in characters.
    pub chars: usize,
    /// Lead image.
    pub image: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Publication time (unix seconds).
    pub published: Option<i64>,
}

/// A fingerprint in the log: the profile's stored form and the band keys
/// (the sketch is made again from the profile).
#[derive(Debug, Serialize, Deserialize)]
pub struct Print {
    profile: Vec<u8>,
    bands: Vec<i64>,
}

impl From<&Fingerprint> for Print {
    fn from(f: &Fingerprint) -> Print {
        Print { profile: f.profile.to_bytes(), bands: f.bands.clone() }
    }
}

impl Print {
    /// The fingerprint again.
    pub fn fingerprint(&self) -> Option<Fingerprint> {
        let profile = Profile::from_bytes(&self.profile)?;
        Some(Fingerprint { sketch: Sketch::of(&profile), profile, bands: self.bands.clone() })
    }
}

impl Record {
    fn kind(&self) -> &'static str {
        match self {
            Record::Feed { .. } => "feed",
            Record::Fetch { .. } => "fetch",
            Record::MovedTo { .. } => "moved",
            Record::Disabled { .. } => "disabled",
            Record::Extracted { .. } => "extracted",
            Record::NotExtracted { .. } => "not_extracted",
        }
    }

    /// The source it is about.
    pub fn source(&self) -> &str {
        match self {
            Record::Feed { source, .. }
            | Record::Fetch { source, .. }
            | Record::MovedTo { source, .. }
            | Record::Disabled { source, .. }
            | Record::Extracted { source, .. }
            | Record::NotExtracted { source, .. } => source,
        }
    }

    /// The poll's next due time, for a poll's result (which ends its lease).
    fn next_fetch_at(&self) -> Option<i64> {
        match self {
            Record::Feed { record, .. } | Record::Fetch { record, .. } => Some(record.next_fetch_at),
            _ => None,
        }
    }

    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let mut z = flate2::write::DeflateEncoder::new(Vec::with_capacity(json.len() / 3), flate2::Compression::fast());
        // Writing to a Vec cannot fail.
        let _ = z.write_all(&json);
        z.finish().unwrap_or_default()
    }

    /// Reads [`Record::encode`]'s form.
    pub fn decode(seq: i64, body: &[u8]) -> Result<Record, ClusterError> {
        let mut json = Vec::with_capacity(body.len() * 3);
        flate2::read::DeflateDecoder::new(body)
            .read_to_end(&mut json)
            .map_err(|e| ClusterError::Record { seq, reason: format!("cannot inflate: {e}") })?;
        serde_json::from_slice(&json).map_err(|e| ClusterError::Record { seq, reason: format!("cannot read: {e}") })
    }
}

impl Node {
    /// Appends `record`; a poll's result also ends this node's lease on its
    /// source and sets its next due time, or is refused when the lease was
    /// lost. Returns the record's number and the answer the follower gives
    /// when it has applied the record here.
    pub async fn append(&self, record: &Record) -> Result<(i64, tokio::sync::oneshot::Receiver<Stored>), ClusterError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let disabled = match record {
            Record::Disabled { reason, .. } => Some(reason.clone()),
            _ => None,
        };
        let queued = Queued {
            source: record.source().to_string(),
            kind: record.kind(),
            next_fetch_at: record.next_fetch_at(),
            disabled,
            body: record.encode(),
            reply,
        };
        self.appends.send(queued).map_err(|_| ClusterError::Append("the appender is not running".into()))?;
        answer.await.unwrap_or_else(|_| Err(ClusterError::Append("the appender stopped".into())))
    }

    /// Up to `limit` records after `seq`, in order, still encoded.
    pub async fn read_after(&self, seq: i64, limit: i64) -> Result<Vec<(i64, Vec<u8>)>, ClusterError> {
        let client = self.client().await?;
        let rows = client.query("SELECT seq, body FROM log WHERE seq > $1 ORDER BY seq LIMIT $2", &[&seq, &limit]).await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::Matcher;

    #[test]
    fn a_feed_record_reads_back_with_its_fingerprints() {
        let item = Item::sample("a", 1, "Токаев подписал закон о СМИ", "Президент подписал закон о средствах массовой информации.");
        let print = Matcher::default().fingerprint(&item.title, &item.text);
        let record = Record::Feed {
            source: "a".into(),
            record: FetchRecord { at: 5, status: Some(200), next_fetch_at: 905, ..FetchRecord::default() },
            priority: 3,
            now: 5,
            items: vec![item.clone()],
            prints: vec![Print::from(&print)],
        };
        let body = record.encode();
        let Record::Feed { items, prints, record, .. } = Record::decode(1, &body).unwrap() else { panic!("not a feed") };
        assert_eq!(items, vec![item]);
        assert_eq!(prints[0].fingerprint().unwrap(), print);
        assert_eq!(record.next_fetch_at, 905);
        assert!(matches!(Record::decode(2, b"not deflate"), Err(ClusterError::Record { seq: 2, .. })));
    }
}
