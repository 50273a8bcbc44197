//! Login names by uid for replies, each looked up once per request.
//!
//! A lookup may read /etc/passwd or ask NSS over the network, so requests
//! do it on the spool thread, inside the same call that reads the rows,
//! never on a tokio worker.

use std::collections::HashMap;

/// The account name of `uid`, if it has an account (blocking: NSS).
pub fn account_of(uid: u32) -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|user| user.name)
}

#[derive(Debug, Default)]
pub struct Names(HashMap<u32, String>);

impl Names {
    /// The login name of `uid`, or the uid in decimal when it has none.
    pub fn of(&mut self, uid: u32) -> &str {
        self.0
            .entry(uid)
            .or_insert_with(|| account_of(uid).unwrap_or_else(|| uid.to_string()))
    }
}
