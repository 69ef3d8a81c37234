//! Access tokens, refresh tokens, the OAuth client credentials and the JWT bearer key the
//! mock accepts.

use std::collections::HashSet;

use rsa::RsaPublicKey;

use crate::config::MockConfig;

/// What the mock makes of an access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Valid,
    /// Accepted once, expired since (`expire_access_token`).
    Expired,
    Unknown,
}

/// Tokens and OAuth client credentials.
#[derive(Debug, Default)]
pub(crate) struct Auth {
    access: HashSet<String>,
    expired: HashSet<String>,
    refresh: HashSet<String>,
    pub client_id: String,
    pub client_secret: String,
    /// Access tokens minted by the token endpoint, oldest first.
    pub issued: Vec<String>,
    /// The connected app's certificate key for JWT bearer assertions, and the users
    /// pre-authorized for it (`register_jwt_key`). Without one every assertion is refused.
    pub jwt_key: Option<RsaPublicKey>,
    pub jwt_users: Vec<String>,
    /// Whether the connected app runs the client-credentials flow (on unless a test turns
    /// it off).
    pub client_credentials_off: bool,
}

impl Auth {
    pub(crate) fn new(cfg: &MockConfig) -> Auth {
        Auth {
            access: cfg.access_tokens.iter().cloned().collect(),
            refresh: cfg.refresh_tokens.iter().cloned().collect(),
            client_id: cfg.client_id.clone(),
            client_secret: cfg.client_secret.clone(),
            ..Auth::default()
        }
    }

    pub(crate) fn check(&self, token: &str) -> Access {
        if !self.access.contains(token) {
            Access::Unknown
        } else if self.expired.contains(token) {
            Access::Expired
        } else {
            Access::Valid
        }
    }

    pub(crate) fn accepts_refresh(&self, token: &str) -> bool {
        self.refresh.contains(token)
    }

    pub(crate) fn expire(&mut self, token: &str) {
        self.expired.insert(token.to_owned());
    }

    pub(crate) fn revoke_refresh(&mut self, token: &str) {
        self.refresh.remove(token);
    }

    /// Mints and accepts a new access token `00DMOCK!<n>`.
    pub(crate) fn mint(&mut self) -> String {
        let token = format!("00DMOCK!{}", self.issued.len() + 1);
        self.access.insert(token.clone());
        self.issued.push(token.clone());
        token
    }
}

/// A granted token and the facts the answer carries.
#[derive(Debug)]
pub(crate) struct Grant {
    pub access_token: String,
    pub signature: String,
    pub instance_url: String,
    pub id: String,
    pub issued_at: String,
}

/// A refused grant: OAuth `error` and `error_description`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub error: &'static str,
    pub description: &'static str,
}
