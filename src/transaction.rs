//! [`Transaction`]: work on a copy of a state object, hand the new state to
//! storage, and only then make it the live one.

/// A working copy of `T` that replaces the original only on
/// [`commit`](Self::commit); dropping it discards every change.
///
/// This is the explicit commit step of STORAGE.md §6: decrypt (or encrypt)
/// through the transaction, store the result and the new state (from
/// [`Deref`](core::ops::Deref)) in one database transaction, and commit the
/// in-memory object only once the database has. A crash or a failed write
/// in between leaves the stored and the live state as they were, so a
/// redelivered message decrypts again.
///
/// ```
/// use sealwire::persist::StateBlob;
/// use sealwire::{Transaction, Timestamp};
/// # let now = Timestamp::from_unix_millis(1_700_000_000_000);
/// # use sealwire::{Encrypt, Outgoing};
/// # let (mut rng, mut alice, mut bob) = sealwire::testing::in_chain_pair(1, now)?;
/// # let message = alice.encrypt(&mut rng, now, Outgoing::message(b"hi"))?.message;
/// let mut tx = Transaction::begin(&mut bob);
/// let received = tx.decrypt(now, &message)?;
/// let new_state = tx.to_blob();
/// // db.store(&received.plaintext, &new_state)? -- in one transaction, then:
/// tx.commit();
/// # assert_eq!(&received.plaintext[..], b"hi");
/// # Ok::<(), sealwire::SessionError>(())
/// ```
#[must_use = "dropping a transaction discards its changes: call commit()"]
pub struct Transaction<'a, T: Clone> {
    live: &'a mut T,
    working: T,
}

impl<'a, T: Clone> Transaction<'a, T> {
    /// Starts working on a copy of `live`.
    pub fn begin(live: &'a mut T) -> Self {
        let working = live.clone();
        Self { live, working }
    }

    /// Makes the working copy the live state.
    pub fn commit(self) {
        *self.live = self.working;
    }

    /// The live state, as it was when the transaction began.
    pub fn original(&self) -> &T {
        self.live
    }
}

impl<T: Clone> core::ops::Deref for Transaction<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.working
    }
}

impl<T: Clone> core::ops::DerefMut for Transaction<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.working
    }
}

impl<T: Clone + core::fmt::Debug> core::fmt::Debug for Transaction<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Transaction")
            .field("working", &self.working)
            .finish_non_exhaustive()
    }
}
