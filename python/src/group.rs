//! Groups and broadcast channels (signed sender keys, SPEC.md §20): a
//! group member, a channel's owner, a channel's subscriber; the
//! distributions that travel over the 1:1 sessions; posts.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use sealwire::group::{
    ChannelOwner, ChannelSubscriber, Distribution, Group, GroupId, GroupReceived, GroupState,
    Posts, Receives, Role,
};

use crate::errors::OrRaise;
use crate::keys::{PyIdentityKey, closable, identities, identity_list};
use crate::session::{
    PyContentType, PyExpiryPolicy, PyMessageExpiry, PyReceived, PySession, PyTimerChange,
};
use crate::{Slot, array, py_bytes, timestamp};

/// A sender key to hand to `recipients` over the 1:1 sessions
/// (`encrypt_for`), after a create, an add, a removal or a rotation.
#[pyclass(name = "Distribution", module = "sealwire", frozen)]
pub(crate) struct PyDistribution {
    inner: Distribution,
}

fn distribution(inner: Distribution) -> PyDistribution {
    PyDistribution { inner }
}

#[pymethods]
impl PyDistribution {
    /// The members (or subscribers) it is for.
    #[getter]
    fn recipients(&self) -> Vec<PyIdentityKey> {
        identity_list(self.inner.recipients.iter().copied())
    }

    /// Encrypts it in the 1:1 session with one of its recipients
    /// (content type GROUP_KEY_DISTRIBUTION); `SessionError` kind
    /// `SessionMismatch` if the session's peer is not one.
    #[pyo3(signature = (session, now = None))]
    fn encrypt_for<'py>(
        &self,
        py: Python<'py>,
        mut session: PyRefMut<'_, PySession>,
        now: Option<u64>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let message = self
            .inner
            .encrypt_for(
                session.inner.get_mut()?,
                &mut sealwire::os_rng(),
                timestamp(now),
            )
            .or_raise()?;
        Ok(py_bytes(py, &message))
    }
}

/// A post: the bytes every member receives, and the distribution of a new
/// chain when this post rotated the sender key (send it first).
#[pyclass(name = "Post", module = "sealwire", frozen)]
pub(crate) struct PyPost {
    message: Vec<u8>,
    rotation: Option<Py<PyDistribution>>,
}

#[pymethods]
impl PyPost {
    /// The post's bytes (one message for every member).
    #[getter]
    fn message<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, &self.message)
    }

    /// The new chain's distribution, if the post rotated the key.
    #[getter]
    fn rotation(&self, py: Python<'_>) -> Option<Py<PyDistribution>> {
        self.rotation.as_ref().map(|d| d.clone_ref(py))
    }
}

fn post(py: Python<'_>, post: sealwire::group::Post) -> PyResult<PyPost> {
    let rotation = match post.rotation {
        Some(d) => Some(Py::new(py, distribution(d))?),
        None => None,
    };
    Ok(PyPost {
        message: post.bytes,
        rotation,
    })
}

/// A decrypted post.
#[pyclass(name = "GroupReceived", module = "sealwire", frozen)]
pub(crate) struct PyGroupReceived {
    inner: GroupReceived,
}

pub(crate) fn group_received(inner: GroupReceived) -> PyGroupReceived {
    PyGroupReceived { inner }
}

#[pymethods]
impl PyGroupReceived {
    /// The plaintext (empty for an expired post).
    #[getter]
    fn plaintext<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        py_bytes(py, &self.inner.plaintext)
    }

    /// The sender (authenticated by its chain's signature).
    #[getter]
    fn sender(&self) -> PyIdentityKey {
        self.inner.sender.into()
    }

    /// The sender's chain.
    #[getter]
    fn chain_id(&self) -> u32 {
        self.inner.chain_id
    }

    /// The post's position in the chain.
    #[getter]
    fn iteration(&self) -> u32 {
        self.inner.iteration
    }

    /// What it carries.
    #[getter]
    fn content_type(&self) -> PyContentType {
        PyContentType::from_core(self.inner.content_type)
    }

    /// The sender's claimed send time (ms since the epoch).
    #[getter]
    fn sent_at(&self) -> u64 {
        self.inner.sent_at.as_unix_millis()
    }

    /// When it disappears.
    #[getter]
    fn expiry(&self) -> PyMessageExpiry {
        PyMessageExpiry {
            inner: self.inner.expiry,
        }
    }

    /// The timer change it carried, if any.
    #[getter]
    fn timer_change(&self) -> Option<PyTimerChange> {
        self.inner.timer_change.map(|inner| PyTimerChange { inner })
    }
}

fn group_id(bytes: &[u8]) -> PyResult<GroupId> {
    Ok(GroupId::from_bytes(array::<16>("group id", bytes)?))
}

fn id_bytes<'py, R: Role>(py: Python<'py>, g: &GroupState<R>) -> Bound<'py, PyBytes> {
    py_bytes(py, g.id().as_bytes())
}

fn do_post<R: Posts>(
    py: Python<'_>,
    g: &mut GroupState<R>,
    body: &[u8],
    content_type: PyContentType,
    now: Option<u64>,
) -> PyResult<PyPost> {
    let p = g
        .post_content(
            &mut sealwire::os_rng(),
            timestamp(now),
            content_type.to_core(),
            body,
        )
        .or_raise()?;
    post(py, p)
}

fn do_remove<R: Posts>(
    g: &mut GroupState<R>,
    who: &PyIdentityKey,
    now: Option<u64>,
) -> PyResult<PyDistribution> {
    g.remove_member(&mut sealwire::os_rng(), timestamp(now), &who.inner)
        .or_raise()
        .map(distribution)
}

fn do_set_timer<R: Posts>(
    py: Python<'_>,
    g: &mut GroupState<R>,
    policy: Option<PyExpiryPolicy>,
    now: Option<u64>,
) -> PyResult<PyPost> {
    let (p, _) = g
        .set_timer(
            &mut sealwire::os_rng(),
            timestamp(now),
            policy.map(|p| p.inner),
        )
        .or_raise()?;
    post(py, p)
}

pub(crate) fn do_receive<R: Receives>(
    g: &mut GroupState<R>,
    message: &[u8],
    now: Option<u64>,
) -> PyResult<PyGroupReceived> {
    g.receive_post(timestamp(now), message)
        .or_raise()
        .map(group_received)
}

fn do_accept<R: Receives>(
    g: &mut GroupState<R>,
    received: &PyReceived,
    now: Option<u64>,
) -> PyResult<bool> {
    g.accept_distribution(timestamp(now), &received.inner)
        .or_raise()
}

/// A group: every member posts and receives. A failing call leaves it
/// unchanged.
#[pyclass(name = "Group", module = "sealwire")]
pub(crate) struct PyGroup {
    pub(crate) inner: Slot<Group>,
}

impl From<Group> for PyGroup {
    fn from(value: Group) -> Self {
        Self {
            inner: Slot::new("Group", value),
        }
    }
}

closable!(PyGroup, blob Group {
    /// Creates a group of `me` and `members` with a random id (the
    /// creator); returns it and the distribution of our chain.
    #[staticmethod]
    #[pyo3(signature = (me, members, now = None))]
    fn create(
        me: PyRef<'_, PyIdentityKey>,
        members: Vec<PyRef<'_, PyIdentityKey>>,
        now: Option<u64>,
    ) -> PyResult<(Self, PyDistribution)> {
        let (g, d) = Group::create(&mut sealwire::os_rng(), timestamp(now), me.inner, &identities(&members))
            .or_raise()?;
        Ok((g.into(), distribution(d)))
    }

    /// Our side of a group another member created (its 16-byte id, the
    /// same member list).
    #[staticmethod]
    #[pyo3(signature = (group_id, me, members, now = None))]
    fn create_with_id(
        group_id: &[u8],
        me: PyRef<'_, PyIdentityKey>,
        members: Vec<PyRef<'_, PyIdentityKey>>,
        now: Option<u64>,
    ) -> PyResult<(Self, PyDistribution)> {
        let (g, d) = Group::create_with_id(
            &mut sealwire::os_rng(),
            timestamp(now),
            crate::group::group_id(group_id)?,
            me.inner,
            &identities(&members),
        )
        .or_raise()?;
        Ok((g.into(), distribution(d)))
    }

    /// The 16-byte group id.
    #[getter]
    fn id<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(id_bytes(py, self.inner.get()?))
    }

    /// The members but us.
    #[getter]
    fn members(&self) -> PyResult<Vec<PyIdentityKey>> {
        Ok(identity_list(self.inner.get()?.members()))
    }

    /// Adds a member; returns the distribution of our chain for it.
    fn add_member(&mut self, who: PyRef<'_, PyIdentityKey>) -> PyResult<PyDistribution> {
        self.inner.get_mut()?.add_member(who.inner).or_raise().map(distribution)
    }

    /// Removes a member and rotates our chain; returns the new chain's
    /// distribution for the remaining members.
    #[pyo3(signature = (who, now = None))]
    fn remove_member(&mut self, who: PyRef<'_, PyIdentityKey>, now: Option<u64>) -> PyResult<PyDistribution> {
        do_remove(self.inner.get_mut()?, &who, now)
    }

    /// Posts `body`: one encryption and one signature for every member.
    #[pyo3(signature = (body, *, content_type = PyContentType::UserMessage, now = None))]
    fn post(&mut self, py: Python<'_>, body: &[u8], content_type: PyContentType, now: Option<u64>) -> PyResult<PyPost> {
        do_post(py, self.inner.get_mut()?, body, content_type, now)
    }

    /// Receives a post; `GroupError`.
    #[pyo3(signature = (message, now = None))]
    fn receive_post(&mut self, message: &[u8], now: Option<u64>) -> PyResult<PyGroupReceived> {
        do_receive(self.inner.get_mut()?, message, now)
    }

    /// Takes a distribution received over a 1:1 session; returns whether
    /// it was new.
    #[pyo3(signature = (received, now = None))]
    fn accept_distribution(&mut self, received: PyRef<'_, PyReceived>, now: Option<u64>) -> PyResult<bool> {
        do_accept(self.inner.get_mut()?, &received, now)
    }

    /// Sets the group's disappearing-message timer; returns the post that
    /// carries the change.
    #[pyo3(signature = (policy, now = None))]
    fn set_timer(&mut self, py: Python<'_>, policy: Option<PyExpiryPolicy>, now: Option<u64>) -> PyResult<PyPost> {
        do_set_timer(py, self.inner.get_mut()?, policy, now)
    }

});

/// A broadcast channel's owner: posts, never receives.
#[pyclass(name = "ChannelOwner", module = "sealwire")]
pub(crate) struct PyChannelOwner {
    inner: Slot<ChannelOwner>,
}

impl From<ChannelOwner> for PyChannelOwner {
    fn from(value: ChannelOwner) -> Self {
        Self {
            inner: Slot::new("ChannelOwner", value),
        }
    }
}

closable!(PyChannelOwner, blob ChannelOwner {
    /// Creates a channel with `subscribers`; returns it and the
    /// distribution of its chain.
    #[staticmethod]
    #[pyo3(signature = (me, subscribers, now = None))]
    fn create(
        me: PyRef<'_, PyIdentityKey>,
        subscribers: Vec<PyRef<'_, PyIdentityKey>>,
        now: Option<u64>,
    ) -> PyResult<(Self, PyDistribution)> {
        let (g, d) = ChannelOwner::create(&mut sealwire::os_rng(), timestamp(now), me.inner, &identities(&subscribers))
            .or_raise()?;
        Ok((g.into(), distribution(d)))
    }

    /// The 16-byte channel id.
    #[getter]
    fn id<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(id_bytes(py, self.inner.get()?))
    }

    /// The subscribers.
    #[getter]
    fn members(&self) -> PyResult<Vec<PyIdentityKey>> {
        Ok(identity_list(self.inner.get()?.members()))
    }

    /// Adds a subscriber; returns the chain's distribution for it.
    fn add_member(&mut self, who: PyRef<'_, PyIdentityKey>) -> PyResult<PyDistribution> {
        self.inner.get_mut()?.add_member(who.inner).or_raise().map(distribution)
    }

    /// Removes a subscriber and rotates the chain.
    #[pyo3(signature = (who, now = None))]
    fn remove_member(&mut self, who: PyRef<'_, PyIdentityKey>, now: Option<u64>) -> PyResult<PyDistribution> {
        do_remove(self.inner.get_mut()?, &who, now)
    }

    /// Posts `body` to every subscriber.
    #[pyo3(signature = (body, *, content_type = PyContentType::UserMessage, now = None))]
    fn post(&mut self, py: Python<'_>, body: &[u8], content_type: PyContentType, now: Option<u64>) -> PyResult<PyPost> {
        do_post(py, self.inner.get_mut()?, body, content_type, now)
    }

    /// Sets the channel's disappearing-message timer.
    #[pyo3(signature = (policy, now = None))]
    fn set_timer(&mut self, py: Python<'_>, policy: Option<PyExpiryPolicy>, now: Option<u64>) -> PyResult<PyPost> {
        do_set_timer(py, self.inner.get_mut()?, policy, now)
    }

});

/// A broadcast channel's subscriber: receives, has no way to post.
#[pyclass(name = "ChannelSubscriber", module = "sealwire")]
pub(crate) struct PyChannelSubscriber {
    pub(crate) inner: Slot<ChannelSubscriber>,
}

impl From<ChannelSubscriber> for PyChannelSubscriber {
    fn from(value: ChannelSubscriber) -> Self {
        Self {
            inner: Slot::new("ChannelSubscriber", value),
        }
    }
}

closable!(PyChannelSubscriber, blob ChannelSubscriber {
    /// Our subscription to channel `group_id` (16 bytes) of `owner`.
    #[new]
    fn new(group_id: &[u8], me: PyRef<'_, PyIdentityKey>, owner: PyRef<'_, PyIdentityKey>) -> PyResult<Self> {
        Ok(ChannelSubscriber::new(crate::group::group_id(group_id)?, me.inner, owner.inner).into())
    }

    /// The 16-byte channel id.
    #[getter]
    fn id<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(id_bytes(py, self.inner.get()?))
    }

    /// The channel's owner.
    #[getter]
    fn owner(&self) -> PyResult<PyIdentityKey> {
        Ok(self.inner.get()?.owner().into())
    }

    /// Receives a post; `GroupError`.
    #[pyo3(signature = (message, now = None))]
    fn receive_post(&mut self, message: &[u8], now: Option<u64>) -> PyResult<PyGroupReceived> {
        do_receive(self.inner.get_mut()?, message, now)
    }

    /// Takes the owner's distribution received over a 1:1 session.
    #[pyo3(signature = (received, now = None))]
    fn accept_distribution(&mut self, received: PyRef<'_, PyReceived>, now: Option<u64>) -> PyResult<bool> {
        do_accept(self.inner.get_mut()?, &received, now)
    }

});

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDistribution>()?;
    m.add_class::<PyPost>()?;
    m.add_class::<PyGroupReceived>()?;
    m.add_class::<PyGroup>()?;
    m.add_class::<PyChannelOwner>()?;
    m.add_class::<PyChannelSubscriber>()?;
    Ok(())
}
