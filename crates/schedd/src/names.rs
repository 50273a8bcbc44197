//! Login names by uid for replies, each looked up once per request.
//!
//! A lookup may read /etc/passwd or ask NSS over the network, so requests
//! do it on the spool thread, inside the same call that reads the rows,
//! never on a tokio worker.

use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Names(HashMap<u32, String>);

impl Names {
    /// The login name of `uid`, or the uid in decimal when it has none.
    pub fn of(&mut self, uid: u32) -> &str {
        self.0.entry(uid).or_insert_with(|| {
            nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                .ok()
                .flatten()
                .map_or_else(|| uid.to_string(), |user| user.name)
        })
    }
}
