//! The content codings a rendered feed is kept in, and the entity tag of
//! each (a gzip body and an identity body are different representations,
//! RFC 9110 §8.8.3). Which one a request gets is negotiated in
//! `serve::encoding`.

/// A content coding we serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// The body as rendered.
    Identity,
    /// `Content-Encoding: gzip`.
    Gzip,
    /// `Content-Encoding: br`.
    Brotli,
}

impl Coding {
    /// The `Content-Encoding` token, `None` for identity.
    pub fn token(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Brotli => Some("br"),
        }
    }

    /// The entity tag of this coding's body, from the identity body's
    /// quoted tag: `"abc"` → `"abc-gzip"`.
    pub fn etag(self, identity: &str) -> String {
        match self.token() {
            None => identity.to_string(),
            Some(token) => format!("{}-{token}\"", identity.strip_suffix('"').unwrap_or(identity)),
        }
    }
}
