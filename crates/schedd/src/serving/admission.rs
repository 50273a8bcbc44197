//! Who gets a connection when the daemon is full. A pure table of the open
//! connections, by uid and by what each is doing, so that no set of
//! clients, however many uids they use, can keep another user or root out.
//!
//! The rule, decided in [`Admission::admit`]:
//! - every uid but root holds at most [`Limits::per_uid`] connections; one
//!   more is refused at once ("busy"), never left in the kernel's backlog;
//! - below [`Limits::total`] everyone else is admitted;
//! - when full, the newcomer is admitted if some uid holds more connections
//!   than the newcomer would after admission: the oldest connection of the
//!   largest such holder that is waiting for its client (idle, or in the
//!   middle of sending a request, or not reading its reply) is closed to
//!   make room. Connections whose answer the daemon is still working out
//!   are never closed; they end by themselves;
//! - root is always admitted, over the total if nothing can be closed.
//!
//! So a user with no connection always gets one while any other uid holds
//! two or more that are waiting on their clients, and the only clients
//! slowed by a flood are the flooders'. The table does no I/O and reads no
//! clock: the listener passes the instants in.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// How many connections may be open.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// All connections, of every uid (root may go over it).
    pub total: usize,
    /// Connections of one uid other than root.
    pub per_uid: usize,
}

/// A connection's number in the table.
pub type ConnectionId = u64;

/// What a connection is doing, as far as eviction cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for its client since this instant: idle between requests,
    /// or reading a request that has begun. Such a connection may be
    /// closed to make room.
    Waiting(Instant),
    /// The daemon is answering it.
    Answering,
}

/// The answer to a newcomer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admit {
    /// Admitted as `id`; `evicted` names the connection to close for it.
    Admitted {
        id: ConnectionId,
        evicted: Option<ConnectionId>,
    },
    /// Refused, with the reason for the client.
    Refused(String),
}

/// The open connections.
#[derive(Debug)]
pub struct Admission {
    limits: Limits,
    next_id: ConnectionId,
    connections: HashMap<ConnectionId, (u32, State)>,
    /// Open connections by uid.
    per_uid: HashMap<u32, usize>,
    /// Waiting connections in the order they began to wait, by uid: the
    /// first of each is the one to close.
    waiting: HashMap<u32, BTreeMap<(Instant, ConnectionId), ()>>,
}

impl Admission {
    pub fn new(limits: Limits) -> Admission {
        Admission {
            limits,
            next_id: 0,
            connections: HashMap::new(),
            per_uid: HashMap::new(),
            waiting: HashMap::new(),
        }
    }

    /// Decides on a client of `uid` that connected at `now`. An admitted
    /// connection starts out waiting for its client.
    pub fn admit(&mut self, uid: u32, now: Instant) -> Admit {
        let held = self.held_by(uid);
        if uid != 0 && held >= self.limits.per_uid {
            return Admit::Refused(format!(
                "uid {uid} already has {} connections open: close some and retry",
                self.limits.per_uid
            ));
        }
        let mut evicted = None;
        if self.connections.len() >= self.limits.total {
            evicted = self.victim(held + 1);
            if let Some(victim) = evicted {
                self.remove(victim);
            } else if uid != 0 {
                return Admit::Refused(
                    "the daemon is serving as many connections as it can: retry shortly".into(),
                );
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        self.connections.insert(id, (uid, State::Waiting(now)));
        *self.per_uid.entry(uid).or_insert(0) += 1;
        self.waiting.entry(uid).or_default().insert((now, id), ());
        Admit::Admitted { id, evicted }
    }

    /// `id` has a whole request and is being answered: it cannot be closed
    /// to make room until it waits again.
    pub fn answering(&mut self, id: ConnectionId) {
        let Some((uid, state)) = self.connections.get_mut(&id) else {
            return;
        };
        if let State::Waiting(since) = *state {
            *state = State::Answering;
            let uid = *uid;
            self.unwait(uid, since, id);
        }
    }

    /// `id` was answered and waits for its client again, from `now`.
    pub fn waiting(&mut self, id: ConnectionId, now: Instant) {
        let Some((uid, state)) = self.connections.get_mut(&id) else {
            return;
        };
        if *state == State::Answering {
            *state = State::Waiting(now);
            let uid = *uid;
            self.waiting.entry(uid).or_default().insert((now, id), ());
        }
    }

    /// `id` closed (or was closed). Unknown ids are ignored, so that an
    /// evicted connection's own clean-up is harmless.
    pub fn remove(&mut self, id: ConnectionId) {
        let Some((uid, state)) = self.connections.remove(&id) else {
            return;
        };
        if let State::Waiting(since) = state {
            self.unwait(uid, since, id);
        }
        if let Some(count) = self.per_uid.get_mut(&uid) {
            *count -= 1;
            if *count == 0 {
                self.per_uid.remove(&uid);
            }
        }
    }

    /// Whether `id` is still open (an evicted one is not).
    pub fn contains(&self, id: ConnectionId) -> bool {
        self.connections.contains_key(&id)
    }

    /// Open connections.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.connections.len()
    }

    /// Whether no connection is open.
    pub fn is_empty(&self) -> bool {
        self.connections.is_empty()
    }

    fn held_by(&self, uid: u32) -> usize {
        self.per_uid.get(&uid).copied().unwrap_or(0)
    }

    fn unwait(&mut self, uid: u32, since: Instant, id: ConnectionId) {
        if let Some(queue) = self.waiting.get_mut(&uid) {
            queue.remove(&(since, id));
            if queue.is_empty() {
                self.waiting.remove(&uid);
            }
        }
    }

    /// The oldest waiting connection of the uid holding the most
    /// connections among those holding more than `newcomer_would_hold`
    /// and having one waiting. Root's connections are never taken.
    fn victim(&self, newcomer_would_hold: usize) -> Option<ConnectionId> {
        self.waiting
            .iter()
            .filter(|(uid, _)| **uid != 0)
            .filter_map(|(uid, queue)| {
                let held = self.held_by(*uid);
                let (&(since, id), ()) = queue.iter().next()?;
                (held > newcomer_would_hold).then_some((held, std::cmp::Reverse(since), id))
            })
            .max()
            .map(|(_, _, id)| id)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const LIMITS: Limits = Limits {
        total: 8,
        per_uid: 4,
    };

    fn admitted(admission: &mut Admission, uid: u32, at: Instant) -> (ConnectionId, Option<u64>) {
        match admission.admit(uid, at) {
            Admit::Admitted { id, evicted } => (id, evicted),
            Admit::Refused(reason) => panic!("uid {uid} refused: {reason}"),
        }
    }

    #[test]
    fn a_uid_over_its_share_is_refused_and_root_is_not_limited() {
        let mut admission = Admission::new(LIMITS);
        let t = Instant::now();
        for _ in 0..4 {
            admitted(&mut admission, 1000, t);
        }
        assert!(matches!(admission.admit(1000, t), Admit::Refused(_)));
        for _ in 0..6 {
            admitted(&mut admission, 0, t);
        }
        assert_eq!(admission.len(), 10);
    }

    #[test]
    fn when_full_the_oldest_waiting_connection_of_the_largest_holder_makes_room() {
        let mut admission = Admission::new(LIMITS);
        let t = Instant::now();
        let mut first_of = HashMap::new();
        for (step, uid) in [1, 1, 1, 1, 2, 2, 2, 3].into_iter().enumerate() {
            let (id, evicted) = admitted(&mut admission, uid, t + Duration::from_secs(step as u64));
            assert_eq!(evicted, None);
            first_of.entry(uid).or_insert(id);
        }
        // uid 1 holds the most: its oldest connection goes.
        let (_, evicted) = admitted(&mut admission, 4, t + Duration::from_secs(10));
        assert_eq!(evicted, Some(first_of[&1]));
        assert!(!admission.contains(first_of[&1]));
        assert_eq!(admission.len(), 8);
    }

    #[test]
    fn a_connection_being_answered_is_never_closed_for_room() {
        let mut admission = Admission::new(Limits {
            total: 2,
            per_uid: 2,
        });
        let t = Instant::now();
        let (a, _) = admitted(&mut admission, 1, t);
        let (b, _) = admitted(&mut admission, 1, t + Duration::from_secs(1));
        admission.answering(a);
        let (_, evicted) = admitted(&mut admission, 2, t + Duration::from_secs(2));
        assert_eq!(
            evicted,
            Some(b),
            "the waiting one goes, not the older answered one"
        );
        // Now uid 1 holds one (answering) and uid 2 one: a third uid would
        // hold as many as either after admission, so it waits its turn.
        assert!(matches!(
            admission.admit(3, t + Duration::from_secs(3)),
            Admit::Refused(_)
        ));
        admission.waiting(a, t + Duration::from_secs(4));
        assert!(
            matches!(
                admission.admit(3, t + Duration::from_secs(5)),
                Admit::Refused(_)
            ),
            "equal holders are not evicted for each other"
        );
    }

    #[test]
    fn root_is_admitted_when_full_even_if_nothing_can_be_closed() {
        let mut admission = Admission::new(Limits {
            total: 2,
            per_uid: 2,
        });
        let t = Instant::now();
        let (a, _) = admitted(&mut admission, 1, t);
        let (b, _) = admitted(&mut admission, 2, t);
        admission.answering(a);
        admission.answering(b);
        let (_, evicted) = admitted(&mut admission, 0, t);
        assert_eq!(evicted, None);
        assert_eq!(admission.len(), 3);
    }

    #[test]
    fn a_bystander_always_gets_in_against_any_number_of_flooding_uids() {
        let limits = Limits {
            total: 512,
            per_uid: 64,
        };
        let mut admission = Admission::new(limits);
        let t = Instant::now();
        // 40 flooding uids, each filling up to its share or until refused,
        // over several rounds of reconnecting.
        for round in 0..3u64 {
            for uid in 2000..2040 {
                for _ in 0..64 {
                    let _ = admission.admit(uid, t + Duration::from_millis(round));
                }
            }
            assert!(admission.len() <= limits.total);
            let (bystander, evicted) = admitted(&mut admission, 1000, t);
            assert!(evicted.is_some());
            admission.remove(bystander);
            let (root, _) = admitted(&mut admission, 0, t);
            admission.remove(root);
        }
    }

    #[test]
    fn removing_an_evicted_or_unknown_connection_is_harmless() {
        let mut admission = Admission::new(LIMITS);
        let (id, _) = admitted(&mut admission, 5, Instant::now());
        admission.remove(id);
        admission.remove(id);
        admission.answering(id);
        admission.waiting(id, Instant::now());
        assert!(admission.is_empty());
    }
}
