//! [`CowBox`]: a box that copies its value on the first write while someone else shares it.
//!
//! Go original: none (go-redis has no snapshots). Explained in: book chapter 6, "A snapshot
//! without `fork`".
//!
//! Redis freezes its dataset for a rewrite or a snapshot with `fork()`: the child sees every page
//! as it was, and the kernel copies a page only when the parent writes to it. We get the same
//! effect one level up. Every collection value, and every slot table of the keyspace, lives in a
//! `CowBox`: an `Arc` whose mutable access goes through [`Arc::make_mut`]. A snapshot clones the
//! boxes (a reference-count increment each), and from then on a writer that changes a shared
//! value copies that one value first, leaving the snapshot's copy untouched. A value nobody
//! shares is changed in place, so outside a snapshot the cost is one atomic load per write.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

// ANCHOR: cow_box
/// A value that may be shared with a snapshot; writing through `DerefMut` copies it first if
/// it is (copy on write).
#[derive(Default)]
pub struct CowBox<T: Clone>(Arc<T>);

impl<T: Clone> CowBox<T> {
    /// Boxes `value`, shared with nobody.
    pub fn new(value: T) -> Self {
        CowBox(Arc::new(value))
    }

    /// True if a snapshot (or another clone) shares this value, so a write would copy it.
    pub fn is_shared(this: &Self) -> bool {
        Arc::strong_count(&this.0) > 1
    }

    /// The value itself: moved out if nobody shares it, else copied.
    pub fn into_inner(this: Self) -> T {
        Arc::try_unwrap(this.0).unwrap_or_else(|shared| (*shared).clone())
    }
}

impl<T: Clone> Clone for CowBox<T> {
    /// Shares the value: O(1), whatever its size. The first write through either copy pays for
    /// the deep copy.
    fn clone(&self) -> Self {
        CowBox(Arc::clone(&self.0))
    }
}

impl<T: Clone> Deref for CowBox<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone> DerefMut for CowBox<T> {
    /// Unshares the value (copying it if a snapshot holds it) and hands it out for writing.
    fn deref_mut(&mut self) -> &mut T {
        Arc::make_mut(&mut self.0)
    }
}
// ANCHOR_END: cow_box

impl<T: Clone + fmt::Debug> fmt::Debug for CowBox<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: Clone + PartialEq> PartialEq for CowBox<T> {
    fn eq(&self, other: &Self) -> bool {
        *self.0 == *other.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_while_shared_leaves_the_other_copy_alone() {
        let mut live = CowBox::new(vec![1, 2, 3]);
        let snapshot = live.clone();
        assert!(CowBox::is_shared(&live));
        live.push(4);
        assert_eq!(*snapshot, vec![1, 2, 3]);
        assert_eq!(*live, vec![1, 2, 3, 4]);
        assert!(!CowBox::is_shared(&live));
    }

    #[test]
    fn an_unshared_write_does_not_copy() {
        let mut live = CowBox::new(vec![0u8; 16]);
        let before = live.as_ptr();
        live[0] = 1;
        assert_eq!(live.as_ptr(), before);
    }
}
