//! The planner's queue: a binary min-heap of entry keys ordered by each
//! entry's next instant (then key), which records every key's position in
//! its slot so that an entry can be moved or removed in O(log n) without a
//! search and without stale copies.
//!
//! A `BTreeSet<(Timestamp, key)>` would do the same at about 30 bytes per
//! entry; this is 4 bytes of heap plus 4 in the slot.

use crate::{Key, Slot};

/// `heap_pos` of a slot that is not in the heap.
pub(crate) const ABSENT: u32 = u32::MAX;

fn order(slots: &[Slot], key: Key) -> (u64, Key) {
    (slots[key as usize].order(), key)
}

/// Puts `key` where its (possibly changed) next instant belongs: in the
/// heap if it has one, out of it if not.
pub(crate) fn update(heap: &mut Vec<Key>, slots: &mut [Slot], key: Key) {
    let pos = slots[key as usize].heap_pos;
    if !slots[key as usize].has_next() {
        remove(heap, slots, key);
        return;
    }
    if pos == ABSENT {
        heap.push(key);
        let last = heap.len() - 1;
        slots[key as usize].heap_pos = last as u32;
        sift_up(heap, slots, last);
    } else {
        let pos = sift_up(heap, slots, pos as usize);
        sift_down(heap, slots, pos);
    }
}

/// Takes `key` out of the heap (nothing if it is not in it).
pub(crate) fn remove(heap: &mut Vec<Key>, slots: &mut [Slot], key: Key) {
    let pos = slots[key as usize].heap_pos;
    if pos == ABSENT {
        return;
    }
    slots[key as usize].heap_pos = ABSENT;
    let pos = pos as usize;
    let last = heap.len() - 1;
    heap.swap(pos, last);
    heap.pop();
    if pos < heap.len() {
        slots[heap[pos] as usize].heap_pos = pos as u32;
        let pos = sift_up(heap, slots, pos);
        sift_down(heap, slots, pos);
    }
}

/// Moves the key at `pos` up while it is earlier than its parent; returns
/// where it ends.
fn sift_up(heap: &mut [Key], slots: &mut [Slot], mut pos: usize) -> usize {
    while pos > 0 {
        let parent = (pos - 1) / 2;
        if order(slots, heap[pos]) >= order(slots, heap[parent]) {
            break;
        }
        swap(heap, slots, pos, parent);
        pos = parent;
    }
    pos
}

/// Moves the key at `pos` down while a child is earlier.
fn sift_down(heap: &mut [Key], slots: &mut [Slot], mut pos: usize) {
    loop {
        let left = 2 * pos + 1;
        if left >= heap.len() {
            break;
        }
        let right = left + 1;
        let child = if right < heap.len() && order(slots, heap[right]) < order(slots, heap[left]) {
            right
        } else {
            left
        };
        if order(slots, heap[child]) >= order(slots, heap[pos]) {
            break;
        }
        swap(heap, slots, pos, child);
        pos = child;
    }
}

fn swap(heap: &mut [Key], slots: &mut [Slot], a: usize, b: usize) {
    heap.swap(a, b);
    slots[heap[a] as usize].heap_pos = a as u32;
    slots[heap[b] as usize].heap_pos = b as u32;
}

/// The keys whose next instant is the earliest, without taking them out:
/// the heap is walked from the root, below each node as long as it holds
/// that instant (at most the keys found, and their children, are read).
pub(crate) fn first(heap: &[Key], slots: &[Slot]) -> Vec<Key> {
    let Some(&root) = heap.first() else {
        return Vec::new();
    };
    let earliest = slots[root as usize].order();
    let mut found = Vec::new();
    let mut stack = vec![0usize];
    while let Some(pos) = stack.pop() {
        let Some(&key) = heap.get(pos) else {
            continue;
        };
        if slots[key as usize].order() != earliest {
            continue;
        }
        found.push(key);
        stack.extend([2 * pos + 1, 2 * pos + 2]);
    }
    found.sort_unstable();
    found
}
