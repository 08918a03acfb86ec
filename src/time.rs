//! Time as the caller passes it: the core never reads a clock.

use core::time::Duration;

/// A point in time, in milliseconds since the Unix epoch, from the caller's
/// clock.
///
/// Arithmetic is checked or saturating, never panicking: add or subtract a
/// [`Duration`] (whole milliseconds; a sub-millisecond remainder is
/// dropped) with [`checked_add`](Self::checked_add) /
/// [`saturating_add`](Self::saturating_add) and
/// [`checked_sub`](Self::checked_sub) / [`saturating_sub`](Self::saturating_sub),
/// and measure the time between two timestamps with
/// [`checked_duration_since`](Self::checked_duration_since) /
/// [`saturating_duration_since`](Self::saturating_duration_since). With the
/// `std` feature it converts from and to [`std::time::SystemTime`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The Unix epoch, 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Self = Self(0);

    /// From milliseconds since the Unix epoch.
    pub const fn from_unix_millis(ms: u64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_unix_millis(self) -> u64 {
        self.0
    }

    /// The system clock (with the `std` feature). Times before the epoch
    /// read as the epoch.
    #[cfg(feature = "std")]
    pub fn now() -> Self {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Self(ms)
    }

    /// `self + d`, or `None` past the largest timestamp.
    pub fn checked_add(self, d: Duration) -> Option<Self> {
        let ms = u64::try_from(d.as_millis()).ok()?;
        self.0.checked_add(ms).map(Self)
    }

    /// `self + d`, at most the largest timestamp.
    pub fn saturating_add(self, d: Duration) -> Self {
        self.checked_add(d).unwrap_or(Self(u64::MAX))
    }

    /// `self - d`, or `None` before the Unix epoch.
    pub fn checked_sub(self, d: Duration) -> Option<Self> {
        let ms = u64::try_from(d.as_millis()).ok()?;
        self.0.checked_sub(ms).map(Self)
    }

    /// `self - d`, at the earliest the Unix epoch.
    pub fn saturating_sub(self, d: Duration) -> Self {
        self.checked_sub(d).unwrap_or(Self::UNIX_EPOCH)
    }

    /// The time from `earlier` to `self`, or `None` if `earlier` is later.
    pub const fn checked_duration_since(self, earlier: Self) -> Option<Duration> {
        match self.0.checked_sub(earlier.0) {
            Some(ms) => Some(Duration::from_millis(ms)),
            None => None,
        }
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    pub const fn saturating_duration_since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// This time as a [`std::time::SystemTime`] (with the `std` feature);
    /// `TimestampOutOfRange` where the platform's `SystemTime` cannot hold
    /// it.
    #[cfg(feature = "std")]
    pub fn to_system_time(self) -> Result<std::time::SystemTime, TimestampOutOfRange> {
        std::time::UNIX_EPOCH
            .checked_add(Duration::from_millis(self.0))
            .ok_or(TimestampOutOfRange)
    }
}

/// A time that a [`Timestamp`] (milliseconds since the Unix epoch in a
/// `u64`) or the platform's `SystemTime` cannot hold: before the epoch, or
/// too far in the future.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimestampOutOfRange;

impl core::fmt::Display for TimestampOutOfRange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("time out of the range of a timestamp")
    }
}

impl core::error::Error for TimestampOutOfRange {}

/// Whole milliseconds since the epoch (a sub-millisecond remainder is
/// dropped); `TimestampOutOfRange` before the epoch or past the largest
/// timestamp.
#[cfg(feature = "std")]
impl TryFrom<std::time::SystemTime> for Timestamp {
    type Error = TimestampOutOfRange;

    fn try_from(t: std::time::SystemTime) -> Result<Self, Self::Error> {
        let since = t
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| TimestampOutOfRange)?;
        u64::try_from(since.as_millis())
            .map(Self)
            .map_err(|_| TimestampOutOfRange)
    }
}

/// [`Timestamp::to_system_time`].
#[cfg(feature = "std")]
impl TryFrom<Timestamp> for std::time::SystemTime {
    type Error = TimestampOutOfRange;

    fn try_from(t: Timestamp) -> Result<Self, Self::Error> {
        t.to_system_time()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timestamp = Timestamp::from_unix_millis(1_780_000_000_000);

    #[test]
    fn adds_and_subtracts_whole_milliseconds() {
        let later = T.checked_add(Duration::from_millis(1500)).unwrap();
        assert_eq!(later.as_unix_millis(), 1_780_000_001_500);
        assert_eq!(later.checked_sub(Duration::from_millis(1500)), Some(T));
        // A sub-millisecond remainder is dropped.
        assert_eq!(
            T.checked_add(Duration::from_micros(2999)),
            Some(Timestamp(T.0 + 2))
        );
        assert_eq!(
            T.saturating_add(Duration::from_secs(1)),
            Timestamp(T.0 + 1000)
        );
        assert_eq!(
            T.saturating_sub(Duration::from_secs(1)),
            Timestamp(T.0 - 1000)
        );
    }

    #[test]
    fn overflow_is_none_or_saturates() {
        let max = Timestamp(u64::MAX);
        assert_eq!(max.checked_add(Duration::from_millis(1)), None);
        assert_eq!(max.saturating_add(Duration::from_millis(1)), max);
        // A duration whose milliseconds do not fit in a u64.
        assert_eq!(Timestamp::UNIX_EPOCH.checked_add(Duration::MAX), None);
        assert_eq!(Timestamp::UNIX_EPOCH.saturating_add(Duration::MAX), max);
        assert_eq!(
            Timestamp::UNIX_EPOCH.checked_sub(Duration::from_millis(1)),
            None
        );
        assert_eq!(
            Timestamp(5).saturating_sub(Duration::from_millis(6)),
            Timestamp::UNIX_EPOCH
        );
        assert_eq!(T.checked_sub(Duration::MAX), None);
        assert_eq!(T.saturating_sub(Duration::MAX), Timestamp::UNIX_EPOCH);
    }

    #[test]
    fn duration_since() {
        let later = Timestamp(T.0 + 250);
        assert_eq!(
            later.checked_duration_since(T),
            Some(Duration::from_millis(250))
        );
        assert_eq!(T.checked_duration_since(later), None);
        assert_eq!(T.checked_duration_since(T), Some(Duration::ZERO));
        assert_eq!(
            later.saturating_duration_since(T),
            Duration::from_millis(250)
        );
        assert_eq!(T.saturating_duration_since(later), Duration::ZERO);
    }

    #[cfg(feature = "std")]
    #[test]
    fn system_time_round_trip() {
        use std::time::{SystemTime, UNIX_EPOCH};
        let st = T.to_system_time().unwrap();
        assert_eq!(st, UNIX_EPOCH + Duration::from_millis(T.0));
        assert_eq!(Timestamp::try_from(st), Ok(T));
        assert_eq!(SystemTime::try_from(T), Ok(st));
        // Sub-millisecond precision is dropped.
        assert_eq!(Timestamp::try_from(st + Duration::from_micros(999)), Ok(T));
        // Before the epoch.
        assert_eq!(
            Timestamp::try_from(UNIX_EPOCH - Duration::from_millis(1)),
            Err(TimestampOutOfRange)
        );
        let now = Timestamp::now();
        assert!(
            now > T
                .checked_sub(Duration::from_secs(10 * 365 * 86_400))
                .unwrap()
        );
        assert!(!alloc::string::ToString::to_string(&TimestampOutOfRange).is_empty());
    }
}
