//! A vector for values that hold key material: it never leaves a copy of
//! an element in a block it frees, nor in the part of its buffer it no
//! longer uses (SECURITY.md, "Heap hygiene").
//!
//! A plain `Vec` or `VecDeque` leaves copies behind in two ways: when it
//! grows, the allocator moves its contents to a new block and frees the old
//! one as it is (with a moving allocator, on every growth); when an element
//! is removed, the elements after it are shifted down and the last slot,
//! now beyond the length, keeps a stale copy until the block is freed.
//! [`WipingVec`] grows by allocating the new block itself, moving the
//! elements over and zeroizing the whole old block before freeing it, and
//! zeroizes the slots each removal leaves behind. Read access is through
//! the slice it derefs to (which cannot reallocate); there is no mutable
//! slice access, whose `sort` would copy the elements into a scratch
//! buffer it frees unwiped: elements change in place through
//! [`get_mut`](WipingVec::get_mut) and [`iter_mut`](WipingVec::iter_mut).

use alloc::vec::Vec;
use core::ops::Deref;
use zeroize::Zeroize;

/// Smallest capacity allocated on growth.
const MIN_CAPACITY: usize = 4;

/// A growable array that zeroizes every block it frees and every slot it
/// stops using. Elements are dropped in place (a key type zeroizes itself
/// on drop).
pub(crate) struct WipingVec<T> {
    inner: Vec<T>,
}

impl<T> WipingVec<T> {
    /// An empty vector (allocates nothing).
    pub(crate) const fn new() -> Self {
        Self { inner: Vec::new() }
    }

    /// An empty vector with room for `n` elements.
    pub(crate) fn with_capacity(n: usize) -> Self {
        Self {
            inner: Vec::with_capacity(n),
        }
    }

    /// Makes room for `additional` more elements: if the buffer must grow,
    /// the elements move to a new block (twice the capacity at least) and
    /// the old block is zeroized before it is freed.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let len = self.inner.len();
        if self.inner.capacity().saturating_sub(len) >= additional {
            return;
        }
        let cap = len
            .saturating_add(additional)
            .max(self.inner.capacity().saturating_mul(2))
            .max(MIN_CAPACITY);
        let mut grown = Vec::with_capacity(cap);
        grown.append(&mut self.inner);
        // `append` moved the elements out bit for bit: the old block, now
        // all spare capacity, still holds their bytes.
        self.inner.spare_capacity_mut().zeroize();
        self.inner = grown;
    }

    /// Appends an element (growing as [`reserve`](Self::reserve) does).
    pub(crate) fn push(&mut self, value: T) {
        self.reserve(1);
        self.inner.push(value);
    }

    /// Removes and returns the element at `index` (`None` if out of
    /// bounds), shifting the later ones down; the slot left past the end is
    /// zeroized.
    pub(crate) fn remove(&mut self, index: usize) -> Option<T> {
        if index >= self.inner.len() {
            return None;
        }
        let value = self.inner.remove(index);
        self.wipe_spare(1);
        Some(value)
    }

    /// Keeps the elements for which `keep` is true (in order); the others
    /// are dropped in place and the slots left past the end are zeroized.
    pub(crate) fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        let before = self.inner.len();
        self.inner.retain(keep);
        self.wipe_spare(before.saturating_sub(self.inner.len()));
    }

    /// Removes the first `n` elements (all if fewer), passing each to
    /// `each` in order; the slots left past the end are zeroized.
    pub(crate) fn remove_front(&mut self, n: usize, each: impl FnMut(T)) {
        let n = n.min(self.inner.len());
        self.inner.drain(..n).for_each(each);
        self.wipe_spare(n);
    }

    /// Moves every element of `other` to the end of `self`, in order,
    /// leaving `other` empty with its buffer zeroized.
    pub(crate) fn append(&mut self, other: &mut Self) {
        self.reserve(other.inner.len());
        self.inner.append(&mut other.inner);
        other.inner.spare_capacity_mut().zeroize();
    }

    /// The element at `index`, to change in place.
    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.inner.get_mut(index)
    }

    /// The elements, to change in place.
    pub(crate) fn iter_mut(&mut self) -> core::slice::IterMut<'_, T> {
        self.inner.iter_mut()
    }

    /// Zeroizes the first `n` slots past the end.
    fn wipe_spare(&mut self, n: usize) {
        let spare = self.inner.spare_capacity_mut();
        let n = n.min(spare.len());
        spare.split_at_mut(n).0.zeroize();
    }
}

impl<T> Drop for WipingVec<T> {
    fn drop(&mut self) {
        // The elements drop in place (each key zeroizes itself); what lies
        // past the end was zeroized when it was vacated, and is again here.
        self.inner.clear();
        self.inner.spare_capacity_mut().zeroize();
    }
}

impl<T> Default for WipingVec<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Deref for WipingVec<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.inner
    }
}

impl<T: Clone> Clone for WipingVec<T> {
    fn clone(&self) -> Self {
        let mut out = Self::with_capacity(self.inner.len());
        out.inner.extend_from_slice(&self.inner);
        out
    }
}

impl<T: PartialEq> PartialEq for WipingVec<T> {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

impl<T: core::fmt::Debug> core::fmt::Debug for WipingVec<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.inner.fmt(f)
    }
}

impl<T> Extend<T> for WipingVec<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        self.reserve(iter.size_hint().0);
        for v in iter {
            self.push(v);
        }
    }
}

impl<'a, T> IntoIterator for &'a WipingVec<T> {
    type Item = &'a T;
    type IntoIter = core::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.inner.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut WipingVec<T> {
    type Item = &'a mut T;
    type IntoIter = core::slice::IterMut<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.inner.iter_mut()
    }
}

impl<T> FromIterator<T> for WipingVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut out = Self::new();
        out.extend(iter);
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn keeps_order_through_growth_and_removals() {
        let mut v = WipingVec::new();
        for i in 0..100u32 {
            v.push(i);
        }
        assert_eq!(v.len(), 100);
        assert_eq!(v.remove(0), Some(0));
        assert_eq!(v.remove(1000), None);
        v.retain(|x| x % 2 == 1);
        let mut front = Vec::new();
        v.remove_front(3, |x| front.push(x));
        assert_eq!(front, [1, 3, 5]);
        assert_eq!(v[0], 7);
        let mut w: WipingVec<u32> = (200..203).collect();
        v.append(&mut w);
        assert!(w.is_empty());
        assert_eq!(&v[v.len() - 3..], &[200, 201, 202]);
        assert_eq!(v.clone(), v);
    }

    #[test]
    fn capacity_access_equality_and_debug() {
        let mut v: WipingVec<u32> = WipingVec::with_capacity(10);
        assert!(v.inner.capacity() >= 10);
        v.extend([1, 2, 3]);
        *v.get_mut(1).unwrap() = 20;
        assert_eq!(v.get_mut(3), None);
        for x in &mut v {
            *x += 1;
        }
        assert_eq!(&v[..], &[2, 21, 4]);
        let w: WipingVec<u32> = [2, 21, 4].into_iter().collect();
        assert!(v == w);
        assert!(v != WipingVec::new());
        assert_eq!(alloc::format!("{v:?}"), "[2, 21, 4]");
    }
}
