//! The "random" values of `~` fields, chosen by a keyed hash (SipHash-2-4
//! with fixed keys) so that the same line always gets the same value: at
//! every reload, on every daemon, and in `sched next`. cronie draws a new
//! random number each time it reads the file; a value that moves at every
//! reload could run twice or not at all in one hour.

use std::hash::Hasher;

use siphasher::sip::SipHasher24;

use crate::field::FieldKind;

const KEYS: (u64, u64) = (0x7363_6865_6464_2d7e, 0x7261_6e64_6f6d_2d31);

/// The seed of a line: its owner (`salt`: a user crontab's uid, 0
/// otherwise) and its text.
pub(crate) fn seed(salt: u64, text: &str) -> u64 {
    let mut hasher = SipHasher24::new_with_keys(KEYS.0, KEYS.1);
    hasher.write_u64(salt);
    hasher.write(text.as_bytes());
    hasher.finish()
}

/// What a line's seed is taken from, hashed only when a `~` needs it:
/// the hash was a fifth of the time of parsing an everyday expression.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeedSource<'a> {
    /// A user crontab's uid, 0 otherwise.
    pub salt: u64,
    /// The line's text.
    pub text: &'a str,
}

impl SeedSource<'_> {
    pub(crate) fn seed(&self) -> u64 {
        seed(self.salt, self.text)
    }
}

/// The value from `low` to `high` of the `~` at byte `at` of field `kind`.
pub(crate) fn pick(seed: u64, kind: FieldKind, at: usize, low: u32, high: u32) -> u32 {
    let mut hasher = SipHasher24::new_with_keys(KEYS.0, KEYS.1);
    hasher.write_u64(seed);
    hasher.write_u8(kind as u8);
    hasher.write_usize(at);
    let span = u64::from(high - low) + 1;
    low + (hasher.finish() % span) as u32
}
