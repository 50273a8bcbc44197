//! Login names by uid for replies, each looked up once per request.
//!
//! A lookup may read /etc/passwd or ask NSS over the network, so requests
//! do it on the spool thread, inside the same call that reads the rows,
//! never on a tokio worker.

use std::collections::HashMap;

/// The account name of `uid`, if it has an account (blocking: NSS). A
/// failed lookup is an error, never taken for "no account".
pub fn account_of(uid: u32) -> Result<Option<String>, String> {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .map(|user| user.map(|user| user.name))
        .map_err(|error| format!("cannot look up uid {uid}: {error}"))
}

/// [`account_of`] off the async threads, as a request's error.
pub async fn account_of_async(uid: u32) -> Result<Option<String>, sched_proto::ErrorReply> {
    let internal =
        |message: String| sched_proto::ErrorReply::new(sched_proto::ErrorCode::Internal, message);
    tokio::task::spawn_blocking(move || account_of(uid))
        .await
        .map_err(|e| internal(e.to_string()))?
        .map_err(internal)
}

#[derive(Debug, Default)]
pub struct Names(HashMap<u32, String>);

impl Names {
    /// The login name of `uid`, or the uid in decimal when it has none.
    pub fn of(&mut self, uid: u32) -> &str {
        self.0.entry(uid).or_insert_with(|| {
            account_of(uid)
                .ok()
                .flatten()
                .unwrap_or_else(|| uid.to_string())
        })
    }
}
