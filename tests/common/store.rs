//! A revocation store for the framework integration tests.

/// A revocation store whose backend can be switched off: it answers "not revoked"
/// after one pending poll (as a store doing I/O would), or fails while it is down.
pub struct FlakyStore {
    down: std::sync::atomic::AtomicBool,
}

impl FlakyStore {
    pub fn new() -> Self {
        Self {
            down: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }
}

impl sessionlib::Revocation for FlakyStore {
    fn is_revoked<'a>(
        &'a self,
        _: &'a sessionlib::SessionData,
    ) -> sessionlib::revocation::BoxFuture<'a, Result<bool, sessionlib::RevocationError>> {
        let down = self.down.load(std::sync::atomic::Ordering::SeqCst);
        Box::pin(async move {
            YieldOnce(false).await;
            if down {
                Err(sessionlib::RevocationError::unavailable())
            } else {
                Ok(false)
            }
        })
    }
}

/// A future that is pending once, then ready.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}
